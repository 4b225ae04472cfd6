//! Loading the user's Python code and calling it.

use std::path::Path;

use gvarust_meta::analytics::MetadataMode;
use gvarust_meta::py::{BufferSlot, Event, FrameKind};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule, PyTuple};

use super::bootstrap::host_module;
use super::CallClock;

/// A Python failure as users see it: a one-line summary and the traceback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyFailure {
    /// One line: what failed and the exception, e.g.
    /// `Python callback process_frame() raised ValueError: boom (cb.py:12)`.
    pub message: String,
    /// The full Python traceback (empty when there is no exception).
    pub debug: String,
    /// What failed, the exception type and where it was raised, without the
    /// exception's text, e.g. `Python callback process_frame(): ValueError (cb.py:12)`:
    /// failures of one kind are rate-limited together.
    pub kind: String,
}

impl PyFailure {
    /// A failure that involves no Python exception.
    pub fn plain(message: impl Into<String>) -> Self {
        let message = message.into();
        PyFailure {
            kind: message.clone(),
            message,
            debug: String::new(),
        }
    }

    /// `context` followed by the exception's summary; the traceback as debug text.
    pub fn from_err(py: Python<'_>, context: &str, err: PyErr) -> Self {
        let described = host_module(py)
            .call_method1("describe", (err.value(py), err.traceback(py)))
            .and_then(|d| d.extract::<(String, String, String)>());
        match described {
            Ok((summary, traceback, kind)) => PyFailure {
                message: format!("{context} raised {summary}"),
                debug: traceback,
                kind: format!("{context}: {kind}"),
            },
            Err(_) => PyFailure {
                message: format!("{context} raised {err}"),
                debug: String::new(),
                kind: format!("{context}: {}", err.get_type(py)),
            },
        }
    }
}

/// What the element's properties say to load.
#[derive(Debug, Clone)]
pub struct CallbackSpec {
    /// The `module` property: a file path or a module name.
    pub module: String,
    /// The `class` property (`None` when unset or empty).
    pub class: Option<String>,
    /// The `function` property.
    pub function: String,
    /// Constructor positional arguments as a JSON array.
    pub args_json: String,
    /// Constructor keyword arguments as a JSON object.
    pub kwargs_json: String,
    /// The element's name, part of the unique module name of a file module.
    pub element_name: String,
}

impl CallbackSpec {
    /// An existing file or directory, a value with `/`, or a `.py` name is a
    /// path; anything else is a module name imported from `sys.path`.
    pub fn module_is_path(&self) -> bool {
        let module = &self.module;
        module.contains('/') || module.ends_with(".py") || Path::new(module).exists()
    }

