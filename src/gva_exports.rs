//! The C entry points DL Streamer's metadata library exports, so C code and
//! ctypes users find the GVA metas through the gvarust plugin too:
//!
//! ```c
//! GType gst_gva_tensor_meta_api_get_type (void);
//! const GstMetaInfo *gst_gva_tensor_meta_get_info (void);
//! GType gst_gva_json_meta_api_get_type (void);
//! const GstMetaInfo *gst_gva_json_meta_get_info (void);
//! ```
//!
//! Each registers the meta on first use (or reuses an existing registration).
//! A failure returns 0 / NULL instead of unwinding into C.

use std::panic::catch_unwind;

use gst::glib::translate::IntoGlib;
use gvarust_meta::meta;

fn type_or_zero(get: fn() -> gst::glib::Type) -> gst::glib::ffi::GType {
    catch_unwind(get).map(IntoGlib::into_glib).unwrap_or(0)
}

fn info_or_null(get: fn() -> *const gst::ffi::GstMetaInfo) -> *const gst::ffi::GstMetaInfo {
    catch_unwind(get).unwrap_or(std::ptr::null())
}

/// The `GstGVATensorMetaAPI` GType.
#[no_mangle]
pub extern "C" fn gst_gva_tensor_meta_api_get_type() -> gst::glib::ffi::GType {
    type_or_zero(meta::tensor_meta_api_type)
}

/// The `GstGVATensorMeta` meta info.
#[no_mangle]
pub extern "C" fn gst_gva_tensor_meta_get_info() -> *const gst::ffi::GstMetaInfo {
    info_or_null(meta::tensor_meta_info)
}

/// The `GstGVAJSONMetaAPI` GType.
#[no_mangle]
pub extern "C" fn gst_gva_json_meta_api_get_type() -> gst::glib::ffi::GType {
    type_or_zero(meta::json_meta_api_type)
}

/// The `GstGVAJSONMeta` meta info.
#[no_mangle]
pub extern "C" fn gst_gva_json_meta_get_info() -> *const gst::ffi::GstMetaInfo {
    info_or_null(meta::json_meta_info)
}
