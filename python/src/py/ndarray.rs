//! Zero-copy numpy arrays over memory that a Python object keeps alive.

use numpy::npyffi::{self, npy_intp, PY_ARRAY_API};
use numpy::{PyArrayDescr, PyArrayDescrMethods};
use pyo3::prelude::*;

/// A numpy array of `descr` elements laid out by `dims` (and `strides`, or C
/// order when `None`) over `data`, with `owner` as its base object, so the
/// memory lives as long as the array. Writable only when `writable`.
///
/// # Safety
/// Every element addressed by `dims`/`strides` from `data` must lie in memory
/// that stays valid while `owner` is alive, and that memory may be written
/// through the array when `writable` is true.
pub(crate) unsafe fn borrowed_array<'py>(
    descr: Bound<'py, PyArrayDescr>,
    dims: &mut [npy_intp],
    strides: Option<&mut [npy_intp]>,
    data: *mut std::ffi::c_void,
    writable: bool,
    owner: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = descr.py();
    let flags = if writable {
        npyffi::NPY_ARRAY_WRITEABLE
    } else {
        0
    };
    let strides = strides.map_or(std::ptr::null_mut(), |s| s.as_mut_ptr());
    // SAFETY: the caller guarantees `data` covers the described layout; numpy
    // copies `dims` and `strides`, and `into_dtype_ptr` hands over the descriptor
    // reference numpy steals.
    let array = unsafe {
        let ptr = PY_ARRAY_API.PyArray_NewFromDescr(
            py,
            npyffi::get_type_object(py, npyffi::NpyTypes::PyArray_Type),
            descr.into_dtype_ptr(),
            dims.len() as std::os::raw::c_int,
            dims.as_mut_ptr(),
            strides,
            data,
            flags,
            std::ptr::null_mut(),
        );
        Bound::from_owned_ptr_or_err(py, ptr)?
    };
    // SAFETY: `array` is a fresh ndarray without a base; `PyArray_SetBaseObject`
    // steals the new reference to `owner` (also when it fails).
    let status =
        unsafe { PY_ARRAY_API.PyArray_SetBaseObject(py, array.as_ptr().cast(), owner.into_ptr()) };
    if status != 0 {
        return Err(PyErr::fetch(py));
    }
    // SAFETY: `array` is a valid ndarray; this recomputes its contiguity and
    // alignment flags (borrowed memory may be only byte-aligned).
    unsafe {
        PY_ARRAY_API.PyArray_UpdateFlags(py, array.as_ptr().cast(), npyffi::NPY_ARRAY_UPDATE_ALL)
    };
    Ok(array)
}