    /// `gvarust_<element>_<stem>`, made of identifier characters only.
    pub fn unique_module_name(&self) -> String {
        let stem = Path::new(&self.module)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let raw = format!("gvarust_{}_{}", self.element_name, stem);
        raw.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

/// Optional lifecycle hooks found on the instance (class mode) or module.
#[derive(Default)]
struct Hooks {
    on_start: Option<Py<PyAny>>,
    process_event: Option<Py<PyAny>>,
    on_eos: Option<Py<PyAny>>,
    on_stop: Option<Py<PyAny>>,
}

/// What the per-buffer callback's result says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A truthy result: push the buffer on.
    Push,
    /// A falsy result other than `None`: drop the buffer.
    Drop,
    /// `None` (often a forgotten `return True`): drop the buffer.
    DropNone,
}

/// Outcome of an event hook.
#[derive(Debug, PartialEq, Eq)]
pub enum HookResult {
    /// Forward the event.
    Keep,
    /// The hook returned exactly `False`.
    Drop,
}

/// The loaded user code of one element run (from `start()` to `stop()`).
///
/// Holds Python objects: drop it with the GIL held (see [`Callback::unload`]).
pub struct Callback {
    module: Py<PyModule>,
    file_module_name: Option<String>,
    instance: Option<Py<PyAny>>,
    function: Py<PyAny>,
    hooks: Hooks,
    function_label: String,
}

fn lookup_hook(owner: &Bound<'_, PyAny>, name: &str) -> PyResult<Option<Py<PyAny>>> {
    Ok(owner
        .getattr_opt(name)?
        .filter(|h| h.is_callable())
        .map(Bound::unbind))
}

impl Callback {
    /// Loads the module, builds the class instance and finds the function and hooks.
    /// `reimport` re-executes a named module that an earlier run imported. The
    /// import and the constructor are marked on `clock` (the caller ends the mark).
    pub fn load(
        py: Python<'_>,
        spec: &CallbackSpec,
        reimport: bool,
        clock: &CallClock,
    ) -> Result<Self, PyFailure> {
        super::bootstrap::prepare_run(py)
            .map_err(|e| PyFailure::from_err(py, "Preparing the Python environment", e))?;
        let host = host_module(py);
        let shown = &spec.module;
        let (module, file_module_name) = if spec.module_is_path() {
            let path = Path::new(&spec.module);
            match std::fs::metadata(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(PyFailure::plain(format!(
                        "Python module file '{shown}' does not exist"
                    )))
                }
                Err(e) => {
                    return Err(PyFailure::plain(format!(
                        "Cannot access Python module file '{shown}': {e}"
                    )))
                }
                Ok(meta) if meta.is_dir() => {
                    return Err(PyFailure::plain(format!(
                        "Python module path '{shown}' is a directory, not a Python file"
                    )))
                }
                // A FIFO or device would block (or never end) the read below, with
                // the GIL held: refuse anything but a regular file.
                Ok(meta) if !meta.is_file() => {
                    return Err(PyFailure::plain(format!(
                        "Python module path '{shown}' is not a regular file"
                    )))
                }
                Ok(_) => {}
            }
            if let Err(e) = std::fs::File::open(path) {
                return Err(PyFailure::plain(format!(
                    "Cannot read Python module file '{shown}': {e}"
                )));
            }
            let name = spec.unique_module_name();
            clock.begin(format!("Loading Python module '{shown}'"));
            let module = host
                .call_method1("load_file_module", (&name, &spec.module))
                .map_err(|e| {
                    PyFailure::from_err(py, &format!("Loading Python module '{shown}'"), e)
                })?;
            (module, Some(name))
        } else {
            let module = host
                .call_method1("import_named_module", (&spec.module, reimport))
                .map_err(|e| {
                    let hint = file_hint(py, &e, shown);
                    let mut failure =
                        PyFailure::from_err(py, &format!("Importing Python module '{shown}'"), e);
                    failure.message.push_str(&hint);
                    failure
                })?;
            (module, None)
        };
        let module = module
            .cast_into::<PyModule>()
            .map_err(|_| PyFailure::plain(format!("'{shown}' did not produce a Python module")))?;

        let (owner, instance, function_label) = match &spec.class {
            Some(class_name) => {
                let class = module
                    .getattr_opt(class_name.as_str())
                    .ok()
                    .flatten()
                    .ok_or_else(|| {
                        PyFailure::plain(format!(
                            "Python module '{shown}' has no class '{class_name}'"
                        ))
                    })?;
                if !class.is_callable() {
                    return Err(PyFailure::plain(format!(
                        "'{class_name}' in Python module '{shown}' is not a class (it is a {})",
                        type_name(&class)
                    )));
                }
                let args = parse_json(py, &spec.args_json)?;
                let kwargs = parse_json(py, &spec.kwargs_json)?;
                let args = args
                    .cast_into::<pyo3::types::PyList>()
                    .map_err(|_| PyFailure::plain("Property 'arg' is not a JSON array"))?;
                let kwargs = kwargs
                    .cast_into::<PyDict>()
                    .map_err(|_| PyFailure::plain("Property 'kwarg' is not a JSON object"))?;
                let args = PyTuple::new(py, args.iter())
                    .map_err(|e| PyFailure::from_err(py, "Building constructor arguments", e))?;
                clock.begin(format!("Python class {class_name}() constructor"));
                let instance = class.call(args, Some(&kwargs)).map_err(|e| {
                    PyFailure::from_err(py, &format!("Python class {class_name}() constructor"), e)
                })?;
                (
                    instance.clone(),
                    Some(instance.unbind()),
                    format!("{class_name}.{}()", spec.function),
                )
            }
            None => (
                module.clone().into_any(),
                None,
                format!("{}()", spec.function),
            ),
        };

