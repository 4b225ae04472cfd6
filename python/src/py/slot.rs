//! The slot through which every Python view reaches its buffer.
//!
//! A frame handed to a callback does not own its buffer: it points at the
//! buffer through a shared [`BufferSlot`] that the element clears when the
//! callback returns, so a frame (or anything derived from it) kept by Python
//! raises `InvalidatedError` instead of touching freed memory. [`PtrCache`]
//! remembers where a region or tensor was found on the slot's buffer.
//!
//! This module imports none of the classes: every class imports it.

use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;

use super::errors::{InvalidatedError, NotWritableError};
use crate::analytics::MetadataMode;

/// The buffer a frame refers to, valid until [`BufferSlot::invalidate`].
///
/// All access happens with the GIL held, and the element invalidates the slot
/// with the GIL held before the buffer moves on, so a pointer read from the slot
/// stays valid for the duration of one Python method call.
///
/// A slot built from a PyGObject `Gst.Buffer` (pad-probe use) instead holds that
/// wrapper, so the buffer stays valid as long as the frame does.
#[derive(Debug)]
pub struct BufferSlot {
    buffer: AtomicPtr<gst::ffi::GstBuffer>,
    /// The PyGObject wrapper the slot was built from, if any.
    owner: Option<Py<PyAny>>,
    /// Bumped by every write through this slot; see [`PtrCache`].
    generation: AtomicU64,
    /// Which metadata frames over this buffer write and read ([`MetadataMode::as_u8`]).
    mode: AtomicU8,
}

/// The metadata choice of frames built from PyGObject buffers (`gvarust.set_metadata()`).
static PROBE_MODE: AtomicU8 = AtomicU8::new(MetadataMode::build_default().as_u8());

/// The metadata choice of frames built from PyGObject buffers from now on.
pub fn set_default_metadata(mode: MetadataMode) {
    PROBE_MODE.store(mode.as_u8(), Ordering::Relaxed);
}

/// The metadata choice of frames built from PyGObject buffers.
pub fn default_metadata() -> MetadataMode {
    MetadataMode::from_u8(PROBE_MODE.load(Ordering::Relaxed))
}

impl BufferSlot {
    /// A slot pointing at `buffer`, which the caller keeps alive and unmoved
    /// until it calls [`BufferSlot::invalidate`].
    pub fn new(buffer: &mut gst::BufferRef) -> Arc<Self> {
        Arc::new(BufferSlot {
            buffer: AtomicPtr::new(buffer.as_mut_ptr()),
            owner: None,
            generation: AtomicU64::new(0),
            mode: AtomicU8::new(MetadataMode::Gva.as_u8()),
        })
    }

    /// Which metadata frames over this slot write and read (see [`MetadataMode`]).
    pub fn metadata(&self) -> MetadataMode {
        MetadataMode::from_u8(self.mode.load(Ordering::Relaxed))
    }

    /// Sets which metadata frames over this slot write and read. For a slot over a
    /// PyGObject buffer, [`MetadataMode::Analytics`] also marks the buffer, so the
    /// writable block it is in finishes it on exit.
    pub fn set_metadata(&self, mode: MetadataMode) {
        self.mode.store(mode.as_u8(), Ordering::Relaxed);
        if self.owner.is_some() && mode == MetadataMode::Analytics {
            let ptr = self.buffer.load(Ordering::Acquire);
            let mut marked = analytics_buffers();
            if !ptr.is_null() && !marked.contains(&(ptr as usize)) {
                marked.push(ptr as usize);
            }
        }
    }

    /// What the element does once its callback returned: finishes the frame's
    /// metadata ([`crate::analytics::finish_frame`]) if the buffer can be written.
    /// Returns how many region metas were removed, or why it failed.
    pub fn finish(&self) -> Result<usize, String> {
        let mode = self.metadata();
        if mode != MetadataMode::Analytics {
            return Ok(0);
        }
        match self.with_buffer_mut(|b| crate::analytics::finish_frame(b, mode)) {
            Ok(result) => result,
            Err(_) => Err(
                "the buffer is shared (a Gst.Buffer from frame.buffer() is still \
                           referenced), so its region metas stay next to the records"
                    .into(),
            ),
        }
    }

    /// A slot over the buffer of a PyGObject `Gst.Buffer`, valid while the
    /// slot (which keeps the wrapper) lives.
    pub fn from_py_buffer(buffer: &Bound<'_, PyAny>) -> PyResult<Arc<Self>> {
        let ptr = super::pygobject::buffer_pointer(buffer)?;
        Ok(Arc::new(BufferSlot {
            buffer: AtomicPtr::new(ptr),
            owner: Some(buffer.clone().unbind()),
            generation: AtomicU64::new(0),
            mode: AtomicU8::new(PROBE_MODE.load(Ordering::Relaxed)),
        }))
    }

