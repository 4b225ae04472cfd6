//! What `gst-launch-1.0` says when the `module` property names something that
//! is not a loadable Python file or module, run from the directory a user
//! would be in.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Runs a one-buffer pipeline with `gvarust module=<module>` in `cwd` and
/// returns its error line.
fn error_for_module(cwd: &Path, module: &str) -> String {
    let registry = cwd.join("registry.bin");
    let mut command = Command::new("gst-launch-1.0");
    command
        .current_dir(cwd)
        .env("GST_PLUGIN_PATH", common::fresh_plugin_dir())
        .env("GST_REGISTRY", &registry)
        .env_remove("GST_DEBUG")
        .args(["videotestsrc", "num-buffers=1", "!", "gvarust"])
        .arg(format!("module={module}"))
        .args(["!", "fakesink"]);
    let out = common::output_within(command, Duration::from_secs(120));
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find_map(|line| {
            line.strip_prefix("ERROR: from element /GstPipeline:pipeline0/GstGvaRust:gvarust0: ")
        })
        .unwrap_or_else(|| panic!("no element error in:\n{text}"))
        .to_string()
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gvarust-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[test]
fn a_module_name_with_a_file_of_that_name_here_points_at_the_file() {
    let cwd = scratch("module-name-hint");
    std::fs::write(
        cwd.join("count.py"),
        "def process_frame(frame):\n    return True\n",
    )
    .unwrap();
    assert_eq!(
        error_for_module(&cwd, "count"),
        "Importing Python module 'count' raised ModuleNotFoundError: No module named 'count'; \
         did you mean the file: module=count.py?"
    );
    // Without such a file: no hint, and no location inside importlib.
    assert_eq!(
        error_for_module(&cwd, "nosuchmodule"),
        "Importing Python module 'nosuchmodule' raised ModuleNotFoundError: No module named 'nosuchmodule'"
    );
}

#[test]
fn a_directory_is_refused_with_or_without_a_slash() {
    let cwd = scratch("module-dir");
    std::fs::create_dir_all(cwd.join("adir")).unwrap();
    for module in ["adir", "adir/"] {
        assert_eq!(
            error_for_module(&cwd, module),
            format!("Python module path '{module}' is a directory, not a Python file")
        );
    }
}