        let function = owner
            .getattr_opt(spec.function.as_str())
            .ok()
            .flatten()
            .ok_or_else(|| match &spec.class {
                Some(class_name) => PyFailure::plain(format!(
                    "Python class {class_name} in '{shown}' has no method '{}'",
                    spec.function
                )),
                None => PyFailure::plain(format!(
                    "Python module '{shown}' has no function '{}'",
                    spec.function
                )),
            })?;
        if !function.is_callable() {
            return Err(PyFailure::plain(format!(
                "'{}' in Python module '{shown}' is not callable (it is a {})",
                spec.function,
                type_name(&function)
            )));
        }
        let hook = |name: &str| {
            lookup_hook(&owner, name)
                .map_err(|e| PyFailure::from_err(py, &format!("Looking up hook {name}()"), e))
        };
        let hooks = Hooks {
            on_start: hook("on_start")?,
            process_event: hook("process_event")?,
            on_eos: hook("on_eos")?,
            on_stop: hook("on_stop")?,
        };
        Ok(Callback {
            module: module.unbind(),
            file_module_name,
            instance,
            function: function.unbind(),
            hooks,
            function_label,
        })
    }

    /// The source file of the loaded module (a file module's path, or a named
    /// module's `__file__`), for reloading when it changes.
    pub fn source_file(&self, py: Python<'_>, spec: &CallbackSpec) -> Option<std::path::PathBuf> {
        if spec.module_is_path() {
            return Some(std::path::PathBuf::from(&spec.module));
        }
        self.module
            .bind(py)
            .getattr("__file__")
            .ok()
            .and_then(|f| f.extract::<String>().ok())
            .map(std::path::PathBuf::from)
    }

    /// Registers this run's file module in `sys.modules` again (after a failed
    /// reload replaced or removed the entry).
    pub fn register_module(&self, py: Python<'_>) {
        if let Some(name) = &self.file_module_name {
            if let Err(err) =
                host_module(py).call_method1("register_module", (name, self.module.bind(py)))
            {
                err.print(py);
            }
        }
    }

    /// `process_frame()` or `Class.method()`, as error messages name the callable.
    pub fn function_label(&self) -> &str {
        &self.function_label
    }

    /// Calls `on_start()` if present.
    pub fn on_start(&self, py: Python<'_>) -> Result<(), PyFailure> {
        call_hook(py, self.hooks.on_start.as_ref(), "on_start()")
    }

    /// Calls `on_eos()` if present.
    pub fn on_eos(&self, py: Python<'_>) -> Result<(), PyFailure> {
        call_hook(py, self.hooks.on_eos.as_ref(), "on_eos()")
    }

    /// Calls `on_stop()` if present.
    pub fn on_stop(&self, py: Python<'_>) -> Result<(), PyFailure> {
        call_hook(py, self.hooks.on_stop.as_ref(), "on_stop()")
    }

    /// Calls `process_event(event)` if present; `False` asks to drop the event.
    pub fn process_event(
        &self,
        py: Python<'_>,
        event: &gst::EventRef,
    ) -> Result<HookResult, PyFailure> {
        let Some(hook) = self.hooks.process_event.as_ref() else {
            return Ok(HookResult::Keep);
        };
        let context = "Python hook process_event()";
        let event = Event::new(py, event).map_err(|e| PyFailure::from_err(py, context, e))?;
        let result = hook
            .bind(py)
            .call1((event,))
            .map_err(|e| PyFailure::from_err(py, context, e))?;
        // Exactly `False` drops; `None` and anything else keeps the event.
        Ok(if result.is(pyo3::types::PyBool::new(py, false)) {
            HookResult::Drop
        } else {
            HookResult::Keep
        })
    }

