//! Registration and safe wrappers for the DL Streamer ("GVA") buffer metas.
//!
//! Three metas are defined here with exactly the names and C layouts DL Streamer uses, so that
//! buffers produced by DL Streamer elements can be read by gvarust and the other way round:
//!
//! | Meta | API type | Impl | C layout |
//! |---|---|---|---|
//! | [`TensorMeta`] | `GstGVATensorMetaAPI` | `GstGVATensorMeta` | `{ GstMeta meta; GstStructure *data; }` |
//! | [`JsonMeta`] | `GstGVAJSONMetaAPI` | `GstGVAJSONMeta` | `{ GstMeta meta; gchar *message; }` |
//! | [`AudioEventMeta`] | `GstGVAAudioEventMetaAPI` | `GstGVAAudioEventMeta` | `{ GstMeta; GQuark event_type; gint id; guint64 start_timestamp; guint64 end_timestamp; GList *params; }` |
//!
//! # Registration
//!
//! Registration happens lazily, the first time one of the `*_api_type()` / `*_info()` functions
//! (or a wrapper method that needs them) is called, never at load time. If the implementation is
//! already known to GStreamer (`gst_meta_get_info(impl_name)` is non-NULL: DL Streamer's metadata
//! library, or a second copy of this crate, e.g. the plugin and the pip-installed Python extension
//! in one process), that registration is reused and nothing is registered again. If only the API
//! type exists, the implementation is registered against the existing API type.
//!
//! Two copies of this crate registering at the very same instant from two threads could still
//! race (there is no process-wide lock shared between copies); in practice the first use happens
//! on one streaming or application thread.
//!
//! All registered metas have an empty tag list, so elements such as `videoconvert` keep them.

use std::ffi::CStr;
use std::ptr;

use glib::translate::from_glib;
use gst::meta::MetaAPI;

use gst::ffi as gst_ffi;

mod audio_event_meta;
mod json_meta;
mod tensor_meta;

pub use audio_event_meta::{
    audio_event_meta_api_type, audio_event_meta_info, AudioEventMeta, GstGVAAudioEventMeta,
    AUDIO_EVENT_META_API_NAME, AUDIO_EVENT_META_IMPL_NAME,
};
pub use json_meta::{
    json_meta_api_type, json_meta_info, AddMessageError, GstGVAJSONMeta, JsonMeta, NulInMessage,
    JSON_META_API_NAME, JSON_META_IMPL_NAME,
};
pub use tensor_meta::{
    tensor_meta_api_type, tensor_meta_info, GstGVATensorMeta, TensorMeta, TENSOR_META_API_NAME,
    TENSOR_META_IMPL_NAME, TENSOR_META_STRUCTURE_NAME,
};

/// The `&str` of a C name, so that each meta name is spelled once (as a `&CStr`).
const fn c_name(name: &'static CStr) -> &'static str {
    match std::str::from_utf8(name.to_bytes()) {
        Ok(name) => name,
        Err(_) => panic!("meta names are ASCII"),
    }
}

/// A finished registration: the API type and the implementation info.
#[derive(Clone, Copy)]
struct Registration {
    api: glib::Type,
    info: *const gst_ffi::GstMetaInfo,
}

// SAFETY: a `GstMetaInfo` is registered once and never modified or freed afterwards (GStreamer
// keeps it for the life of the process), so sharing the pointer between threads is sound.
unsafe impl Send for Registration {}

// SAFETY: see `Send` above; the pointee is immutable.
unsafe impl Sync for Registration {}

/// Description of one meta to register.
struct MetaDesc<'a> {
    api_name: &'a CStr,
    impl_name: &'a CStr,
    size: usize,
    init: gst_ffi::GstMetaInitFunction,
    free: gst_ffi::GstMetaFreeFunction,
    transform: gst_ffi::GstMetaTransformFunction,
}

