fn main() {
    gst_plugin_version_helper::info();
    // Remember which interpreter the plugin links, to use as `sys.executable`.
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    if let Ok(python) = std::env::var("PYO3_PYTHON") {
        println!("cargo:rustc-env=GVARUST_BUILD_PYTHON={python}");
    }
    // The Python version the plugin is compiled for: at run time the interpreter
    // it binds to must be the same major.minor (a host application on another
    // Python would otherwise crash inside the C API).
    let version = pyo3_build_config::get().version();
    println!(
        "cargo:rustc-env=GVARUST_BUILD_PYTHON_VERSION={}.{}",
        version.major, version.minor
    );
}
