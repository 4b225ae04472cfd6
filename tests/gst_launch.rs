//! `gst-launch-1.0` and `gst-inspect-1.0` runs against the built plugin, as a
//! user would run them (plugin found through `GST_PLUGIN_PATH`).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::callback;

fn plugin_dir() -> PathBuf {
    common::fresh_plugin_dir()
}

fn gst_command(tool: &str) -> Command {
    let mut command = Command::new(tool);
    let registry =
        std::env::temp_dir().join(format!("gvarust-test-registry-{}.bin", std::process::id()));
    command
        .env("GST_PLUGIN_PATH", plugin_dir())
        .env("GST_REGISTRY", registry)
        .env_remove("GST_DEBUG")
        // isolation=process finds its worker next to the plugin.
        .env_remove("GVARUST_WORKER")
        // Like a user's shell: Python's stdout is block-buffered into a pipe.
        .env_remove("PYTHONUNBUFFERED")
        .stdin(Stdio::null());
    command
}

/// Runs `command` to completion, killing it (and failing) after 60 s.
fn output_within_a_minute(command: Command) -> Output {
    common::output_within(command, Duration::from_secs(60))
}

/// A `gst-launch-1.0` command for `pipeline` (options first, as on a command line),
/// to run as is or after setting more of its environment.
fn launch_command(pipeline: &str) -> Command {
    let mut command = gst_command("gst-launch-1.0");
    command.args(pipeline.split_whitespace());
    command
}

fn launch(pipeline: &str) -> Output {
    output_within_a_minute(launch_command(pipeline))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn isolation_without_the_worker_program_is_a_clear_start_error() {
    let dir = std::env::temp_dir().join(format!("gvarust-test-no-worker-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        plugin_dir().join("libgstgvarust.so"),
        dir.join("libgstgvarust.so"),
    )
    .unwrap();
    let mut command = launch_command(&format!(
        "videotestsrc num-buffers=1 ! gvarust isolation=process module={} ! fakesink",
        callback("printer.py")
    ));
    command
        .env("GST_PLUGIN_PATH", &dir)
        .env("GST_REGISTRY", dir.join("registry.bin"));
    let out = output_within_a_minute(command);
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("isolation=process needs the gvarust-worker program next to the plugin")
            && stderr.contains(&dir.join("gvarust-worker").display().to_string()),
        "{stderr}"
    );
}

/// Runs 20 frames through `printer.py` with `properties` and checks every
/// line it printed reached gst-launch-1.0's stdout (a pipe).
fn printer_output_reaches_a_pipe(properties: &str) {
    let out = launch(&format!(
        "videotestsrc num-buffers=20 ! video/x-raw,width=32,height=24 \
         ! gvarust {properties} module={} ! fakesink",
        callback("printer.py")
    ));
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    let frames = stdout
        .lines()
        .filter(|l| l.starts_with("frame pts="))
        .count();
    assert_eq!(frames, 20, "{stdout}");
    assert!(stdout.contains("frame pts=0\n"));
}

#[test]
fn gst_launch_runs_a_callback_and_its_output_reaches_a_pipe() {
    printer_output_reaches_a_pipe("");
}

#[test]
fn gst_launch_runs_an_isolated_callback_from_the_plugin_directory() {
    // The worker is found next to the plugin, inherits stdout, and what it
    // printed is flushed when it stops.
    printer_output_reaches_a_pipe("isolation=process");
}

#[test]
fn gst_launch_prints_errors_with_the_traceback_without_gst_debug() {
    // Raising after preroll: an error while prerolling can hang gst-launch-1.0
    // itself now and then (see the callback file).
    let out = launch(&format!(
        "videotestsrc num-buffers=3 ! gvarust module={} ! fakesink",
        callback("raises_after_preroll.py")
    ));
    assert!(!out.status.success());
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains(
            "Python callback process_frame() raised ValueError: boom (raises_after_preroll.py:12)"
        ),
        "{all}"
    );
    assert!(all.contains("Traceback (most recent call last):"), "{all}");

    let out = launch(&format!(
        "videotestsrc num-buffers=3 ! gvarust module={} ! fakesink",
        callback("syntax_error.py")
    ));
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        all.contains("raised SyntaxError: expected ':' (syntax_error.py, line 1)"),
        "{all}"
    );
    assert!(all.contains("def process_frame(frame)"), "{all}");
}