    /// The PyGObject `Gst.Buffer` the slot was built from, if any.
    pub(crate) fn owner(&self) -> Option<&Py<PyAny>> {
        self.owner.as_ref()
    }

    /// Detaches the slot from its buffer; later use raises `InvalidatedError`.
    pub fn invalidate(&self) {
        self.buffer.store(std::ptr::null_mut(), Ordering::Release);
    }

    /// The buffer, or `InvalidatedError` once the slot was invalidated.
    pub fn buffer(&self) -> PyResult<&gst::BufferRef> {
        let ptr = self.buffer.load(Ordering::Acquire);
        if ptr.is_null() {
            return Err(InvalidatedError::new_err(
                "this frame is no longer valid: it was used after the callback that received it returned",
            ));
        }
        // SAFETY: a non-null pointer in the slot refers to a live buffer: the owner
        // keeps the buffer alive until it invalidates the slot, and both that and
        // this call happen with the GIL held, so it cannot be invalidated meanwhile.
        Ok(unsafe { gst::BufferRef::from_ptr(ptr) })
    }

    /// Whether the buffer may be written (it has a single reference).
    pub fn is_writable(&self) -> PyResult<bool> {
        let buffer = self.buffer()?;
        let ptr = buffer.as_ptr() as *const gst::ffi::GstMiniObject;
        // SAFETY: `ptr` is a live buffer (see `buffer`); the call only reads its refcount.
        Ok(unsafe { gst::ffi::gst_mini_object_is_writable(ptr) } != 0)
    }

    /// Runs `f` on the buffer for writing metadata or pixels; `NotWritableError`
    /// if the buffer is shared. The mutable view cannot outlive `f`.
    pub fn with_buffer_mut<R>(&self, f: impl FnOnce(&mut gst::BufferRef) -> R) -> PyResult<R> {
        if !self.is_writable()? {
            return Err(self.not_writable());
        }
        // Any write may add, remove or replace metas and structures: pointers
        // cached before it are looked up again.
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.write_unchecked(f)
    }

    /// Like [`BufferSlot::with_buffer_mut`], for a write that removes, replaces or
    /// moves no meta and no parameter structure: it only changes them in place or
    /// adds new ones (setting a field, appending a parameter, moving a box). Such
    /// a write keeps the pointers in every `PtrCache` valid, so they stay cached.
    pub fn with_buffer_mut_in_place<R>(
        &self,
        f: impl FnOnce(&mut gst::BufferRef) -> R,
    ) -> PyResult<R> {
        if !self.is_writable()? {
            return Err(self.not_writable());
        }
        self.write_unchecked(f)
    }

    /// Runs `f` on the buffer for writing; the caller checked that it is writable.
    fn write_unchecked<R>(&self, f: impl FnOnce(&mut gst::BufferRef) -> R) -> PyResult<R> {
        let ptr = self.buffer.load(Ordering::Acquire);
        // SAFETY: the buffer is alive (checked by `is_writable` under the GIL, which
        // the caller holds throughout) and has a single reference, so a unique
        // mutable view confined to `f` is sound.
        Ok(f(unsafe { gst::BufferRef::from_mut_ptr(ptr) }))
    }
}

impl BufferSlot {
    /// The `NotWritableError` for a write to this slot's shared buffer, naming
    /// the likely cause: outside a writable block, the missing block; inside
    /// one, another live reference to the buffer.
    fn not_writable(&self) -> PyErr {
        let ptr = self.buffer.load(Ordering::Acquire);
        // SAFETY: the caller just read the buffer through `self.buffer()` with the
        // GIL held, so `ptr` is a live buffer; this only reads its refcount.
        let refs = unsafe { (*(ptr as *const gst::ffi::GstMiniObject)).refcount };
        let message = if self.owner.is_none() {
            format!(
                "the buffer is not writable (it is shared: {refs} references). Inside a \
                 gvarust callback, a Gst.Buffer from frame.buffer() that is still referenced \
                 makes it shared: drop it (del) before writing; in a pad probe use \
                 `with gstgva.util.GST_PAD_PROBE_INFO_BUFFER(info) as buffer:`"
            )
        } else if in_writable_block(ptr) {
            format!(
                "the buffer is not writable although this code runs inside `with \
                 GST_PAD_PROBE_INFO_BUFFER(info)` (or TRANSFORM_IP_BUFFER): another live \
                 reference to the buffer remains ({refs} references), typically a Gst.Buffer \
                 kept from an earlier info.get_buffer() (each PyGObject wrapper holds one, \
                 and so does a frame built on it). Drop it (del buf) before the block, and \
                 use the buffer the block gives"
            )
        } else {
            "the buffer is not writable (it is shared); in a pad probe use \
             `with gstgva.util.GST_PAD_PROBE_INFO_BUFFER(info) as buffer:`"
                .to_string()
        };
        NotWritableError::new_err(message)
    }
}

