//! Memory that an `isolation=process` worker can map: a `GstFdAllocator` whose
//! memories are each a memfd of their own. The element proposes a pool of it
//! upstream, so sources write frames straight into memory the worker shares.
//!
//! GStreamer 1.22's `GstFdAllocator` only wraps descriptors it is given (1.24
//! added `GstShmAllocator`, which does what this does), so `alloc` is ours.

use gst::glib;
use gst::glib::subclass::prelude::*;
use gst::prelude::*;
use gst::subclass::prelude::*;
use gst_allocators::subclass::prelude::*;

mod imp {
    use super::*;

    #[derive(Default)]
    pub struct MemfdAllocator;

    #[glib::object_subclass]
    impl ObjectSubclass for MemfdAllocator {
        const NAME: &'static str = "GstGvaRustMemfdAllocator";
        type Type = super::MemfdAllocator;
        type ParentType = gst_allocators::FdAllocator;
    }

    impl ObjectImpl for MemfdAllocator {}
    impl GstObjectImpl for MemfdAllocator {}
    impl FdAllocatorImpl for MemfdAllocator {}

    // SAFETY: `alloc` returns a new GstMemory of this allocator (made by
    // gst_fd_allocator_alloc on `self`) or NULL, as the vfunc requires.
    unsafe impl AllocatorImpl for MemfdAllocator {
        unsafe fn alloc(
            &self,
            size: usize,
            params: &gst::AllocationParams,
        ) -> *mut gst::ffi::GstMemory {
            let Some(maxsize) = size
                .checked_add(params.prefix())
                .and_then(|s| s.checked_add(params.padding()))
            else {
                return std::ptr::null_mut();
            };
            // SAFETY: memfd_create takes a NUL-terminated name and flags; the
            // descriptor (when >= 0) is new and owned here until handed over.
            let fd = unsafe { libc::memfd_create(c"gvarust-frame".as_ptr(), libc::MFD_CLOEXEC) };
            if fd < 0 {
                return std::ptr::null_mut();
            }
            // SAFETY: `fd` is the memfd just made; on failure it is closed here
            // (nothing else knows it). gst_fd_allocator_alloc takes ownership of
            // `fd` (flags without DONT_CLOSE) and returns a new memory of `self`,
            // mapped once and kept mapped (KEEP_MAPPED: a pool reuses it every
            // frame); resizing moves its start past the prefix.
            unsafe {
                if libc::ftruncate(fd, maxsize as libc::off_t) != 0 {
                    libc::close(fd);
                    return std::ptr::null_mut();
                }
                let allocator: *mut gst::ffi::GstAllocator =
                    self.obj().upcast_ref::<gst::Allocator>().as_ptr();
                let memory = gst_allocators::ffi::gst_fd_allocator_alloc(
                    allocator,
                    fd,
                    maxsize,
                    gst_allocators::ffi::GST_FD_MEMORY_FLAG_KEEP_MAPPED,
                );
                if memory.is_null() {
                    libc::close(fd);
                    return std::ptr::null_mut();
                }
                if params.prefix() > 0 || params.padding() > 0 {
                    gst::ffi::gst_memory_resize(memory, params.prefix() as isize, size);
                }
                memory
            }
        }
    }
}

glib::wrapper! {
    /// Allocates each memory as a memfd of its own (file-descriptor memory).
    pub struct MemfdAllocator(ObjectSubclass<imp::MemfdAllocator>)
        @extends gst_allocators::FdAllocator, gst::Allocator, gst::Object;
}

impl MemfdAllocator {
    /// The process's one instance.
    pub fn get() -> MemfdAllocator {
        static ALLOCATOR: std::sync::LazyLock<MemfdAllocator> =
            std::sync::LazyLock::new(glib::Object::new::<MemfdAllocator>);
        ALLOCATOR.clone()
    }
}