#[test]
fn gst_inspect_documents_every_property() {
    let mut command = gst_command("gst-inspect-1.0");
    command.arg("gvarust");
    let out = output_within_a_minute(command);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    for property in [
        "module",
        "class",
        "function",
        "arg",
        "kwarg",
        "on-error",
        "slow-call-warning",
        "reload",
        "stats",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{property} "))),
            "gst-inspect-1.0 lacks {property}:\n{stdout}"
        );
    }
    assert!(stdout.contains("Python callback (gvarust)"));
    assert!(
        stdout.contains("\"process_frame\""),
        "default function shown"
    );
}

#[test]
fn ctrl_c_with_eos_flag_sends_eos_and_exits_cleanly() {
    let mut command = launch_command(&format!(
        "-e videotestsrc is-live=true ! video/x-raw,width=32,height=24,framerate=30/1 ! gvarust module={} ! fakesink",
        callback("sleepy.py")
    ));
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("gst-launch-1.0 starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr = child.stderr.take().expect("stderr piped");
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stdout_reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            all.push_str(&line);
            all.push('\n');
            let _ = lines_tx.send(line);
        }
        all
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut all);
        all
    });
    let outcome = interrupt_once_playing(&mut child, &lines);
    if outcome.is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    let stdout = stdout_reader.join().expect("stdout reader");
    let stderr = stderr_reader.join().expect("stderr reader");
    let status = outcome.unwrap_or_else(|why| panic!("gst-launch-1.0 {why}\n{stdout}\n{stderr}"));
    assert!(status.success(), "exit {status:?}\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("on_eos ran"),
        "EOS reached the callback:\n{stdout}"
    );
}

/// Sends SIGINT to `child` (a `gst-launch-1.0` whose stdout lines arrive on
/// `lines`) once its pipeline is PLAYING, and waits for it to exit.
///
/// "New clock" is not enough: the live pipeline reaches PLAYING only when the
/// first buffer reaches the sink (about 50 ms later, `sleepy.py` sleeps), and
/// the EOS that gst-launch-1.0 -e sends on SIGINT before then deadlocks in
/// GStreamer (the sink waits for PLAYING while gst-launch-1.0 holds the state
/// lock; `identity sleep-time=50000` instead of gvarust does the same). So the
/// signal waits for the callback's "second frame" line: the first frame has
/// then left the sink. Each wait has a deadline.
fn interrupt_once_playing(
    child: &mut Child,
    lines: &mpsc::Receiver<String>,
) -> Result<ExitStatus, &'static str> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line == "second frame" => break,
            Ok(_) => continue,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err("did not reach PLAYING within 60 s")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err("exited before PLAYING"),
        }
    }
    // SAFETY: kill() only sends a signal to the child process we own.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            return Ok(status);
        }
        if Instant::now() > deadline {
            return Err("did not exit within 20 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn readme_demo_pipeline_tracks_the_ball() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/ball_tracker.py");
    let mut command = gst_command("gst-launch-1.0");
    command.args([
        "-q",
        "videotestsrc",
        "pattern=ball",
        "num-buffers=10",
        "!",
        "video/x-raw,format=BGRx,width=320,height=240",
        "!",
        "gvarust",
        &format!("module={}", example.display()),
        "class=BallTracker",
        r#"kwarg={"threshold": 128}"#,
        "!",
        "fakesink",
    ]);
    let out = output_within_a_minute(command);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 11, "{stdout}");
    // The ball starts in the middle of the frame and moves down and right.
    assert_eq!(
        lines[0]["ball"]["center"],
        serde_json::json!([160.0, 120.0])
    );
    let x = |i: usize| lines[i]["ball"]["center"][0].as_f64().unwrap();
    assert!(x(9) > x(0), "{stdout}");
    assert_eq!(lines[10]["summary"]["ball_found"], 10);
}