    /// Calls the per-buffer function with a frame of `kind` over `buffer`;
    /// the verdict says whether the buffer goes on. The second value says why
    /// the frame's metadata could not be finished (see `BufferSlot::finish`),
    /// if it could not.
    pub fn process_buffer(
        &self,
        py: Python<'_>,
        kind: &FrameKind,
        metadata: MetadataMode,
        buffer: &mut gst::BufferRef,
    ) -> (Result<Verdict, PyFailure>, Option<String>) {
        let slot = BufferSlot::new(buffer);
        slot.set_metadata(metadata);
        let outcome = self.call_with_slot(py, kind, &slot);
        let unfinished = slot.finish().err();
        // The buffer moves on after this: nothing Python kept may reach it.
        slot.invalidate();
        (outcome, unfinished)
    }

    fn call_with_slot(
        &self,
        py: Python<'_>,
        kind: &FrameKind,
        slot: &std::sync::Arc<BufferSlot>,
    ) -> Result<Verdict, PyFailure> {
        let frame = kind.make_frame(py, slot.clone()).map_err(|e| {
            PyFailure::from_err(py, &format!("Building the {} object", kind.class_name()), e)
        })?;
        let result = self.function.bind(py).call1((frame,)).map_err(|e| {
            PyFailure::from_err(py, &format!("Python callback {}", self.function_label), e)
        })?;
        if result.is_none() {
            return Ok(Verdict::DropNone);
        }
        let truthy = result.is_truthy().map_err(|e| {
            PyFailure::from_err(
                py,
                &format!(
                    "Truth value of the result of Python callback {}",
                    self.function_label
                ),
                e,
            )
        })?;
        Ok(if truthy { Verdict::Push } else { Verdict::Drop })
    }

    /// Releases every Python object of this run (so `__del__` runs now) and
    /// forgets a file module, so the next start loads it afresh.
    pub fn unload(self, py: Python<'_>) {
        let Callback {
            module,
            file_module_name,
            instance,
            function,
            hooks,
            ..
        } = self;
        drop((instance, function, hooks));
        if let Some(name) = file_module_name {
            if let Err(err) = host_module(py).call_method1("unload_module", (name, module.bind(py)))
            {
                err.print(py);
            }
        }
        drop(module);
        // Collect cycles now so `__del__` of objects in reference cycles runs at stop.
        if let Ok(gc) = py.import("gc") {
            let _ = gc.call_method0("collect");
        }
        let _ = host_module(py).call_method0("flush_std_streams");
    }
}

/// For `module=count` that is not importable while `count.py` is in the
/// current directory: a hint that a file needs its path.
fn file_hint(py: Python<'_>, err: &PyErr, module: &str) -> String {
    let missing = err.is_instance_of::<pyo3::exceptions::PyModuleNotFoundError>(py)
        && err
            .value(py)
            .getattr("name")
            .and_then(|name| name.extract::<String>())
            .is_ok_and(|name| name == module);
    let file = format!("{module}.py");
    if missing && Path::new(&file).is_file() {
        format!("; did you mean the file: module={file}?")
    } else {
        String::new()
    }
}

fn call_hook(py: Python<'_>, hook: Option<&Py<PyAny>>, label: &str) -> Result<(), PyFailure> {
    match hook {
        None => Ok(()),
        Some(hook) => hook
            .call0(py)
            .map(drop)
            .map_err(|e| PyFailure::from_err(py, &format!("Python hook {label}"), e)),
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

fn parse_json<'py>(py: Python<'py>, json: &str) -> Result<Bound<'py, PyAny>, PyFailure> {
    host_module(py)
        .call_method1("parse_json", (json,))
        .map_err(|e| PyFailure::from_err(py, "Decoding constructor arguments", e))
}
