//! Which shared library (or program) a loaded function lives in.

use std::ffi::{CStr, CString};

/// The path of the loaded object that holds `address` (a function of it), as
/// the dynamic loader knows it; `None` when the loader cannot tell.
pub(crate) fn file_of(address: *const libc::c_void) -> Option<CString> {
    // SAFETY: Dl_info is plain C data (pointers and integers): all zeroes is valid.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the loaded-objects list and fills `info`.
    if unsafe { libc::dladdr(address, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated path owned by the loader, valid
    // while the object stays loaded (it is copied at once).
    Some(unsafe { CStr::from_ptr(info.dli_fname) }.to_owned())
}
