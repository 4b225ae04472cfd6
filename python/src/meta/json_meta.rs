//! The GVA JSON meta (`GstGVAJSONMetaAPI` / `GstGVAJSONMeta`): one JSON message string attached
//! to a buffer, layout `{ GstMeta meta; gchar *message; }`.

use std::borrow::Cow;
use std::ffi::{CStr, CString};
use std::fmt;
use std::ptr;
use std::sync::OnceLock;

use gst::meta::{MetaAPI, MetaAPIExt, MetaRefMut, Standalone};

use gst::ffi as gst_ffi;

use super::{add_raw, c_name, register, MetaDesc, Registration};

const API_CNAME: &CStr = c"GstGVAJSONMetaAPI";
const IMPL_CNAME: &CStr = c"GstGVAJSONMeta";

/// C name of the GVA JSON meta API type.
pub const JSON_META_API_NAME: &str = c_name(API_CNAME);
/// C name of the GVA JSON meta implementation.
pub const JSON_META_IMPL_NAME: &str = c_name(IMPL_CNAME);

/// C layout of DL Streamer's `GstGVAJSONMeta` (24 bytes on x86-64).
#[repr(C)]
#[derive(Debug)]
pub struct GstGVAJSONMeta {
    /// The parent `GstMeta`.
    pub meta: gst_ffi::GstMeta,
    /// NUL-terminated message allocated with `g_malloc`, owned by the meta, or NULL.
    pub message: *mut std::os::raw::c_char,
}

static JSON_REG: OnceLock<Registration> = OnceLock::new();

fn json_reg() -> Registration {
    *JSON_REG.get_or_init(|| {
        register(&MetaDesc {
            api_name: API_CNAME,
            impl_name: IMPL_CNAME,
            size: std::mem::size_of::<GstGVAJSONMeta>(),
            init: Some(json_meta_init),
            free: Some(json_meta_free),
            transform: Some(json_meta_transform),
        })
    })
}

/// The `GstGVAJSONMetaAPI` type, registering it on first use (or reusing an existing one).
pub fn json_meta_api_type() -> glib::Type {
    json_reg().api
}

/// The `GstGVAJSONMeta` implementation info (NULL only if GStreamer refused the registration).
pub fn json_meta_info() -> *const gst_ffi::GstMetaInfo {
    json_reg().info
}

// C callbacks. They must never unwind: none of them can panic.

unsafe extern "C" fn json_meta_init(
    meta: *mut gst_ffi::GstMeta,
    _params: glib::ffi::gpointer,
    _buffer: *mut gst_ffi::GstBuffer,
) -> glib::ffi::gboolean {
    // SAFETY: GStreamer calls init with a block of `size_of::<GstGVAJSONMeta>()` bytes.
    unsafe {
        (*(meta as *mut GstGVAJSONMeta)).message = ptr::null_mut();
    }
    glib::ffi::GTRUE
}

unsafe extern "C" fn json_meta_free(meta: *mut gst_ffi::GstMeta, _buffer: *mut gst_ffi::GstBuffer) {
    // SAFETY: `meta` is one of our JSON metas; `message` is NULL or g_malloc'ed memory we own.
    unsafe {
        let meta = meta as *mut GstGVAJSONMeta;
        glib::ffi::g_free((*meta).message as glib::ffi::gpointer);
        (*meta).message = ptr::null_mut();
    }
}

unsafe extern "C" fn json_meta_transform(
    dest: *mut gst_ffi::GstBuffer,
    meta: *mut gst_ffi::GstMeta,
    _src: *mut gst_ffi::GstBuffer,
    _type: glib::ffi::GQuark,
    _data: glib::ffi::gpointer,
) -> glib::ffi::gboolean {
    // SAFETY: writable destination, source meta of our type (see tensor_meta_transform);
    // g_strdup accepts NULL.
    unsafe {
        let src = meta as *mut GstGVAJSONMeta;
        let dst = gst_ffi::gst_buffer_add_meta(dest, (*meta).info, ptr::null_mut())
            as *mut GstGVAJSONMeta;
        if dst.is_null() {
            return glib::ffi::GFALSE;
        }
        glib::ffi::g_free((*dst).message as glib::ffi::gpointer);
        (*dst).message = glib::ffi::g_strdup((*src).message);
    }
    glib::ffi::GTRUE
}

