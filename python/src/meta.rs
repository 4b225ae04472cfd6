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

use std::borrow::Cow;
use std::ffi::{CStr, CString};
use std::fmt;
use std::ptr;
use std::sync::OnceLock;

use glib::translate::{from_glib, IntoGlib, IntoGlibPtr};
use gst::meta::{MetaAPI, MetaAPIExt, MetaRefMut, Standalone};

use gst::ffi as gst_ffi;

/// C name of the GVA tensor meta API type.
pub const TENSOR_META_API_NAME: &str = "GstGVATensorMetaAPI";
/// C name of the GVA tensor meta implementation.
pub const TENSOR_META_IMPL_NAME: &str = "GstGVATensorMeta";
/// C name of the GVA JSON meta API type.
pub const JSON_META_API_NAME: &str = "GstGVAJSONMetaAPI";
/// C name of the GVA JSON meta implementation.
pub const JSON_META_IMPL_NAME: &str = "GstGVAJSONMeta";
/// C name of the GVA audio event meta API type.
pub const AUDIO_EVENT_META_API_NAME: &str = "GstGVAAudioEventMetaAPI";
/// C name of the GVA audio event meta implementation.
pub const AUDIO_EVENT_META_IMPL_NAME: &str = "GstGVAAudioEventMeta";

/// Name of the (empty) structure a freshly added tensor meta holds.
pub const TENSOR_META_STRUCTURE_NAME: &str = "meta";

// ---------------------------------------------------------------------------------------------
// C layouts
// ---------------------------------------------------------------------------------------------

/// C layout of DL Streamer's `GstGVATensorMeta` (24 bytes on x86-64).
#[repr(C)]
#[derive(Debug)]
pub struct GstGVATensorMeta {
    /// The parent `GstMeta`.
    pub meta: gst_ffi::GstMeta,
    /// The tensor structure, owned by the meta (may be NULL only in foreign, broken metas).
    pub data: *mut gst_ffi::GstStructure,
}

/// C layout of DL Streamer's `GstGVAJSONMeta` (24 bytes on x86-64).
#[repr(C)]
#[derive(Debug)]
pub struct GstGVAJSONMeta {
    /// The parent `GstMeta`.
    pub meta: gst_ffi::GstMeta,
    /// NUL-terminated message allocated with `g_malloc`, owned by the meta, or NULL.
    pub message: *mut std::os::raw::c_char,
}