#[test]
fn callbacks_import_packages_of_the_activated_virtual_environment() {
    let venv = std::env::temp_dir().join(format!("gvarust-test-venv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&venv);
    let status = Command::new("/usr/bin/python3")
        .args(["-m", "venv", "--without-pip", "--system-site-packages"])
        .arg(&venv)
        .status()
        .expect("python3 -m venv runs");
    assert!(status.success());
    // lib/python3.X/site-packages, X being whatever Python this system has.
    let site = Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ])
        .output()
        .expect("the venv's python runs");
    assert!(site.status.success(), "{}", text(&site.stderr));
    let site = PathBuf::from(text(&site.stdout).trim());
    std::fs::write(
        site.join("venv_only_module.py"),
        "GREETING = 'hello from the venv'\n",
    )
    .unwrap();

    // In process and in a worker process alike.
    for isolation in ["none", "process"] {
        let mut command = launch_command(&format!(
            "-q videotestsrc num-buffers=1 ! gvarust isolation={isolation} module={} ! fakesink",
            callback("venv_user.py")
        ));
        command.env("VIRTUAL_ENV", &venv);
        let out = output_within_a_minute(command);
        let stdout = text(&out.stdout);
        assert!(
            out.status.success(),
            "{isolation}: {stdout}{}",
            text(&out.stderr)
        );
        assert!(
            stdout.contains(&format!(
                "venv module says hello from the venv; prefix={}",
                venv.display()
            )),
            "{isolation}: {stdout}"
        );
    }
    let _ = std::fs::remove_dir_all(&venv);
}

#[test]
fn install_script_puts_the_plugin_where_gstreamer_finds_it() {
    let home = std::env::temp_dir().join(format!("gvarust-test-home-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh");
    let mut install = Command::new("bash");
    install
        .arg(&script)
        .arg("--no-build")
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .env("GVARUST_PLUGIN", plugin_dir().join("libgstgvarust.so"));
    let out = output_within_a_minute(install);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let installed = home.join(".local/share/gstreamer-1.0/plugins/libgstgvarust.so");
    assert!(installed.exists());

    // No GST_PLUGIN_PATH: GStreamer finds it in the user's plugin directory.
    let mut inspect = gst_command("gst-inspect-1.0");
    inspect
        .env_remove("GST_PLUGIN_PATH")
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .arg("gvarust");
    let out = output_within_a_minute(inspect);
    let stdout = text(&out.stdout);
    let _ = std::fs::remove_dir_all(&home);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&installed.display().to_string()),
        "{stdout}"
    );
}

#[test]
fn a_host_on_another_python_version_is_refused_with_a_clear_error() {
    // A library that makes the process look like it runs another Python than the
    // one the plugin was built for (build.rs records that one, from PYO3_PYTHON):
    // the plugin's C API calls bind to it the way they would bind to such a host.
    let (built_for, fake) = common::built_and_other_python_version();
    let library = common::fake_python_version_library(fake);
    let dir = library.parent().unwrap().to_path_buf();

    let mut command = launch_command(&format!(
        "videotestsrc num-buffers=1 ! gvarust module={} ! fakesink",
        callback("frames.py")
    ));
    command.env("LD_PRELOAD", &library);
    let out = output_within_a_minute(command);
    let _ = std::fs::remove_dir_all(&dir);
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains(&format!(
            "Cannot start Python: the host process runs Python {fake}, but gvarust was built for Python {built_for}"
        )),
        "{all}"
    );
}

#[test]
fn readme_arg_example_runs_through_the_shell_and_gst_launch() {
    // The README's example, quoted as a user types it in a POSIX shell.
    let pipeline = |args: &str| {
        format!(
            "gst-launch-1.0 videotestsrc num-buffers=1 ! video/x-raw,format=BGRx ! \
             gvarust module={} class=PrintArgs {args} ! fakesink",
            callback("print_args.py")
        )
    };
    let mut command = gst_command("sh");
    command.args([
        "-c",
        &pipeline(r#"arg=[1,2] arg='["x"]' kwarg='{"log_file_path": "/tmp/age_log.txt"}'"#),
    ]);
    let out = output_within_a_minute(command);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(r#"args [1, 2, "x"] kwargs {"log_file_path": "/tmp/age_log.txt"}"#),
        "{stdout}"
    );

    // The quoting the README warns about: both quote levels are stripped.
    let mut command = gst_command("sh");
    command.args(["-c", &pipeline(r#"arg='"x"'"#)]);
    let out = output_within_a_minute(command);
    assert!(!out.status.success());
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("not valid JSON"), "{all}");
}