/// Error returned by [`JsonMeta::set_message`] for a message containing a NUL byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NulInMessage(pub usize);

impl fmt::Display for NulInMessage {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "message contains a NUL byte at position {}", self.0)
    }
}

impl std::error::Error for NulInMessage {}

/// Safe view of a `GstGVAJSONMeta`: one JSON message string attached to a buffer.
///
/// ```
/// use gvarust_meta::meta::JsonMeta;
/// gst::init().unwrap();
/// let mut buffer = gst::Buffer::new();
/// JsonMeta::add(buffer.get_mut().unwrap(), r#"{"a":1}"#).unwrap();
/// let meta = buffer.meta::<JsonMeta>().unwrap();
/// assert_eq!(meta.message().as_deref(), Some(r#"{"a":1}"#));
/// ```
#[repr(transparent)]
pub struct JsonMeta(GstGVAJSONMeta);

// SAFETY: see `TensorMeta`.
unsafe impl Send for JsonMeta {}

// SAFETY: see `TensorMeta`.
unsafe impl Sync for JsonMeta {}

// SAFETY: `JsonMeta` is #[repr(transparent)] over the C struct registered for this API type.
unsafe impl MetaAPI for JsonMeta {
    type GstType = GstGVAJSONMeta;

    fn meta_api() -> glib::Type {
        json_meta_api_type()
    }
}

/// Error of [`JsonMeta::add`].
#[derive(Debug)]
pub enum AddMessageError {
    /// The message contains a NUL byte, which a C string cannot hold.
    Nul(NulInMessage),
    /// GStreamer refused to add the meta.
    Add(glib::BoolError),
}

impl fmt::Display for AddMessageError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            AddMessageError::Nul(e) => e.fmt(f),
            AddMessageError::Add(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for AddMessageError {}

impl JsonMeta {
    /// Adds a JSON meta holding `message`.
    pub fn add<'a>(
        buffer: &'a mut gst::BufferRef,
        message: &str,
    ) -> Result<MetaRefMut<'a, Self, Standalone>, AddMessageError> {
        // Validate before touching the buffer so a bad message leaves no empty meta behind.
        let c_message = to_cstring(message).map_err(AddMessageError::Nul)?;
        let meta =
            add_raw(buffer, json_meta_info(), JSON_META_IMPL_NAME).map_err(AddMessageError::Add)?;
        // SAFETY: `meta` was just added to `buffer` with the JSON meta info.
        let mut meta = unsafe { Self::from_mut_ptr(buffer, meta as *mut GstGVAJSONMeta) };
        meta.set_cmessage(&c_message);
        Ok(meta)
    }

    /// The raw message bytes (without the terminating NUL), or `None` if no message is set.
    pub fn message_bytes(&self) -> Option<&[u8]> {
        if self.0.message.is_null() {
            None
        } else {
            // SAFETY: a non-NULL message is a NUL-terminated string owned by this meta.
            Some(unsafe { CStr::from_ptr(self.0.message) }.to_bytes())
        }
    }

    /// The message as text, or `None` if no message is set.
    ///
    /// Messages written by other software may not be valid UTF-8: invalid sequences are replaced
    /// by U+FFFD (lossy conversion, borrowed when the message is valid). Use
    /// [`message_bytes`](Self::message_bytes) for the exact bytes.
    pub fn message(&self) -> Option<Cow<'_, str>> {
        self.message_bytes().map(String::from_utf8_lossy)
    }

    /// Replaces the message. Fails (leaving the old one) if `message` contains a NUL byte.
    pub fn set_message(&mut self, message: &str) -> Result<(), NulInMessage> {
        let c_message = to_cstring(message)?;
        self.set_cmessage(&c_message);
        Ok(())
    }

    fn set_cmessage(&mut self, message: &CStr) {
        // SAFETY: the old message is NULL or g_malloc'ed and owned by us; g_strdup copies the
        // valid C string into new g_malloc'ed memory that the meta's free function releases.
        unsafe {
            glib::ffi::g_free(self.0.message as glib::ffi::gpointer);
            self.0.message = glib::ffi::g_strdup(message.as_ptr());
        }
    }

    /// Adds a JSON meta holding exactly `message` (any bytes but NUL, UTF-8 or not), or no
    /// message at all for `None`, as other software may leave it.
    pub fn add_raw_message<'a>(
        buffer: &'a mut gst::BufferRef,
        message: Option<&CStr>,
    ) -> Result<MetaRefMut<'a, Self, Standalone>, glib::BoolError> {
        let meta = add_raw(buffer, json_meta_info(), JSON_META_IMPL_NAME)?;
        // SAFETY: `meta` was just added to `buffer` with the JSON meta info; its message starts
        // NULL.
        let mut meta = unsafe { Self::from_mut_ptr(buffer, meta as *mut GstGVAJSONMeta) };
        if let Some(message) = message {
            meta.set_cmessage(message);
        }
        Ok(meta)
    }
}

