//! What the element's properties say, and how `arg`/`kwarg` values are read.

use serde_json::{Map, Value};

use crate::pyhost::CallbackSpec;

pub(super) const DEFAULT_FUNCTION: &str = "process_frame";
pub(super) const DEFAULT_SLOW_CALL_WARNING: f64 = 5.0;

/// The property values. All but `on-error` change only in NULL/READY (the
/// param specs say which: `mutable_ready`).
#[derive(Debug, Clone)]
pub(super) struct Settings {
    pub module: Option<String>,
    pub class: Option<String>,
    pub function: String,
    pub args: Vec<Value>,
    pub kwargs: Map<String, Value>,
    /// The last rejected `arg` value and why; reported at `start()`.
    pub arg_error: Option<String>,
    /// The last rejected `kwarg` value and why; reported at `start()`.
    pub kwarg_error: Option<String>,
    pub on_error: super::OnError,
    pub slow_call_warning: f64,
    pub reload: bool,
    pub metadata: super::Metadata,
    pub isolation: super::Isolation,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            module: None,
            class: None,
            function: DEFAULT_FUNCTION.to_string(),
            args: Vec::new(),
            kwargs: Map::new(),
            arg_error: None,
            kwarg_error: None,
            on_error: super::OnError::default(),
            slow_call_warning: DEFAULT_SLOW_CALL_WARNING,
            reload: false,
            metadata: super::Metadata::default(),
            isolation: super::Isolation::default(),
        }
    }
}

/// Reads a JSON property value: inline JSON, or `@path` for a file's JSON.
fn read_json_value(value: &str) -> Result<Value, String> {
    if let Some(path) = value.strip_prefix('@') {
        // A FIFO or device would block set_property (and the thread setting it).
        if let Ok(meta) = std::fs::metadata(path) {
            if !meta.is_file() && !meta.is_dir() {
                return Err(format!(
                    "cannot read JSON file '{path}': not a regular file"
                ));
            }
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read JSON file '{path}': {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("file '{path}' is not valid JSON: {e}"))
    } else {
        serde_json::from_str(value).map_err(|e| format!("'{value}' is not valid JSON: {e}"))
    }
}

impl Settings {
    /// Appends an `arg` value (an array is flattened one level); `None` clears.
    /// A rejected value keeps the previous arguments and is reported at start.
    pub fn set_arg(&mut self, text: Option<&str>) -> Result<(), String> {
        let Some(text) = text else {
            self.args.clear();
            self.arg_error = None;
            return Ok(());
        };
        let parsed = read_json_value(text);
        self.arg_error = parsed.as_ref().err().cloned();
        match parsed? {
            Value::Array(items) => self.args.extend(items),
            item => self.args.push(item),
        }
        Ok(())
    }

    /// Merges a `kwarg` JSON object (later keys win); `None` clears. A rejected
    /// value keeps the previous keyword arguments and is reported at start.
    pub fn set_kwarg(&mut self, text: Option<&str>) -> Result<(), String> {
        let Some(text) = text else {
            self.kwargs.clear();
            self.kwarg_error = None;
            return Ok(());
        };
        let parsed = read_json_value(text).and_then(|value| match value {
            Value::Object(map) => Ok(map),
            other => Err(format!("{other} is not a JSON object")),
        });
        self.kwarg_error = parsed.as_ref().err().cloned();
        self.kwargs.extend(parsed?);
        Ok(())
    }

    /// `arg` as it reads back: the accumulated JSON array.
    pub fn args_json(&self) -> String {
        Value::Array(self.args.clone()).to_string()
    }

    /// `kwarg` as it reads back: the merged JSON object.
    pub fn kwargs_json(&self) -> String {
        Value::Object(self.kwargs.clone()).to_string()
    }

    /// What to load, or the start error a user sees when the properties are not usable.
    pub fn callback_spec(&self, element_name: &str) -> Result<CallbackSpec, String> {
        if let Some(reason) = &self.arg_error {
            return Err(format!("Property 'arg' has an invalid value: {reason}"));
        }
        if let Some(reason) = &self.kwarg_error {
            return Err(format!("Property 'kwarg' has an invalid value: {reason}"));
        }
        let Some(module) = self.module.clone().filter(|m| !m.is_empty()) else {
            return Err("Property 'module' is not set: name a Python file or module".into());
        };
        Ok(CallbackSpec {
            module,
            class: self.class.clone(),
            function: self.function.clone(),
            args_json: self.args_json(),
            kwargs_json: self.kwargs_json(),
            element_name: element_name.to_string(),
        })
    }
}