/// C layout of DL Streamer's `GstGVAAudioEventMeta` (48 bytes on x86-64).
#[repr(C)]
#[derive(Debug)]
pub struct GstGVAAudioEventMeta {
    /// The parent `GstMeta`.
    pub meta: gst_ffi::GstMeta,
    /// Event type as a `GQuark` (0 = none).
    pub event_type: glib::ffi::GQuark,
    /// Event id.
    pub id: i32,
    /// Start of the event, in nanoseconds.
    pub start_timestamp: u64,
    /// End of the event, in nanoseconds.
    pub end_timestamp: u64,
    /// `GList` of owned `GstStructure *`.
    pub params: *mut glib::ffi::GList,
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

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

static TENSOR_REG: OnceLock<Registration> = OnceLock::new();
static JSON_REG: OnceLock<Registration> = OnceLock::new();
static AUDIO_EVENT_REG: OnceLock<Registration> = OnceLock::new();

fn tensor_reg() -> Registration {
    *TENSOR_REG.get_or_init(|| {
        register(&MetaDesc {
            api_name: c"GstGVATensorMetaAPI",
            impl_name: c"GstGVATensorMeta",
            size: std::mem::size_of::<GstGVATensorMeta>(),
            init: Some(tensor_meta_init),
            free: Some(tensor_meta_free),
            transform: Some(tensor_meta_transform),
        })
    })
}

fn json_reg() -> Registration {
    *JSON_REG.get_or_init(|| {
        register(&MetaDesc {
            api_name: c"GstGVAJSONMetaAPI",
            impl_name: c"GstGVAJSONMeta",
            size: std::mem::size_of::<GstGVAJSONMeta>(),
            init: Some(json_meta_init),
            free: Some(json_meta_free),
            transform: Some(json_meta_transform),
        })
    })
}

fn audio_event_reg() -> Registration {
    *AUDIO_EVENT_REG.get_or_init(|| {
        register(&MetaDesc {
            api_name: c"GstGVAAudioEventMetaAPI",
            impl_name: c"GstGVAAudioEventMeta",
            size: std::mem::size_of::<GstGVAAudioEventMeta>(),
            init: Some(audio_event_meta_init),
            free: Some(audio_event_meta_free),
            transform: Some(audio_event_meta_transform),
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

/// The `GstGVAJSONMetaAPI` type, registering it on first use (or reusing an existing one).
pub fn json_meta_api_type() -> glib::Type {
    json_reg().api
}

/// The `GstGVAJSONMeta` implementation info (NULL only if GStreamer refused the registration).
pub fn json_meta_info() -> *const gst_ffi::GstMetaInfo {
    json_reg().info
}

/// The `GstGVAAudioEventMetaAPI` type, registering it on first use (or reusing an existing one).
pub fn audio_event_meta_api_type() -> glib::Type {
    audio_event_reg().api
}

/// The `GstGVAAudioEventMeta` implementation info (NULL only if GStreamer refused the
/// registration).
pub fn audio_event_meta_info() -> *const gst_ffi::GstMetaInfo {
    audio_event_reg().info
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

// ---------------------------------------------------------------------------------------------
// C callbacks. They must never unwind: none of them can panic.
// ---------------------------------------------------------------------------------------------

unsafe extern "C" fn tensor_meta_init(
    meta: *mut gst_ffi::GstMeta,
    _params: glib::ffi::gpointer,
    _buffer: *mut gst_ffi::GstBuffer,
) -> glib::ffi::gboolean {
    let meta = meta as *mut GstGVATensorMeta;
    // SAFETY: GStreamer calls init with a block of `size_of::<GstGVATensorMeta>()` bytes.
    unsafe {
        (*meta).data = gst_ffi::gst_structure_new_empty(c"meta".as_ptr());
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
            gst_ffi::gst_structure_new_empty(c"meta".as_ptr())
        } else {
            gst_ffi::gst_structure_copy((*src).data)
        };
    }
    glib::ffi::GTRUE
}

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

unsafe extern "C" fn audio_event_meta_init(
    meta: *mut gst_ffi::GstMeta,
    _params: glib::ffi::gpointer,
    _buffer: *mut gst_ffi::GstBuffer,
) -> glib::ffi::gboolean {
    // SAFETY: GStreamer calls init with a block of `size_of::<GstGVAAudioEventMeta>()` bytes.
    unsafe {
        let meta = meta as *mut GstGVAAudioEventMeta;
        (*meta).event_type = 0;
        (*meta).id = 0;
        (*meta).start_timestamp = 0;
        (*meta).end_timestamp = 0;
        (*meta).params = ptr::null_mut();
    }
    glib::ffi::GTRUE
}

unsafe extern "C" fn free_structure(data: glib::ffi::gpointer) {
    // SAFETY: only used on lists of owned GstStructure pointers.
    unsafe {
        if !data.is_null() {
            gst_ffi::gst_structure_free(data as *mut gst_ffi::GstStructure);
        }
    }
}

unsafe extern "C" fn audio_event_meta_free(
    meta: *mut gst_ffi::GstMeta,
    _buffer: *mut gst_ffi::GstBuffer,
) {
    // SAFETY: `meta` is one of our audio event metas; `params` is a list of owned structures.
    unsafe {
        let meta = meta as *mut GstGVAAudioEventMeta;
        glib::ffi::g_list_free_full((*meta).params, Some(free_structure));
        (*meta).params = ptr::null_mut();
    }
}

unsafe extern "C" fn audio_event_meta_transform(
    dest: *mut gst_ffi::GstBuffer,
    meta: *mut gst_ffi::GstMeta,
    _src: *mut gst_ffi::GstBuffer,
    _type: glib::ffi::GQuark,
    _data: glib::ffi::gpointer,
) -> glib::ffi::gboolean {
    // SAFETY: writable destination, source meta of our type (see tensor_meta_transform); the
    // source list holds structures (NULL entries are skipped).
    unsafe {
        let src = meta as *mut GstGVAAudioEventMeta;
        let dst = gst_ffi::gst_buffer_add_meta(dest, (*meta).info, ptr::null_mut())
            as *mut GstGVAAudioEventMeta;
        if dst.is_null() {
            return glib::ffi::GFALSE;
        }
        (*dst).event_type = (*src).event_type;
        (*dst).id = (*src).id;
        (*dst).start_timestamp = (*src).start_timestamp;
        (*dst).end_timestamp = (*src).end_timestamp;
        let mut copied: *mut glib::ffi::GList = ptr::null_mut();
        let mut walk = (*src).params;
        while !walk.is_null() {
            let s = (*walk).data as *const gst_ffi::GstStructure;
            if !s.is_null() {
                copied = glib::ffi::g_list_prepend(copied, gst_ffi::gst_structure_copy(s) as _);
            }
            walk = (*walk).next;
        }
        glib::ffi::g_list_free_full((*dst).params, Some(free_structure));
        (*dst).params = glib::ffi::g_list_reverse(copied);
    }
    glib::ffi::GTRUE
}

// ---------------------------------------------------------------------------------------------
// Safe wrappers
// ---------------------------------------------------------------------------------------------

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
        let meta = add_raw(buffer, tensor_meta_info(), "GstGVATensorMeta")?;
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
            add_raw(buffer, json_meta_info(), "GstGVAJSONMeta").map_err(AddMessageError::Add)?;
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

/// Safe view of a `GstGVAAudioEventMeta`: an audio detection event with parameter structures.
///
/// ```
/// use gvarust_meta::meta::AudioEventMeta;
/// gst::init().unwrap();
/// let mut buffer = gst::Buffer::new();
/// {
///     let mut meta = AudioEventMeta::add(buffer.get_mut().unwrap(), "Speech", 0, 1_000).unwrap();
///     meta.add_param(gst::Structure::builder("detection").field("confidence", 0.9f64).build());
/// }
/// let meta = buffer.meta::<AudioEventMeta>().unwrap();
/// assert_eq!(meta.event_type(), Some("Speech"));
/// assert_eq!(meta.params().count(), 1);
/// ```
#[repr(transparent)]
pub struct AudioEventMeta(GstGVAAudioEventMeta);

// SAFETY: see `TensorMeta`.
unsafe impl Send for AudioEventMeta {}
// SAFETY: see `TensorMeta`.
unsafe impl Sync for AudioEventMeta {}

// SAFETY: `AudioEventMeta` is #[repr(transparent)] over the C struct registered for this API.
unsafe impl MetaAPI for AudioEventMeta {
    type GstType = GstGVAAudioEventMeta;

    fn meta_api() -> glib::Type {
        audio_event_meta_api_type()
    }
}

impl AudioEventMeta {
    /// Adds an audio event meta with the given type and timestamps (nanoseconds), id 0 and no
    /// parameters.
    pub fn add<'a>(
        buffer: &'a mut gst::BufferRef,
        event_type: &str,
        start_timestamp: u64,
        end_timestamp: u64,
    ) -> Result<MetaRefMut<'a, Self, Standalone>, glib::BoolError> {
        let meta = add_raw(buffer, audio_event_meta_info(), "GstGVAAudioEventMeta")?;
        // SAFETY: `meta` was just added to `buffer` with the audio event meta info.
        let mut meta = unsafe { Self::from_mut_ptr(buffer, meta as *mut GstGVAAudioEventMeta) };
        meta.set_event_type(event_type);
        meta.0.start_timestamp = start_timestamp;
        meta.0.end_timestamp = end_timestamp;
        Ok(meta)
    }

    /// The event type (quark string), or `None` if unset, unknown or not valid UTF-8.
    pub fn event_type(&self) -> Option<&'static str> {
        if self.0.event_type == 0 {
            None
        } else {
            // SAFETY: a non-zero quark value stored by a producer; quark strings live forever.
            // g_quark_to_string returns NULL for unknown quarks, which we map to None.
            unsafe {
                let s = glib::ffi::g_quark_to_string(self.0.event_type);
                if s.is_null() {
                    None
                } else {
                    CStr::from_ptr(s).to_str().ok()
                }
            }
        }
    }

    /// Sets the event type (stored as a quark).
    pub fn set_event_type(&mut self, event_type: &str) {
        self.0.event_type = glib::Quark::from_str(event_type).into_glib();
    }

    /// The event id.
    pub fn id(&self) -> i32 {
        self.0.id
    }

    /// Sets the event id.
    pub fn set_id(&mut self, id: i32) {
        self.0.id = id;
    }

    /// Start of the event in nanoseconds.
    pub fn start_timestamp(&self) -> u64 {
        self.0.start_timestamp
    }

    /// End of the event in nanoseconds.
    pub fn end_timestamp(&self) -> u64 {
        self.0.end_timestamp
    }

    /// Sets both timestamps (nanoseconds).
    pub fn set_timestamps(&mut self, start: u64, end: u64) {
        self.0.start_timestamp = start;
        self.0.end_timestamp = end;
    }

    /// The parameter structures, in list order (NULL entries are skipped).
    pub fn params(&self) -> impl Iterator<Item = &gst::StructureRef> + '_ {
        GListStructures {
            list: self.0.params,
            _owner: std::marker::PhantomData,
        }
    }

    /// The first parameter structure named `name`.
    pub fn param(&self, name: &str) -> Option<&gst::StructureRef> {
        self.params().find(|s| s.name() == name)
    }

    /// The parameter structures, in list order, writable.
    pub fn params_mut(&mut self) -> crate::region::ParamsIterMut<'_> {
        // SAFETY: `params` is this meta's list of owned structures, and `&mut self` keeps it
        // alive and exclusively borrowed for the iterator's lifetime.
        unsafe { crate::region::ParamsIterMut::new(self.0.params) }
    }

    /// Appends a parameter structure and returns it, writable (now owned by the meta).
    pub fn add_param(&mut self, structure: gst::Structure) -> &mut gst::StructureRef {
        let ptr = structure.into_glib_ptr();
        // SAFETY: `params` is a list we own; the appended structure becomes owned by the list
        // (the free function releases it), and `&mut self` borrows it exclusively for the
        // returned reference's lifetime.
        unsafe {
            self.0.params = glib::ffi::g_list_append(self.0.params, ptr as glib::ffi::gpointer);
            gst::StructureRef::from_glib_borrow_mut(ptr)
        }
    }

    /// The parameter structure stored at address `ptr`, if it is (still) one of the event's
    /// parameters. The address identifies a structure across calls; it is only compared, never
    /// dereferenced unless found in the list.
    pub fn param_by_ptr(&self, ptr: *const gst::ffi::GstStructure) -> Option<&gst::StructureRef> {
        self.params().find(|s| std::ptr::eq(s.as_ptr(), ptr))
    }

    /// The parameter structure stored at address `ptr`, writable (see
    /// [`AudioEventMeta::param_by_ptr`]).
    pub fn param_by_ptr_mut(
        &mut self,
        ptr: *const gst::ffi::GstStructure,
    ) -> Option<&mut gst::StructureRef> {
        self.params_mut().find(|s| std::ptr::eq(s.as_ptr(), ptr))
    }

    /// The first parameter structure named `detection` (what `gvaaudiodetect` attaches, with
    /// `label_id`, `confidence`, `start_timestamp` and `end_timestamp`), if any.
    pub fn detection(&self) -> Option<&gst::StructureRef> {
        self.param("detection")
    }

    /// The detection's `confidence` (a double), if any.
    pub fn confidence(&self) -> Option<f64> {
        self.detection()?.get::<f64>("confidence").ok()
    }

    /// The detection's `label_id` (an int), if any.
    pub fn label_id(&self) -> Option<i32> {
        self.detection()?.get::<i32>("label_id").ok()
    }
}

impl fmt::Debug for AudioEventMeta {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_struct("AudioEventMeta")
            .field("event_type", &self.event_type())
            .field("id", &self.id())
            .field("start_timestamp", &self.start_timestamp())
            .field("end_timestamp", &self.end_timestamp())
            .field("params", &self.params().collect::<Vec<_>>())
            .finish()
    }
}

