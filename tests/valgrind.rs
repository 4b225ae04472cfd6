//! One small pipeline under valgrind's memcheck: no error outside the suppressions
//! of CPython's and GLib's known noise (scripts/valgrind.supp). The full set of
//! cases is `bash scripts/valgrind.sh`; valgrind comes with scripts/install-deps.sh,
//! so this test requires it.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::callback;

#[test]
fn a_metadata_and_pixel_pipeline_has_no_memcheck_errors() {
    let plugins = common::fresh_plugin_dir();
    let registry = std::env::temp_dir().join(format!(
        "gvarust-valgrind-registry-{}.bin",
        std::process::id()
    ));
    let log = std::env::temp_dir().join(format!("gvarust-valgrind-{}.log", std::process::id()));
    let env = |command: &mut Command| {
        command
            .env("GST_PLUGIN_PATH", &plugins)
            .env("GST_REGISTRY", &registry)
            .env("GST_DEBUG", "0")
            // pymalloc hides Python's own allocations from valgrind: use malloc directly.
            .env("PYTHONMALLOC", "malloc")
            .env("G_SLICE", "always-malloc")
            .env_remove("VIRTUAL_ENV");
    };
    // The registry is built outside valgrind (plugin scanning is slow under it).
    let mut inspect = Command::new("gst-inspect-1.0");
    inspect.arg("gvarust");
    env(&mut inspect);
    let out = common::output_within(inspect, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    Command::new("valgrind")
        .arg("--version")
        .output()
        .expect("valgrind runs (scripts/install-deps.sh installs it)");
    let supp = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/valgrind.supp");
    let mut command = Command::new("valgrind");
    command
        .args([
            "--tool=memcheck",
            "--error-exitcode=99",
            "--num-callers=30",
            "--leak-check=no",
            "--gen-suppressions=all",
        ])
        .arg(format!("--suppressions={}", supp.display()))
        .arg(format!("--log-file={}", log.display()))
        .arg("gst-launch-1.0")
        .arg("-q")
        .args(
            format!(
                "videotestsrc num-buffers=5 ! video/x-raw,format=NV12,width=64,height=48 \
                 ! gvarust module={} ! gvarust module={} function=paint ! fakesink",
                callback("meta_interop.py"),
                callback("pixels_write.py"),
            )
            .split_whitespace(),
        );
    env(&mut command);
    let started = Instant::now();
    let out = common::output_within(command, Duration::from_secs(300));
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&registry);
    let _ = std::fs::remove_dir_all(&plugins);
    eprintln!("valgrind case took {:?}", started.elapsed());
    assert!(
        out.status.success(),
        "{:?}\n{report}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("ERROR SUMMARY: 0 errors"), "{report}");
}
