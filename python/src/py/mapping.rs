//! Mapping a frame's buffer memory for the zero-copy numpy arrays of
//! `VideoFrame.data()`/`planes()` (pixels) and `AudioFrame.data()` (samples).
//!
//! A mapping holds the `GstMemory` (not the buffer, which stays writable for
//! metadata), so arrays over it stay valid after the buffer moved on.
//!
//! This module imports none of the classes; the errors it reports are worded
//! by its callers.

use std::ffi::CStr;
use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::slot::BufferSlot;

/// `GST_MAP_READ`.
const MAP_READ: i64 = 1;
/// `GST_MAP_WRITE`.
const MAP_WRITE: i64 = 2;

/// Reads a `flags` argument (an int or `Gst.MapFlags`): `Some(write)`, or
/// `None` when it is absent or `None`. `not_a_flag` words the `TypeError` for
/// an argument that is not an int.
pub(crate) fn parse_flags(
    flags: Option<&Bound<'_, PyAny>>,
    not_a_flag: impl FnOnce(&Bound<'_, PyAny>) -> PyErr,
) -> PyResult<Option<bool>> {
    let Some(flags) = flags.filter(|f| !f.is_none()) else {
        return Ok(None);
    };
    let value: i64 = match flags.extract::<i64>() {
        Ok(value) => value,
        Err(_) => {
            let int = flags.py().import("builtins")?.getattr("int")?;
            int.call1((flags,))
                .and_then(|v| v.extract::<i64>())
                .map_err(|_| not_a_flag(flags))?
        }
    };
    if value <= 0 || value & !(MAP_READ | MAP_WRITE) != 0 {
        return Err(PyValueError::new_err(format!(
            "flags={value}: expected READ (1), WRITE (2) or READ|WRITE (3)"
        )));
    }
    Ok(Some(value & MAP_WRITE != 0))
}

/// Writable mappings of frame bytes made so far in this process.
static WRITABLE_MAPS: AtomicU64 = AtomicU64::new(0);

/// How many times a frame's bytes were mapped for writing (`data()`, `planes()`,
/// `AudioFrame.data()` with WRITE) in this process so far: a host that copies a
/// frame's bytes back only after a write compares it before and after a call.
pub fn writable_maps() -> u64 {
    WRITABLE_MAPS.load(Ordering::Relaxed)
}

/// A mapped `GstMemory`.
pub(crate) enum Mapped {
    /// Mapped for reading.
    Read(gst::MappedMemory<gst::memory::Readable>),
    /// Mapped for reading and writing.
    Write(gst::MappedMemory<gst::memory::Writable>),
}

impl Mapped {
    /// The mapped bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Mapped::Read(m) => m.as_slice(),
            Mapped::Write(m) => m.as_slice(),
        }
    }

    /// Number of mapped bytes.
    pub(crate) fn size(&self) -> usize {
        self.bytes().len()
    }
}

/// Why [`map_buffer`] could not map the buffer.
#[derive(Debug)]
pub(crate) enum MapFailure {
    /// The buffer holds no memory.
    NoMemory,
    /// GStreamer refused to map the memory (of allocator type `memory_type`).
    Map {
        /// The allocator's memory type, or `"unknown"`.
        memory_type: String,
        /// Whether the mapping was for writing.
        write: bool,
    },
    /// Mapping for writing left more than one memory in the buffer.
    NotMerged,
}

/// The allocator's memory type of `memory` (`"unknown"` without one).
fn memory_type(memory: &gst::MemoryRef) -> String {
    // SAFETY: `memory` is a valid GstMemory; its `allocator` field is null or an
    // allocator the memory holds a reference to, and an allocator's `mem_type` is
    // null or a NUL-terminated string that lives as long as the allocator.
    unsafe {
        let allocator = (*memory.as_ptr()).allocator;
        if allocator.is_null() || (*allocator).mem_type.is_null() {
            return "unknown".into();
        }
        CStr::from_ptr((*allocator).mem_type)
            .to_string_lossy()
            .into_owned()
    }
}

/// Maps all of the slot's buffer data as one memory, for writing when `write`.
///
/// The outer error is the slot's (`InvalidatedError`, `NotWritableError`);
/// the inner one says why the memory could not be mapped.
pub(crate) fn map_buffer(slot: &BufferSlot, write: bool) -> PyResult<Result<Mapped, MapFailure>> {
    if write {
        slot.with_buffer_mut(|buffer| {
            if buffer.n_memory() == 0 {
                return Err(MapFailure::NoMemory);
            }
            // Mapping the whole buffer for writing merges several memories into one
            // and replaces memory that is shared or mapped elsewhere with a private
            // copy; afterwards the buffer holds a single memory that only it uses.
            if buffer.map_writable().is_err() {
                return Err(MapFailure::Map {
                    memory_type: memory_type(buffer.peek_memory(0)),
                    write: true,
                });
            }
            if buffer.n_memory() != 1 {
                return Err(MapFailure::NotMerged);
            }
            let memory = buffer.memory(0).ok_or(MapFailure::NoMemory)?;
            WRITABLE_MAPS.fetch_add(1, Ordering::Relaxed);
            memory
                .into_mapped_memory_writable()
                .map(Mapped::Write)
                .map_err(|memory| MapFailure::Map {
                    memory_type: memory_type(&memory),
                    write: true,
                })
        })
    } else {
        let buffer = slot.buffer()?;
        let Some(memory) = buffer.all_memory() else {
            return Ok(Err(MapFailure::NoMemory));
        };
        Ok(memory
            .into_mapped_memory_readable()
            .map(Mapped::Read)
            .map_err(|memory| MapFailure::Map {
                memory_type: memory_type(&memory),
                write: false,
            }))
    }
}