/// Iterator over the `GstStructure *` items of a `GList` borrowed from an owner.
pub(crate) struct GListStructures<'a> {
    pub(crate) list: *mut glib::ffi::GList,
    pub(crate) _owner: std::marker::PhantomData<&'a ()>,
}

impl<'a> Iterator for GListStructures<'a> {
    type Item = &'a gst::StructureRef;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.list.is_null() {
            // SAFETY: `list` is a live node of a list owned by a meta borrowed for 'a; its data
            // is NULL or a structure owned by the list.
            unsafe {
                let data = (*self.list).data as *const gst_ffi::GstStructure;
                self.list = (*self.list).next;
                if !data.is_null() {
                    return Some(gst::StructureRef::from_glib_borrow(data));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_init as init;

    #[test]
    fn layouts_match_c() {
        assert_eq!(std::mem::size_of::<GstGVATensorMeta>(), 24);
        assert_eq!(std::mem::size_of::<GstGVAJSONMeta>(), 24);
        assert_eq!(std::mem::size_of::<GstGVAAudioEventMeta>(), 48);
        assert_eq!(std::mem::offset_of!(GstGVAAudioEventMeta, event_type), 16);
        assert_eq!(std::mem::offset_of!(GstGVAAudioEventMeta, id), 20);
        assert_eq!(
            std::mem::offset_of!(GstGVAAudioEventMeta, start_timestamp),
            24
        );
        assert_eq!(std::mem::offset_of!(GstGVAAudioEventMeta, params), 40);
    }

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
        for (desc_reg, api_name) in [
            (tensor_reg(), TENSOR_META_API_NAME),
            (json_reg(), JSON_META_API_NAME),
            (audio_event_reg(), AUDIO_EVENT_META_API_NAME),
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
            assert_eq!(again.api, desc_reg.api);
            assert_eq!(again.info, desc_reg.info);
        }
        // No tags: videoconvert and friends keep these metas.
        assert!(gst::meta::meta_api_type_get_tags(api).is_empty());
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

    #[test]
    fn audio_event_meta_roundtrip_and_deep_copy() {
        init();
        let mut buffer = gst::Buffer::new();
        {
            let b = buffer.get_mut().unwrap();
            let mut m = AudioEventMeta::add(b, "Speech", 10, 20).unwrap();
            m.set_id(5);
            m.add_param(
                gst::Structure::builder("detection")
                    .field("confidence", 0.5f64)
                    .build(),
            );
            m.add_param(gst::Structure::new_empty("second"));
        }
        let copy = buffer.copy();
        for buf in [&buffer, &copy] {
            let m = buf.meta::<AudioEventMeta>().unwrap();
            assert_eq!(m.event_type(), Some("Speech"));
            assert_eq!(m.id(), 5);
            assert_eq!((m.start_timestamp(), m.end_timestamp()), (10, 20));
            let names: Vec<&str> = m.params().map(|s| s.name().as_str()).collect();
            assert_eq!(names, ["detection", "second"]);
            assert_eq!(
                m.param("detection")
                    .unwrap()
                    .get::<f64>("confidence")
                    .unwrap(),
                0.5
            );
        }
        {
            let mut copy = copy.clone();
            let c = copy.make_mut();
            let mut m = c.meta_mut::<AudioEventMeta>().unwrap();
            for p in m.params_mut() {
                p.set("edited", true);
            }
            assert!(m.params().all(|p| p.has_field("edited")));
        }
        // Deep copy: the structures are distinct objects.
        let a = buffer.meta::<AudioEventMeta>().unwrap();
        let b = copy.meta::<AudioEventMeta>().unwrap();
        let pa = a.params().next().unwrap() as *const gst::StructureRef;
        let pb = b.params().next().unwrap() as *const gst::StructureRef;
        assert_ne!(pa, pb);
    }

    #[test]
    fn audio_event_detection_and_params_by_address() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        let mut m = AudioEventMeta::add(b, "Dog", 0, 5).unwrap();
        assert_eq!(
            (m.detection().is_none(), m.confidence(), m.label_id()),
            (true, None, None)
        );
        let other = m.add_param(gst::Structure::new_empty("text")).as_ptr();
        let det = m
            .add_param(
                gst::Structure::builder("detection")
                    .field("confidence", 0.25f64)
                    .field("label_id", 7i32)
                    .build(),
            )
            .as_ptr();
        assert_eq!((m.confidence(), m.label_id()), (Some(0.25), Some(7)));
        assert_eq!(m.param_by_ptr(det).unwrap().name(), "detection");
        m.param_by_ptr_mut(other).unwrap().set("label", "woof");
        assert_eq!(
            m.param("text").unwrap().get::<&str>("label").unwrap(),
            "woof"
        );
        let foreign = gst::Structure::new_empty("detection");
        assert!(m.param_by_ptr(foreign.as_ptr()).is_none());
    }
}