/// Buffers inside a `GST_PAD_PROBE_INFO_BUFFER`/`TRANSFORM_IP_BUFFER` block
/// (addresses; a buffer may be in nested blocks more than once).
static WRITABLE_BLOCKS: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

/// One of the lists of buffer addresses, locked.
fn addresses(
    list: &'static std::sync::Mutex<Vec<usize>>,
) -> std::sync::MutexGuard<'static, Vec<usize>> {
    // Every critical section is one push, removal or search: a panic cannot
    // leave the list inconsistent.
    list.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn writable_blocks() -> std::sync::MutexGuard<'static, Vec<usize>> {
    addresses(&WRITABLE_BLOCKS)
}

/// Records that `buffer` entered a writable block (for the error text of writes).
pub(crate) fn enter_writable_block(buffer: *mut gst::ffi::GstBuffer) {
    writable_blocks().push(buffer as usize);
}

/// Records that `buffer` left a writable block.
pub(crate) fn leave_writable_block(buffer: *mut gst::ffi::GstBuffer) {
    let mut blocks = writable_blocks();
    if let Some(i) = blocks.iter().rposition(|&b| b == buffer as usize) {
        blocks.swap_remove(i);
    }
}

fn in_writable_block(buffer: *mut gst::ffi::GstBuffer) -> bool {
    writable_blocks().contains(&(buffer as usize))
}

/// PyGObject buffers (addresses) that a frame in [`MetadataMode::Analytics`] was built
/// over, to be finished when their writable block ends.
static ANALYTICS_BUFFERS: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

fn analytics_buffers() -> std::sync::MutexGuard<'static, Vec<usize>> {
    addresses(&ANALYTICS_BUFFERS)
}

/// Whether `buffer` is to be finished in [`MetadataMode::Analytics`] at the end of its
/// writable block: a frame over it chose that mode (the mark is consumed), or it is the
/// default of frames built from PyGObject buffers.
pub(crate) fn take_analytics_mark(buffer: *mut gst::ffi::GstBuffer) -> bool {
    let mut marked = analytics_buffers();
    let was_marked = match marked.iter().position(|&b| b == buffer as usize) {
        Some(i) => {
            marked.swap_remove(i);
            true
        }
        None => false,
    };
    was_marked || default_metadata() == MetadataMode::Analytics
}

/// A meta or structure pointer found on a slot's buffer, reused while no write
/// went through the slot, so repeated reads of one region or tensor skip the
/// search through the buffer's metas.
///
/// Only for slots the element owns during a callback: then every change to the
/// buffer's metas goes through [`BufferSlot::with_buffer_mut`] or, for changes
/// that free and move nothing, [`BufferSlot::with_buffer_mut_in_place`] (the buffer is
/// reachable from Python only through gvarust objects, and a `frame.buffer()`
/// wrapper makes it shared, so nothing else can remove a meta). Frames built
/// from a PyGObject `Gst.Buffer` never cache: the application may change that
/// buffer behind gvarust's back.
#[derive(Debug)]
pub(crate) struct PtrCache {
    generation: AtomicU64,
    ptr: AtomicPtr<std::ffi::c_void>,
}

impl PtrCache {
    /// A cache holding nothing.
    pub(crate) fn empty() -> Self {
        PtrCache {
            generation: AtomicU64::new(u64::MAX),
            ptr: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// A cache holding `ptr`, found on `slot`'s buffer since its last write.
    pub(crate) fn holding<T>(slot: &BufferSlot, ptr: *const T) -> Self {
        let cache = PtrCache::empty();
        cache.set(slot, ptr);
        cache
    }

    /// The cached pointer, if it was found since the slot's last write.
    pub(crate) fn get<T>(&self, slot: &BufferSlot) -> Option<*const T> {
        if slot.owner.is_some() {
            return None;
        }
        let current = slot.generation.load(Ordering::Acquire);
        (self.generation.load(Ordering::Acquire) == current)
            .then(|| self.ptr.load(Ordering::Acquire) as *const T)
    }

    /// Remembers `ptr`, just found on `slot`'s buffer (never inside a write).
    pub(crate) fn set<T>(&self, slot: &BufferSlot, ptr: *const T) {
        if slot.owner.is_none() {
            self.ptr
                .store(ptr as *mut std::ffi::c_void, Ordering::Release);
            self.generation
                .store(slot.generation.load(Ordering::Acquire), Ordering::Release);
        }
    }
}
