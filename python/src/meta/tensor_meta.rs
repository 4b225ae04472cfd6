//! The GVA tensor meta (`GstGVATensorMetaAPI` / `GstGVATensorMeta`): a frame-level tensor held
//! in one `GstStructure`, layout `{ GstMeta meta; GstStructure *data; }`.

use std::ffi::CStr;
use std::fmt;
use std::ptr;
use std::sync::OnceLock;

use glib::translate::IntoGlibPtr;
use gst::meta::{MetaAPI, MetaAPIExt, MetaRefMut, Standalone};

use gst::ffi as gst_ffi;

use super::{add_raw, c_name, register, MetaDesc, Registration};

const API_CNAME: &CStr = c"GstGVATensorMetaAPI";
const IMPL_CNAME: &CStr = c"GstGVATensorMeta";
const STRUCTURE_CNAME: &CStr = c"meta";

/// C name of the GVA tensor meta API type.
pub const TENSOR_META_API_NAME: &str = c_name(API_CNAME);
/// C name of the GVA tensor meta implementation.
pub const TENSOR_META_IMPL_NAME: &str = c_name(IMPL_CNAME);
/// Name of the (empty) structure a freshly added tensor meta holds.
pub const TENSOR_META_STRUCTURE_NAME: &str = c_name(STRUCTURE_CNAME);

/// C layout of DL Streamer's `GstGVATensorMeta` (24 bytes on x86-64).
#[repr(C)]
#[derive(Debug)]
pub struct GstGVATensorMeta {
    /// The parent `GstMeta`.
    pub meta: gst_ffi::GstMeta,
    /// The tensor structure, owned by the meta (may be NULL only in foreign, broken metas).
    pub data: *mut gst_ffi::GstStructure,
}

static TENSOR_REG: OnceLock<Registration> = OnceLock::new();

fn tensor_reg() -> Registration {
    *TENSOR_REG.get_or_init(|| {
        register(&MetaDesc {
            api_name: API_CNAME,
            impl_name: IMPL_CNAME,
            size: std::mem::size_of::<GstGVATensorMeta>(),
            init: Some(tensor_meta_init),
            free: Some(tensor_meta_free),
            transform: Some(tensor_meta_transform),
        })
    })
}

/// The `GstGVATensorMetaAPI` type, registering it on first use (or reusing an existing one).
///
/// # Panics
/// Only if GStreamer cannot register the API type at all (a non-meta GType already has the
/// name); this also applies to the JSON and audio event functions and to every wrapper method
/// that needs the registration.
///
/// ```
/// gst::init().unwrap();
/// assert_eq!(gvarust_meta::meta::tensor_meta_api_type().name(), "GstGVATensorMetaAPI");
/// ```
pub fn tensor_meta_api_type() -> glib::Type {
    tensor_reg().api
}

/// The `GstGVATensorMeta` implementation info (NULL only if GStreamer refused the registration).
pub fn tensor_meta_info() -> *const gst_ffi::GstMetaInfo {
    tensor_reg().info
}

// C callbacks. They must never unwind: none of them can panic.

unsafe extern "C" fn tensor_meta_init(
    meta: *mut gst_ffi::GstMeta,
    _params: glib::ffi::gpointer,
    _buffer: *mut gst_ffi::GstBuffer,
) -> glib::ffi::gboolean {
    let meta = meta as *mut GstGVATensorMeta;
    // SAFETY: GStreamer calls init with a block of `size_of::<GstGVATensorMeta>()` bytes.
    unsafe {
        (*meta).data = gst_ffi::gst_structure_new_empty(STRUCTURE_CNAME.as_ptr());
    }
    glib::ffi::GTRUE
}

unsafe extern "C" fn tensor_meta_free(
    meta: *mut gst_ffi::GstMeta,
    _buffer: *mut gst_ffi::GstBuffer,
) {
    let meta = meta as *mut GstGVATensorMeta;
    // SAFETY: `meta` is one of our tensor metas; `data` is NULL or a structure we own.
    unsafe {
        if !(*meta).data.is_null() {
            gst_ffi::gst_structure_free((*meta).data);
            (*meta).data = ptr::null_mut();
        }
    }
}