fn to_cstring(message: &str) -> Result<CString, NulInMessage> {
    CString::new(message).map_err(|e| NulInMessage(e.nul_position()))
}

impl fmt::Debug for JsonMeta {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("JsonMeta")
            .field("message", &self.message())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use glib::translate::IntoGlib;

    use super::*;
    use crate::test_init as init;

    #[test]
    fn layout_matches_c() {
        assert_eq!(std::mem::size_of::<GstGVAJSONMeta>(), 24);
    }

    #[test]
    fn registration_reuses_existing_api_type() {
        init();
        // An API type registered by "someone else" (with no impl yet) is reused for the impl.
        let mut tags: [*const std::os::raw::c_char; 1] = [ptr::null()];
        // SAFETY: test: valid name and NULL-terminated tags.
        let api_raw = unsafe {
            gst_ffi::gst_meta_api_type_register(
                c"GvarustTestForeignAPI".as_ptr(),
                tags.as_mut_ptr(),
            )
        };
        let reg = register(&MetaDesc {
            api_name: c"GvarustTestForeignAPI",
            impl_name: c"GvarustTestForeign",
            size: std::mem::size_of::<GstGVAJSONMeta>(),
            init: Some(json_meta_init),
            free: Some(json_meta_free),
            transform: Some(json_meta_transform),
        });
        assert_eq!(reg.api.into_glib(), api_raw);
        assert!(!reg.info.is_null());
    }

    #[test]
    fn json_meta_roundtrip() {
        init();
        let mut buffer = gst::Buffer::new();
        {
            let b = buffer.get_mut().unwrap();
            JsonMeta::add(b, "first").unwrap();
            let mut m = JsonMeta::add(b, "second").unwrap();
            m.set_message("second, changed").unwrap();
            assert_eq!(m.set_message("a\0b"), Err(NulInMessage(1)));
            assert_eq!(m.message().as_deref(), Some("second, changed"));
            assert!(matches!(
                JsonMeta::add(b, "x\0"),
                Err(AddMessageError::Nul(_))
            ));
        }
        let mut msgs: Vec<String> = buffer
            .iter_meta::<JsonMeta>()
            .map(|m| m.message().unwrap().into_owned())
            .collect();
        msgs.sort();
        assert_eq!(msgs, ["first", "second, changed"]);

        let copy = buffer.copy_deep().unwrap();
        let mut copied: Vec<String> = copy
            .iter_meta::<JsonMeta>()
            .map(|m| m.message().unwrap().into_owned())
            .collect();
        copied.sort();
        assert_eq!(copied, msgs);
    }

    #[test]
    fn json_meta_foreign_bytes_do_not_panic() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        let mut m = JsonMeta::add(b, "ok").unwrap();
        // SAFETY: test: replace the message with g_malloc'ed invalid UTF-8, as a foreign C
        // producer could.
        unsafe {
            let p = m.as_mut_ptr();
            glib::ffi::g_free((*p).message as glib::ffi::gpointer);
            (*p).message = glib::ffi::g_strdup(c"a\xffb".as_ptr());
        }
        assert_eq!(m.message_bytes(), Some(&b"a\xffb"[..]));
        assert_eq!(m.message().as_deref(), Some("a\u{fffd}b"));
        // SAFETY: test: a NULL message is valid for this meta.
        unsafe {
            let p = m.as_mut_ptr();
            glib::ffi::g_free((*p).message as glib::ffi::gpointer);
            (*p).message = ptr::null_mut();
        }
        assert_eq!(m.message(), None);
        let copy = buffer.copy();
        assert_eq!(copy.meta::<JsonMeta>().unwrap().message(), None);
    }
}
