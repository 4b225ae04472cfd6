//! Starting (or adopting) the process's Python interpreter.

use std::ffi::{CStr, CString};
use std::sync::OnceLock;

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyModule;

use crate::CAT;

/// The interpreter this plugin was built against (`PYO3_PYTHON` at build time),
/// used as `sys.executable` so `subprocess`/`multiprocessing` start a matching one.
const BUILD_PYTHON: Option<&str> = option_env!("GVARUST_BUILD_PYTHON");

static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
static HOST_MODULE: OnceLock<Py<PyModule>> = OnceLock::new();
static BUILTIN_MODULES: OnceLock<Vec<(String, Py<PyModule>)>> = OnceLock::new();

/// Starts the interpreter once per process (or adopts the running one) and
/// prepares it for callbacks. Returns a precise reason when Python cannot be used.
pub(super) fn ensure_started() -> Result<(), String> {
    STARTED.get_or_init(start).clone()
}

/// The private `gvarust._host` helper module (after [`ensure_started`]).
pub(super) fn host_module(py: Python<'_>) -> &Bound<'_, PyModule> {
    HOST_MODULE
        .get()
        .expect("ensure_started() succeeded before any Python work")
        .bind(py)
}

fn version_of(get_version: unsafe extern "C" fn() -> *const std::os::raw::c_char) -> String {
    // SAFETY: Py_GetVersion returns a static NUL-terminated string and may be
    // called before initialization.
    let full = unsafe { CStr::from_ptr(get_version()) }.to_string_lossy();
    full.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn major_minor(version: &str) -> &str {
    let mut dots = version.match_indices('.');
    match (dots.next(), dots.next()) {
        (Some(_), Some((second, _))) => &version[..second],
        _ => version,
    }
}

/// The interpreter this code binds to must be the Python version it was compiled
/// for. A host application on another Python (a static `python3.12`, or one
/// whose `libpython3.12` is global) makes the C API calls bind to that
/// interpreter, whose structures differ: refuse clearly before touching it.
fn check_host_python() -> Result<(), String> {
    const BUILT_FOR: &str = env!("GVARUST_BUILD_PYTHON_VERSION");
    let running = version_of(ffi::Py_GetVersion);
    if major_minor(&running) != BUILT_FOR {
        return Err(format!(
            "the host process runs Python {running}, but gvarust was built for Python {BUILT_FOR}; \
             rebuild gvarust with PYO3_PYTHON pointing at the host's Python"
        ));
    }
    Ok(())
}

/// Re-opens the already loaded libpython with RTLD_GLOBAL: GStreamer loads plugins
/// with RTLD_LOCAL, which hides libpython's symbols from C extensions (numpy, gi).
fn make_libpython_global() {
    let Some(libpython) = crate::library::file_of(ffi::Py_IsInitialized as *const libc::c_void)
    else {
        gst::warning!(CAT, "could not locate libpython to make its symbols global");
        return;
    };
    // SAFETY: dlopen with RTLD_NOLOAD only re-opens the already loaded libpython
    // (a NUL-terminated path); the handle is intentionally leaked: libpython
    // stays loaded for good.
    let handle = unsafe {
        libc::dlopen(
            libpython.as_ptr(),
            libc::RTLD_NOW | libc::RTLD_GLOBAL | libc::RTLD_NOLOAD,
        )
    };
    if handle.is_null() {
        gst::warning!(CAT, "could not re-open libpython with RTLD_GLOBAL");
    }
}

/// The program name Python derives `sys.executable`, `sys.prefix` and the
/// site-packages from: an activated virtual environment of the same Python
/// version, else the interpreter gvarust was built against.
fn program_name(linked_major_minor: &str) -> Option<String> {
    if let Ok(venv) = std::env::var("VIRTUAL_ENV") {
        let python = format!("{venv}/bin/python{linked_major_minor}");
        let python3 = format!("{venv}/bin/python3");
        let site = format!("{venv}/lib/python{linked_major_minor}");
        if std::path::Path::new(&site).is_dir() {
            for candidate in [python, python3] {
                if std::path::Path::new(&candidate).exists() {
                    return Some(candidate);
                }
            }
        }
        gst::warning!(
            CAT,
            "VIRTUAL_ENV={venv} is not a Python {linked_major_minor} environment; ignoring it"
        );
    }
    BUILD_PYTHON
        .filter(|p| std::path::Path::new(p).exists())
        .map(str::to_string)
}

fn initialize_interpreter() -> Result<(), String> {
    make_libpython_global();
    let linked = version_of(ffi::Py_GetVersion);
    let program = program_name(major_minor(&linked));
    // SAFETY: standard PyConfig life cycle (init, set, initialize, clear) on a
    // zeroed struct owned by this frame; no other thread initializes Python
    // concurrently because this runs inside a OnceLock initializer, and pyo3 is
    // not asked to initialize (no auto-initialize feature).
    unsafe {
        let mut config: ffi::PyConfig = std::mem::zeroed();
        ffi::PyConfig_InitPythonConfig(&mut config);
        // Leave SIGINT and friends to the host (gst-launch-1.0 -e relies on it).
        config.install_signal_handlers = 0;
        config.parse_argv = 0;
        if let Some(program) = program.as_deref() {
            let c_program = CString::new(program).map_err(|e| e.to_string())?;
            let status = ffi::PyConfig_SetBytesString(
                &mut config,
                &mut config.program_name,
                c_program.as_ptr(),
            );
            if ffi::PyStatus_Exception(status) != 0 {
                ffi::PyConfig_Clear(&mut config);
                return Err(format!(
                    "could not configure Python with program name {program}"
                ));
            }
        }
        let status = ffi::Py_InitializeFromConfig(&config);
        ffi::PyConfig_Clear(&mut config);
        if ffi::PyStatus_Exception(status) != 0 {
            let reason = if status.err_msg.is_null() {
                "unknown error".to_string()
            } else {
                CStr::from_ptr(status.err_msg)
                    .to_string_lossy()
                    .into_owned()
            };
            return Err(format!("Python initialization failed: {reason}"));
        }
        // Release the GIL taken by initialization; every user attaches explicitly.
        ffi::PyEval_SaveThread();
    }
    gst::info!(
        CAT,
        "started embedded Python {linked} (program {program:?})"
    );
    Ok(())
}

fn start() -> Result<(), String> {
    check_host_python()?;
    // SAFETY: Py_IsInitialized may be called at any time.
    let running = unsafe { ffi::Py_IsInitialized() } != 0;
    if running {
        gst::info!(
            CAT,
            "using the Python interpreter the host application runs"
        );
    } else {
        initialize_interpreter()?;
    }
    super::threads::attach(|py| prepare(py).map_err(|err| format!("Python set-up failed: {err}")))
}

const HOST_SOURCE: &CStr =
    match CStr::from_bytes_with_nul(concat!(include_str!("host.py"), "\0").as_bytes()) {
        Ok(source) => source,
        Err(_) => panic!("host.py contains a NUL byte"),
    };

fn prepare(py: Python<'_>) -> PyResult<()> {
    let sys = py.import("sys")?;
    if !sys.hasattr("argv")? || sys.getattr("argv")?.len()? == 0 {
        sys.setattr("argv", vec![""])?;
    }
    let host = PyModule::from_code(py, HOST_SOURCE, c"<gvarust-host>", c"gvarust._host")?;
    let sink = pyo3::wrap_pyfunction!(super::logging::gst_log_sink, &host)?;
    host.setattr("_gst_log_sink", &sink)?;
    let _ = HOST_MODULE.set(host.unbind());
    let builtins = gvarust_meta::py::builtin_modules(py)?
        .into_iter()
        .map(|(name, module)| (name, module.unbind()))
        .collect();
    let _ = BUILTIN_MODULES.set(builtins);
    Ok(())
}

/// Per-start preparation that may change between runs: the `gvarust`/`gstgva`
/// modules in `sys.modules` and the logging bridge's level.
pub(super) fn prepare_run(py: Python<'_>) -> PyResult<()> {
    let modules = py.import("sys")?.getattr("modules")?;
    for (name, module) in BUILTIN_MODULES.get().into_iter().flatten() {
        modules.set_item(name, module.bind(py))?;
    }
    let host = host_module(py);
    host.call_method1(
        "install_logging",
        (
            host.getattr("_gst_log_sink")?,
            super::logging::python_level(),
        ),
    )?;
    Ok(())
}

/// Whether the interpreter was started (or adopted) successfully.
pub(super) fn is_started() -> bool {
    matches!(STARTED.get(), Some(Ok(())))
}
