//! The build directory is a clean plugin directory: with
//! `GST_PLUGIN_PATH=target/<profile>` (as the README says), a fresh registry scan
//! loads gvarust and finds nothing there that fails to load.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// A registry file of this test's own, not there yet (so the scan is fresh).
fn fresh_registry(test: &str) -> PathBuf {
    let registry = std::env::temp_dir().join(format!("gvarust-{test}-{}.bin", std::process::id()));
    let _ = std::fs::remove_file(&registry);
    registry
}

fn inspect(dir: &Path, registry: &Path, args: &[&str]) -> Output {
    let mut command = Command::new("gst-inspect-1.0");
    command
        .args(args)
        .env("GST_PLUGIN_PATH", dir)
        .env("GST_REGISTRY", registry)
        .env_remove("GST_DEBUG");
    common::output_within(command, Duration::from_secs(120))
}

#[test]
fn a_fresh_registry_scan_of_the_build_directory_warns_about_nothing() {
    let dir = common::build_dir();
    let registry = fresh_registry("plugin-dir-scan");

    let out = inspect(&dir, &registry, &["gvarust"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("Factory Details"), "{stdout}");
    let shown = dir.display().to_string();
    let ours: Vec<&str> = stderr.lines().filter(|l| l.contains(&shown)).collect();
    assert!(
        ours.is_empty(),
        "the scan of {shown} printed warnings: {ours:#?}"
    );

    // Nothing under the build directory was blacklisted by that scan.
    let out = inspect(&dir, &registry, &["-b"]);
    let listing = String::from_utf8_lossy(&out.stdout);
    let blacklisted: Vec<&str> = listing.lines().filter(|l| l.contains(&shown)).collect();
    assert!(
        blacklisted.is_empty(),
        "blacklisted in {shown}: {blacklisted:#?}"
    );
    let _ = std::fs::remove_file(&registry);
}

#[test]
fn every_shared_library_in_the_build_directory_is_a_gstreamer_plugin() {
    let dir = common::build_dir();
    let registry = fresh_registry("plugin-dir-files");
    let libraries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("build directory lists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "so"))
        .collect();
    assert!(
        !libraries.is_empty(),
        "no shared library in {}",
        dir.display()
    );
    for library in libraries {
        let _ = std::fs::remove_file(&registry);
        let out = inspect(&dir, &registry, &[&library.to_string_lossy()]);
        assert!(
            out.status.success(),
            "{} is not a loadable GStreamer plugin:\n{}",
            library.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_file(&registry);
}