unsafe extern "C" fn tensor_meta_transform(
    dest: *mut gst_ffi::GstBuffer,
    meta: *mut gst_ffi::GstMeta,
    _src: *mut gst_ffi::GstBuffer,
    _type: glib::ffi::GQuark,
    _data: glib::ffi::gpointer,
) -> glib::ffi::gboolean {
    // SAFETY: GStreamer passes a writable destination buffer and a source meta of our type; the
    // info pointer comes from the source meta itself, so it is the registration in use.
    unsafe {
        let src = meta as *mut GstGVATensorMeta;
        let dst = gst_ffi::gst_buffer_add_meta(dest, (*meta).info, ptr::null_mut())
            as *mut GstGVATensorMeta;
        if dst.is_null() {
            return glib::ffi::GFALSE;
        }
        if !(*dst).data.is_null() {
            gst_ffi::gst_structure_free((*dst).data);
        }
        (*dst).data = if (*src).data.is_null() {
            gst_ffi::gst_structure_new_empty(STRUCTURE_CNAME.as_ptr())
        } else {
            gst_ffi::gst_structure_copy((*src).data)
        };
    }
    glib::ffi::GTRUE
}

/// An empty `meta` structure handed out for foreign tensor metas whose `data` is NULL.
fn empty_meta_structure() -> &'static gst::StructureRef {
    static EMPTY: OnceLock<gst::Structure> = OnceLock::new();
    EMPTY.get_or_init(|| gst::Structure::new_empty(TENSOR_META_STRUCTURE_NAME))
}

/// Safe view of a `GstGVATensorMeta`: a frame-level tensor held in one `GstStructure`.
///
/// ```
/// use gvarust_meta::meta::TensorMeta;
/// gst::init().unwrap();
/// let mut buffer = gst::Buffer::new();
/// {
///     let buffer = buffer.get_mut().unwrap();
///     let mut meta = TensorMeta::add(buffer).unwrap();
///     meta.structure_mut().set("layer_name", "output");
/// }
/// let meta = buffer.meta::<TensorMeta>().unwrap();
/// assert_eq!(meta.structure().name(), "meta");
/// assert_eq!(meta.structure().get::<&str>("layer_name").unwrap(), "output");
/// ```
#[repr(transparent)]
pub struct TensorMeta(GstGVATensorMeta);

// SAFETY: the meta is plain data owned by its buffer; gst-rs' borrow rules on buffers govern
// concurrent access, as for every other meta type.
unsafe impl Send for TensorMeta {}

// SAFETY: see `Send`.
unsafe impl Sync for TensorMeta {}

// SAFETY: `TensorMeta` is #[repr(transparent)] over the C struct registered for this API type.
unsafe impl MetaAPI for TensorMeta {
    type GstType = GstGVATensorMeta;

    fn meta_api() -> glib::Type {
        tensor_meta_api_type()
    }
}

impl TensorMeta {
    /// Adds a new tensor meta holding an empty structure named `meta`.
    pub fn add(
        buffer: &mut gst::BufferRef,
    ) -> Result<MetaRefMut<'_, Self, Standalone>, glib::BoolError> {
        let meta = add_raw(buffer, tensor_meta_info(), TENSOR_META_IMPL_NAME)?;
        // SAFETY: `meta` was just added to `buffer` with the tensor meta info, so it points to a
        // `GstGVATensorMeta` owned by `buffer`.
        Ok(unsafe { Self::from_mut_ptr(buffer, meta as *mut GstGVATensorMeta) })
    }

    /// Adds a new tensor meta holding a copy of `structure` (name included).
    pub fn add_with_structure(
        buffer: &mut gst::BufferRef,
        structure: gst::Structure,
    ) -> Result<MetaRefMut<'_, Self, Standalone>, glib::BoolError> {
        let mut meta = Self::add(buffer)?;
        meta.set_structure(structure);
        Ok(meta)
    }

    /// The tensor structure. A foreign meta with a NULL structure reads as an empty `meta`
    /// structure.
    pub fn structure(&self) -> &gst::StructureRef {
        if self.0.data.is_null() {
            empty_meta_structure()
        } else {
            // SAFETY: non-NULL `data` is a structure owned by this meta, alive as long as `self`.
            unsafe { gst::StructureRef::from_glib_borrow(self.0.data) }
        }
    }

    /// The tensor structure, mutable. A NULL structure is first replaced by an empty `meta` one.
    pub fn structure_mut(&mut self) -> &mut gst::StructureRef {
        if self.0.data.is_null() {
            self.0.data = gst::Structure::new_empty(TENSOR_META_STRUCTURE_NAME).into_glib_ptr();
        }
        // SAFETY: `data` is now a non-NULL structure owned by this meta, exclusively borrowed.
        unsafe { gst::StructureRef::from_glib_borrow_mut(self.0.data) }
    }

    /// Replaces the tensor structure.
    pub fn set_structure(&mut self, structure: gst::Structure) {
        let old = std::mem::replace(&mut self.0.data, structure.into_glib_ptr());
        if !old.is_null() {
            // SAFETY: the old structure was owned by this meta and is no longer referenced.
            unsafe { gst_ffi::gst_structure_free(old) };
        }
    }
}

