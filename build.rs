fn main() {
    gst_plugin_version_helper::info();
    // Remember which interpreter the plugin links, to use as `sys.executable`.
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    if let Ok(python) = std::env::var("PYO3_PYTHON") {
        println!("cargo:rustc-env=GVARUST_BUILD_PYTHON={python}");
    }
}