/// Finds an existing registration of `desc` in the process, or registers it.
///
/// # Panics
/// Panics if GStreamer refuses to register the API type (only possible when a non-meta GType
/// already uses the API name): continuing with an invalid API type would make
/// `gst::BufferRef::iter_meta` treat every meta as this one, which is unsound.
fn register(desc: &MetaDesc<'_>) -> Registration {
    // SAFETY: `impl_name` is a valid NUL-terminated string; gst_meta_get_info only looks it up
    // in GStreamer's (internally locked) table and returns NULL or a process-lifetime info.
    let existing = unsafe { gst_ffi::gst_meta_get_info(desc.impl_name.as_ptr()) };
    if !existing.is_null() {
        // SAFETY: a non-NULL info returned by gst_meta_get_info is valid for the whole process.
        let api: glib::Type = unsafe { from_glib((*existing).api) };
        if api != glib::Type::INVALID {
            return Registration {
                api,
                info: existing,
            };
        }
    }

    // SAFETY: `api_name` is a valid NUL-terminated string; g_type_from_name is thread-safe.
    let mut api_raw = unsafe { glib::gobject_ffi::g_type_from_name(desc.api_name.as_ptr()) };
    if api_raw == 0 {
        // An empty, NULL-terminated tag list. GStreamer copies the tags, so a stack array is fine.
        let mut tags: [*const std::os::raw::c_char; 1] = [ptr::null()];
        // SAFETY: valid name and a NULL-terminated tag array that lives across the call.
        api_raw = unsafe {
            gst_ffi::gst_meta_api_type_register(desc.api_name.as_ptr(), tags.as_mut_ptr())
        };
    }
    assert_ne!(
        api_raw, 0,
        "could not register GStreamer meta API type {:?}",
        desc.api_name
    );

    // SAFETY: `api_raw` is a registered meta API type, the name is a valid C string, `size` is the
    // size of the matching #[repr(C)] struct and the callbacks match the C signatures GStreamer
    // expects for exactly that struct.
    let info = unsafe {
        gst_ffi::gst_meta_register(
            api_raw,
            desc.impl_name.as_ptr(),
            desc.size,
            desc.init,
            desc.free,
            desc.transform,
        )
    };
    // SAFETY: `api_raw` is a valid, registered GType (checked non-zero above).
    let api: glib::Type = unsafe { from_glib(api_raw) };
    Registration { api, info }
}

/// The per-process sequence number GStreamer gave a meta when it was added to its buffer
/// (`gst_meta_get_seqnum`). Unique among all metas of the process; usable as an identity.
pub fn meta_seqnum<T: MetaAPI>(meta: &T) -> u64 {
    // SAFETY: every `MetaAPI` type is a #[repr(C)]/transparent wrapper whose first member is a
    // `GstMeta`, and `meta` is a live reference into a buffer's meta list.
    unsafe { gst_ffi::gst_meta_get_seqnum(meta as *const T as *const gst_ffi::GstMeta) }
}

/// Adds a meta described by `info` to `buffer`, or an error if GStreamer refuses.
fn add_raw(
    buffer: &mut gst::BufferRef,
    info: *const gst_ffi::GstMetaInfo,
    what: &str,
) -> Result<*mut gst_ffi::GstMeta, glib::BoolError> {
    if info.is_null() {
        return Err(glib::bool_error!("{what} is not registered"));
    }
    // SAFETY: `&mut BufferRef` guarantees the buffer is writable and exclusively borrowed; `info`
    // is a registered, process-lifetime meta info; our init functions ignore `params`.
    let meta = unsafe { gst_ffi::gst_buffer_add_meta(buffer.as_mut_ptr(), info, ptr::null_mut()) };
    if meta.is_null() {
        Err(glib::bool_error!("Failed to add {what} to buffer"))
    } else {
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;

    use super::*;
    use crate::test_init as init;

    #[test]
    fn registration_names_and_reuse() {
        init();
        let api = tensor_meta_api_type();
        assert_eq!(api.name(), TENSOR_META_API_NAME);
        assert_eq!(json_meta_api_type().name(), JSON_META_API_NAME);
        assert_eq!(
            audio_event_meta_api_type().name(),
            AUDIO_EVENT_META_API_NAME
        );
        let info = tensor_meta_info();
        assert!(!info.is_null());
        // SAFETY: test: a registered info is valid for the process.
        unsafe {
            assert_eq!((*info).size, 24);
            let ty: glib::Type = from_glib((*info).type_);
            assert_eq!(ty.name(), TENSOR_META_IMPL_NAME);
        }

        // A second copy of this crate would run `register` again: it must find and reuse the
        // existing registration, not register anew.
        for (api, info, api_name) in [
            (
                tensor_meta_api_type(),
                tensor_meta_info(),
                TENSOR_META_API_NAME,
            ),
            (json_meta_api_type(), json_meta_info(), JSON_META_API_NAME),
            (
                audio_event_meta_api_type(),
                audio_event_meta_info(),
                AUDIO_EVENT_META_API_NAME,
            ),
        ] {
            let impl_name = api_name.trim_end_matches("API");
            let c_impl = CString::new(impl_name).unwrap();
            let c_api = CString::new(api_name).unwrap();
            let again = register(&MetaDesc {
                api_name: &c_api,
                impl_name: &c_impl,
                size: 0,
                init: None,
                free: None,
                transform: None,
            });
            assert_eq!(again.api, api);
            assert_eq!(again.info, info);
        }
        // No tags: videoconvert and friends keep these metas.
        assert!(gst::meta::meta_api_type_get_tags(api).is_empty());
    }
}
