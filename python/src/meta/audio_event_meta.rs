//! The GVA audio event meta (`GstGVAAudioEventMetaAPI` / `GstGVAAudioEventMeta`): an audio
//! detection event with parameter structures, layout `{ GstMeta; GQuark event_type; gint id;
//! guint64 start_timestamp; guint64 end_timestamp; GList *params; }`.

use std::ffi::CStr;
use std::fmt;
use std::ptr;
use std::sync::OnceLock;

use glib::translate::{IntoGlib, IntoGlibPtr};
use gst::meta::{MetaAPI, MetaAPIExt, MetaRefMut, Standalone};

use gst::ffi as gst_ffi;

use super::{add_raw, c_name, register, MetaDesc, Registration};

const API_CNAME: &CStr = c"GstGVAAudioEventMetaAPI";
const IMPL_CNAME: &CStr = c"GstGVAAudioEventMeta";

/// C name of the GVA audio event meta API type.
pub const AUDIO_EVENT_META_API_NAME: &str = c_name(API_CNAME);
/// C name of the GVA audio event meta implementation.
pub const AUDIO_EVENT_META_IMPL_NAME: &str = c_name(IMPL_CNAME);

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

static AUDIO_EVENT_REG: OnceLock<Registration> = OnceLock::new();

fn audio_event_reg() -> Registration {
    *AUDIO_EVENT_REG.get_or_init(|| {
        register(&MetaDesc {
            api_name: API_CNAME,
            impl_name: IMPL_CNAME,
            size: std::mem::size_of::<GstGVAAudioEventMeta>(),
            init: Some(audio_event_meta_init),
            free: Some(audio_event_meta_free),
            transform: Some(audio_event_meta_transform),
        })
    })
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

// C callbacks. They must never unwind: none of them can panic.

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
        let meta = add_raw(buffer, audio_event_meta_info(), AUDIO_EVENT_META_IMPL_NAME)?;
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
    fn layout_matches_c() {
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
