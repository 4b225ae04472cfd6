//! Shared memory for the bytes of a frame: one memfd per element, mapped by the
//! element and by its worker (which inherits the descriptor).
//!
//! Who may touch the bytes when follows the channel's request and reply: the
//! element writes a frame in before its request and reads it back after the
//! reply; the worker touches them only in between, while the element waits.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::Arc;

/// A shared read-write mapping of the first `len` bytes of a memfd.
#[derive(Debug)]
pub(super) struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory that stays valid until `drop`; which side
// writes it when is ordered by the channel (see the module documentation).
unsafe impl Send for Mapping {}
// SAFETY: as for `Send`: shared access is ordered by the channel protocol.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the first `len` bytes of `fd`, which is at least that long.
    pub(super) fn new(fd: RawFd, len: usize) -> io::Result<Self> {
        if len == 0 {
            return Ok(Mapping {
                ptr: NonNull::dangling(),
                len: 0,
            });
        }
        // SAFETY: a new shared mapping chosen by the kernel (address hint null);
        // it aliases no Rust object, and `fd` is an open memfd of >= `len` bytes.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping {
            ptr: NonNull::new(ptr.cast()).ok_or_else(|| io::Error::other("mmap returned null"))?,
            len,
        })
    }

    /// Length of the mapping in bytes.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// `len` bytes from `offset` (as many of them as the mapping holds).
    ///
    /// # Safety
    /// No other slice of the same bytes may be alive while the returned one is
    /// used, in this process or (per the channel protocol) in the other.
    // Shared memory is written through shared handles by design; exclusivity is
    // the caller's promise (this function is unsafe for that reason).
    #[allow(clippy::mut_from_ref)]
    pub(super) unsafe fn bytes_mut(&self, offset: usize, len: usize) -> &mut [u8] {
        let start = offset.min(self.len);
        let len = len.min(self.len - start);
        // SAFETY: `ptr` maps `self.len` bytes for as long as `self` lives, and
        // [start, start + len) lies inside them; exclusivity is the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(start), len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: `ptr`/`len` are exactly what mmap returned; no slice of it
            // outlives `self` (they borrow it).
            unsafe {
                libc::munmap(self.ptr.as_ptr().cast(), self.len);
            }
        }
    }
}

/// The element's side: the memfd, grown to fit the largest frame so far.
#[derive(Debug)]
pub(super) struct Arena {
    fd: OwnedFd,
    map: Mapping,
}

impl Arena {
    pub(super) fn new() -> io::Result<Self> {
        // SAFETY: memfd_create takes a NUL-terminated name and flags; the
        // returned descriptor (when >= 0) is new and owned by nobody else.
        let fd = unsafe { libc::memfd_create(c"gvarust-frames".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned here alone.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Arena {
            fd,
            map: Mapping::new(-1, 0)?,
        })
    }

    pub(super) fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// The arena's length (what the worker must map to see every frame byte).
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    /// Grows the arena to hold `size` bytes (never shrinks: a worker may still
    /// map the longer length).
    pub(super) fn reserve(&mut self, size: usize) -> io::Result<()> {
        if size <= self.map.len() {
            return Ok(());
        }
        let page = 4096;
        let len = size.div_ceil(page) * page;
        // SAFETY: ftruncate on the memfd owned by `self`.
        if unsafe { libc::ftruncate(self.fd.as_raw_fd(), len as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        self.map = Mapping::new(self.fd.as_raw_fd(), len)?;
        Ok(())
    }

    /// The first `len` bytes, for copying a frame in or out.
    pub(super) fn bytes_mut(&mut self, len: usize) -> &mut [u8] {
        // SAFETY: `&mut self` makes this the only slice in this process; the
        // worker touches the bytes only between a request and its reply, while
        // the element (which holds the arena) waits and uses no slice.
        unsafe { self.map.bytes_mut(0, len) }
    }
}

/// The worker's view of a frame's bytes (in the arena, or in the element
/// buffer's own memfd): the memory of the buffer the callback sees. It keeps its mapping alive, also after the arena grew and the worker
/// mapped it anew, for as long as a buffer (one Python kept) holds it.
pub(super) struct FrameBytes {
    pub(super) map: Arc<Mapping>,
    pub(super) offset: usize,
    pub(super) len: usize,
}

impl AsMut<[u8]> for FrameBytes {
    fn as_mut(&mut self) -> &mut [u8] {
        // SAFETY: GStreamer asks for the slice once, to wrap it as the frame's
        // memory; the element touches these bytes only while the worker waits
        // for its next request, when the callback (and its mappings) returned.
        unsafe { self.map.bytes_mut(self.offset, self.len) }
    }
}