impl fmt::Debug for TensorMeta {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("TensorMeta")
            .field("structure", &self.structure())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::meta_seqnum;
    use crate::test_init as init;

    #[test]
    fn layout_matches_c() {
        assert_eq!(std::mem::size_of::<GstGVATensorMeta>(), 24);
    }

    #[test]
    fn tensor_meta_roundtrip_and_copies() {
        init();
        let mut buffer = gst::Buffer::with_size(16).unwrap();
        {
            let b = buffer.get_mut().unwrap();
            let mut m = TensorMeta::add(b).unwrap();
            assert_eq!(m.structure().name(), "meta");
            assert_eq!(m.structure().n_fields(), 0);
            m.structure_mut().set("layer_name", "out");
            m.structure_mut().set_name("detection");
            let mut m2 = TensorMeta::add(b).unwrap();
            m2.structure_mut().set("k", 7i32);
        }
        assert_eq!(buffer.iter_meta::<TensorMeta>().count(), 2);
        let seqnums: Vec<u64> = buffer
            .iter_meta::<TensorMeta>()
            .map(|m| meta_seqnum(&*m))
            .collect();
        assert_ne!(seqnums[0], seqnums[1]);

        for copy in [buffer.copy(), buffer.copy_deep().unwrap()] {
            let mut names: Vec<String> = copy
                .iter_meta::<TensorMeta>()
                .map(|m| m.structure().name().to_string())
                .collect();
            names.sort();
            assert_eq!(names, ["detection", "meta"]);
            let det = copy
                .iter_meta::<TensorMeta>()
                .find(|m| m.structure().name() == "detection")
                .unwrap();
            assert_eq!(det.structure().get::<&str>("layer_name").unwrap(), "out");
        }

        // gst_buffer_copy_into with metadata (what non in-place elements do).
        let mut dest = gst::Buffer::new();
        buffer
            .copy_into(dest.get_mut().unwrap(), gst::BufferCopyFlags::META, ..)
            .unwrap();
        assert_eq!(dest.iter_meta::<TensorMeta>().count(), 2);

        // The copies are independent: changing the copy leaves the source alone.
        let mut copy = buffer.copy();
        for mut m in copy.get_mut().unwrap().iter_meta_mut::<TensorMeta>() {
            m.structure_mut().set("changed", true);
        }
        assert!(buffer
            .iter_meta::<TensorMeta>()
            .all(|m| !m.structure().has_field("changed")));

        // set_structure replaces and meta_mut works.
        let b = buffer.get_mut().unwrap();
        let mut m = b.meta_mut::<TensorMeta>().unwrap();
        m.set_structure(gst::Structure::builder("replaced").field("x", 1i32).build());
        assert_eq!(m.structure().name(), "replaced");
        m.remove().unwrap();
        assert_eq!(buffer.iter_meta::<TensorMeta>().count(), 1);
    }

    #[test]
    fn tensor_meta_with_null_structure_is_safe() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        let mut m = TensorMeta::add(b).unwrap();
        // Simulate a broken foreign producer.
        // SAFETY: test: we free the structure before clearing the pointer, so nothing leaks or
        // dangles.
        unsafe {
            let p = m.as_mut_ptr();
            gst_ffi::gst_structure_free((*p).data);
            (*p).data = ptr::null_mut();
        }
        assert_eq!(m.structure().name(), "meta");
        let copy = buffer.copy();
        assert_eq!(
            copy.meta::<TensorMeta>().unwrap().structure().name(),
            "meta"
        );
        let b = buffer.get_mut().unwrap();
        let mut m = b.meta_mut::<TensorMeta>().unwrap();
        m.structure_mut().set("a", 1i32);
        assert_eq!(m.structure().get::<i32>("a").unwrap(), 1);
    }
}
