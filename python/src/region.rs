//! Helpers over `GstVideoRegionOfInterestMeta` (ROI) following DL Streamer's conventions.
//!
//! A region is a [`gst_video::VideoRegionOfInterestMeta`]: a pixel rectangle, a label (the
//! `roi_type` quark), an `id`, a `parent_id` and a list of parameter structures. By convention
//! the first parameter is a `detection` structure holding the normalized box and the
//! confidence; further parameters are classification results or raw tensors; an `object_id`
//! structure (int field `id`) carries a tracking id.
//!
//! Functions here take the ROI meta by reference (`&RoiMeta` / `&mut RoiMeta`, which a
//! `gst::MetaRef` / `gst::MetaRefMut` dereferences to).
//!
//! ```
//! use gvarust_meta::region::{self, Rect};
//! gst::init().unwrap();
//! let mut buffer = gst::Buffer::new();
//! let b = buffer.get_mut().unwrap();
//! let mut roi = region::add_region(b, "face", Rect::new(10, 20, 30, 40), (100, 100), 0.9, Some(1));
//! region::set_object_id(&mut roi, 7);
//! assert_eq!(region::label(&roi), "face");
//! assert_eq!(region::confidence(&roi), Some(0.9));
//! assert_eq!(region::object_id(&roi), Some(7));
//! let (x, y, _w, _h) = region::normalized_rect(&roi).unwrap();
//! assert_eq!((x, y), (0.1, 0.2));
//! ```

use std::ffi::CStr;
use std::marker::PhantomData;

use glib::translate::{IntoGlib, IntoGlibPtr};
use gst::meta::{MetaAPIExt, MetaRefMut, Standalone};

use crate::tensor::{fields, has_name, FieldName, DETECTION_NAME};

/// The GStreamer ROI meta type.
pub type RoiMeta = gst_video::VideoRegionOfInterestMeta;

/// Name of the parameter structure holding a region's tracking id.
pub const OBJECT_ID_NAME: &str = "object_id";

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

impl Rect {
    /// A rectangle from its components.
    pub const fn new(x: u32, y: u32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    /// As the `(x, y, w, h)` tuple gstreamer-rs uses.
    pub const fn as_tuple(self) -> (u32, u32, u32, u32) {
        (self.x, self.y, self.w, self.h)
    }
}

impl From<(u32, u32, u32, u32)> for Rect {
    fn from((x, y, w, h): (u32, u32, u32, u32)) -> Rect {
        Rect { x, y, w, h }
    }
}

/// Whether the box lies inside a `width` x `height` frame (the reference's test: all values
/// non-negative, `x + w <= width`, `y + h <= height`).
pub fn is_inside(x: i64, y: i64, w: i64, h: i64, width: u32, height: u32) -> bool {
    x >= 0
        && y >= 0
        && w >= 0
        && h >= 0
        && x.saturating_add(w) <= i64::from(width)
        && y.saturating_add(h) <= i64::from(height)
}

/// Clips a box into a `width` x `height` frame, as the reference `add_region` does.
///
/// If the box is inside the frame (see [`is_inside`]) it is returned unchanged with `false`.
/// Otherwise `x`, `y` are clamped into `[0, width]`, `[0, height]`; `w`, `h` to `>= 0` and then
/// cut at the frame edge; the result comes with `true` (the caller warns).
///
/// ```
/// use gvarust_meta::region::{clip_rect, Rect};
/// assert_eq!(clip_rect(10, 10, 20, 20, 100, 100), (Rect::new(10, 10, 20, 20), false));
/// assert_eq!(clip_rect(-5, 90, 20, 20, 100, 100), (Rect::new(0, 90, 20, 10), true));
/// ```
pub fn clip_rect(x: i64, y: i64, w: i64, h: i64, width: u32, height: u32) -> (Rect, bool) {
    let (fw, fh) = (i64::from(width), i64::from(height));
    let clipped = !is_inside(x, y, w, h, width, height);
    let (mut x, mut y, mut w, mut h) = (x, y, w, h);
    if clipped {
        x = x.clamp(0, fw);
        y = y.clamp(0, fh);
        w = w.max(0);
        h = h.max(0);
        if x.saturating_add(w) > fw {
            w = fw - x;
        }
        if y.saturating_add(h) > fh {
            h = fh - y;
        }
    }
    // After clipping every value is within 0..=u32::MAX (bounded by the frame size); an
    // unclipped box is inside the frame. The fallbacks are unreachable but avoid panics.
    let c = |v: i64| u32::try_from(v).unwrap_or(0);
    (Rect::new(c(x), c(y), c(w), c(h)), clipped)
}

/// Converts a normalized box (fractions of the frame size) to pixels, truncating toward zero
/// like Python's `int()`. NaN becomes 0; out-of-range values saturate.
pub fn denormalize(
    x: f64,
    y: f64,
    w: f64,
    h: f64,
    width: u32,
    height: u32,
) -> (i64, i64, i64, i64) {
    let (fw, fh) = (f64::from(width), f64::from(height));
    (
        (x * fw) as i64,
        (y * fh) as i64,
        (w * fw) as i64,
        (h * fh) as i64,
    )
}

/// A fresh region id: the next GStreamer sequence number (`gst_util_seqnum_next`, as DL
/// Streamer does), shared by every copy of this code in the process. Stored in the C `gint`
/// `id` as C does (the value wraps after 2^31 ids).
pub fn fresh_region_id() -> i32 {
    gst::Seqnum::next().into_glib() as i32
}

/// The `detection` structure for a box `rect` in a `width` x `height` frame: G_TYPE_DOUBLE
/// `confidence`, `x_min`, `x_max`, `y_min`, `y_max` (normalized; 0 when the frame size is 0),
/// and INT `label_id` when given.
pub fn detection_structure(
    rect: Rect,
    frame_size: (u32, u32),
    confidence: f64,
    label_id: Option<i32>,
) -> gst::Structure {
    let norm = |v: u32, size: u32| {
        if size == 0 {
            0.0
        } else {
            f64::from(v) / f64::from(size)
        }
    };
    let (width, height) = frame_size;
    let x_max = rect.x.saturating_add(rect.w);
    let y_max = rect.y.saturating_add(rect.h);
    // Built field by field from cached quarks, each value taken (not copied)
    // by the structure: cheaper than copying a prepared template, whose copy
    // initializes and copies every value through GLib's value tables.
    let mut s = new_structure(&DETECTION);
    for (name, value) in [
        (&fields::CONFIDENCE, confidence),
        (&X_MIN, norm(rect.x, width)),
        (&X_MAX, norm(x_max, width)),
        (&Y_MIN, norm(rect.y, height)),
        (&Y_MAX, norm(y_max, height)),
    ] {
        set_by_name(&mut s, name, value);
    }
    if let Some(label_id) = label_id {
        set_by_name(&mut s, &fields::LABEL_ID, label_id);
    }
    s
}

static DETECTION: FieldName = FieldName::new(DETECTION_NAME);
static X_MIN: FieldName = FieldName::new("x_min");
static X_MAX: FieldName = FieldName::new("x_max");
static Y_MIN: FieldName = FieldName::new("y_min");
static Y_MAX: FieldName = FieldName::new("y_max");

/// An empty structure named `name`.
fn new_structure(name: &FieldName) -> gst::Structure {
    // SAFETY: gst_structure_new_id_empty returns a new, owned, non-NULL structure.
    unsafe {
        glib::translate::from_glib_full(gst::ffi::gst_structure_new_id_empty(
            name.quark().into_glib(),
        ))
    }
}

/// Sets field `name` of `s` to `value`.
fn set_by_name(s: &mut gst::StructureRef, name: &FieldName, value: impl Into<glib::Value> + Send) {
    // The quark setter is deprecated from 1.26 on in favour of GstIdStr, which
    // 1.22 lacks; it stays available and fast.
    #[allow(deprecated)]
    s.set_by_quark(name.quark(), value);
}

/// The quark of a region label. A stream's regions carry few labels: each
/// thread remembers the quarks of up to 64, so adding a region does not copy
/// its label into a C string and look it up in GLib's locked quark table.
pub fn label_quark_of(label: &str) -> glib::Quark {
    thread_local! {
        static KNOWN: std::cell::RefCell<Vec<(String, glib::Quark)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        if let Some((_, q)) = known.iter().find(|(l, _)| l == label) {
            return *q;
        }
        let q = glib::Quark::from_str(label);
        if known.len() < 64 {
            known.push((label.to_owned(), q));
        }
        q
    })
}

/// One region as a row of numbers: the layout of the numpy structured array that
/// `VideoFrame.regions_array()` returns (fields in this order, all 4 bytes, no padding).
/// Missing values are [`RegionRow::NONE`] (ids, `label_id`) or NaN (`confidence`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegionRow {
    /// Left edge in pixels.
    pub x: i32,
    /// Top edge in pixels.
    pub y: i32,
    /// Width in pixels.
    pub w: i32,
    /// Height in pixels.
    pub h: i32,
    /// Detection confidence, NaN without one.
    pub confidence: f32,
    /// Detection `label_id`, -1 without one.
    pub label_id: i32,
    /// Region id.
    pub id: i32,
    /// Parent region id (see `RegionOfInterest.parent_id()`), -1 without one.
    pub parent_id: i32,
    /// Tracking id (the `object_id` parameter), -1 without one.
    pub object_id: i32,
}

impl RegionRow {
    /// The value of an id or `label_id` that is absent.
    pub const NONE: i32 = -1;

    /// The fields' names, in layout order.
    pub const FIELDS: [&'static str; 9] = [
        "x",
        "y",
        "w",
        "h",
        "confidence",
        "label_id",
        "id",
        "parent_id",
        "object_id",
    ];

    /// The row of `roi`, a region of `buffer`.
    pub fn of(buffer: &gst::BufferRef, roi: &RoiMeta) -> RegionRow {
        let r = rect(roi);
        let int = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        // One walk over the parameters finds both structures (as `detection()`
        // and `object_id()` do: the first of each name).
        let (mut detection, mut tracking) = (None, None);
        for s in roi.params() {
            if detection.is_none() && has_name(s, DETECTION_NAME) {
                detection = Some(crate::tensor::Tensor::from_structure(s));
            } else if tracking.is_none() && has_name(s, OBJECT_ID_NAME) {
                tracking = Some(crate::tensor::Tensor::from_structure(s));
            }
            if detection.is_some() && tracking.is_some() {
                break;
            }
        }
        RegionRow {
            x: int(r.x),
            y: int(r.y),
            w: int(r.w),
            h: int(r.h),
            confidence: detection
                .and_then(|d| d.confidence())
                .map_or(f32::NAN, |c| c as f32),
            label_id: detection.and_then(|d| d.label_id()).unwrap_or(Self::NONE),
            id: roi.id(),
            parent_id: crate::analytics::parent_id(buffer, roi).unwrap_or(Self::NONE),
            object_id: tracking
                .and_then(|t| crate::tensor::int_of(t.value_of(&ID)?))
                .unwrap_or(Self::NONE),
        }
    }
}

/// Adds a region to `buffer`: an ROI meta with `roi_type` = `label`, pixel `rect`, a fresh id
/// ([`fresh_region_id`]) and a first `detection` parameter ([`detection_structure`]).
///
/// `rect` is stored as given: clip it first with [`clip_rect`] if needed.
pub fn add_region<'a>(
    buffer: &'a mut gst::BufferRef,
    label: &str,
    rect: Rect,
    frame_size: (u32, u32),
    confidence: f64,
    label_id: Option<i32>,
) -> MetaRefMut<'a, RoiMeta, Standalone> {
    add_region_quark(
        buffer,
        label_quark_of(label),
        rect,
        frame_size,
        confidence,
        label_id,
    )
}

/// Adds a region like [`add_region`], with its label given as a quark (see
/// [`label_quark_of`]).
pub fn add_region_quark<'a>(
    buffer: &'a mut gst::BufferRef,
    label: glib::Quark,
    rect: Rect,
    frame_size: (u32, u32),
    confidence: f64,
    label_id: Option<i32>,
) -> MetaRefMut<'a, RoiMeta, Standalone> {
    let mut roi = add_roi_meta(buffer, label.into_glib(), rect);
    roi.set_id(fresh_region_id());
    roi.add_param(detection_structure(rect, frame_size, confidence, label_id));
    roi
}

/// An empty structure named by `quark`.
pub fn new_structure_by_quark(quark: glib::Quark) -> gst::Structure {
    // SAFETY: gst_structure_new_id_empty returns a new structure, owned here.
    // (GStreamer 1.26 deprecates quark names for interned strings; the quark
    // calls remain and are the cheap path on every version.)
    #[allow(deprecated)]
    unsafe {
        glib::translate::from_glib_full(gst::ffi::gst_structure_new_id_empty(
            glib::translate::IntoGlib::into_glib(quark),
        ))
    }
}

/// Adds a bare ROI meta: label given as its raw quark (0 for none), box `rect`, id and parent
/// id 0, no parameters. The label goes in as a quark, so it is not looked up by name again.
pub fn add_roi_meta(
    buffer: &mut gst::BufferRef,
    label: u32,
    rect: Rect,
) -> MetaRefMut<'_, RoiMeta, Standalone> {
    // SAFETY: `&mut BufferRef` is a writable buffer held exclusively; the call
    // returns the new, non-NULL meta attached to it, of the ROI meta API.
    unsafe {
        let ptr = gst_video::ffi::gst_buffer_add_video_region_of_interest_meta_id(
            buffer.as_mut_ptr(),
            label,
            rect.x,
            rect.y,
            rect.w,
            rect.h,
        );
        RoiMeta::from_mut_ptr(buffer, ptr)
    }
}

/// The region's label (its `roi_type` quark string); `""` when unset or not valid UTF-8.
pub fn label(roi: &RoiMeta) -> &'static str {
    quark_text(label_quark(roi))
}

/// The string of a raw quark; `""` for 0, unknown quarks or strings that are not UTF-8.
pub fn quark_text(quark: u32) -> &'static str {
    // SAFETY: g_quark_to_string returns NULL for 0 or unknown quarks and otherwise an
    // interned string that lives for the rest of the process.
    unsafe {
        let s = glib::ffi::g_quark_to_string(quark);
        if s.is_null() {
            ""
        } else {
            CStr::from_ptr(s).to_str().unwrap_or("")
        }
    }
}

/// The region's label as its raw quark (`roi_type`; 0 when unset).
pub fn label_quark(roi: &RoiMeta) -> u32 {
    let ptr = roi as *const RoiMeta as *const gst_video::ffi::GstVideoRegionOfInterestMeta;
    // SAFETY: `RoiMeta` is #[repr(transparent)] over the C struct and `roi` is live.
    unsafe { (*ptr).roi_type }
}

/// Sets the region's label (`roi_type`).
pub fn set_label(roi: &mut RoiMeta, label: &str) {
    let ptr = roi as *mut RoiMeta as *mut gst_video::ffi::GstVideoRegionOfInterestMeta;
    // SAFETY: `RoiMeta` is #[repr(transparent)] over the C struct; we hold it exclusively.
    unsafe {
        (*ptr).roi_type = glib::Quark::from_str(label).into_glib();
    }
}

/// The region's rectangle in pixels.
pub fn rect(roi: &RoiMeta) -> Rect {
    roi.rect().into()
}

/// Sets the region's rectangle in pixels (the `detection` structure is left unchanged).
pub fn set_rect(roi: &mut RoiMeta, rect: Rect) {
    roi.set_rect(rect.as_tuple());
}

/// The region's parameter structures in list order.
pub fn params(roi: &RoiMeta) -> impl Iterator<Item = &gst::StructureRef> + '_ {
    roi.params()
}

/// The region's parameter structures in list order, writable.
pub fn params_mut(roi: &mut RoiMeta) -> ParamsIterMut<'_> {
    let ptr = roi as *mut RoiMeta as *mut gst_video::ffi::GstVideoRegionOfInterestMeta;
    ParamsIterMut {
        // SAFETY: `RoiMeta` is #[repr(transparent)] over the C struct; we hold it exclusively.
        list: unsafe { (*ptr).params },
        _roi: PhantomData,
    }
}

/// Iterator over a region's (or an audio event's) parameter structures, writable (see
/// [`params_mut`]).
pub struct ParamsIterMut<'a> {
    // Invariant: `list` belongs to a params list (of an ROI or audio event meta) that is
    // mutably borrowed for 'a.
    list: *mut glib::ffi::GList,
    _roi: PhantomData<&'a mut ()>,
}

impl ParamsIterMut<'_> {
    /// # Safety
    /// `list` must be NULL or the head of a `GList` of owned `GstStructure *` that stays alive
    /// and is not accessed otherwise for the iterator's lifetime.
    pub(crate) unsafe fn new(list: *mut glib::ffi::GList) -> Self {
        ParamsIterMut {
            list,
            _roi: PhantomData,
        }
    }
}

impl<'a> Iterator for ParamsIterMut<'a> {
    type Item = &'a mut gst::StructureRef;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.list.is_null() {
            // SAFETY: `list` is a live node of a params list borrowed mutably for 'a (struct
            // invariant); each node's data is NULL or a distinct owned structure, and each node is
            // visited once, so the returned mutable references never alias.
            unsafe {
                let data = (*self.list).data as *mut gst::ffi::GstStructure;
                self.list = (*self.list).next;
                if !data.is_null() {
                    return Some(gst::StructureRef::from_glib_borrow_mut(data));
                }
            }
        }
        None
    }
}

/// The first parameter structure named `name`.
pub fn param<'a>(roi: &'a RoiMeta, name: &str) -> Option<&'a gst::StructureRef> {
    roi.params().find(|s| has_name(s, name))
}

/// The first parameter structure named `name`, writable.
pub fn param_mut<'a>(roi: &'a mut RoiMeta, name: &str) -> Option<&'a mut gst::StructureRef> {
    params_mut(roi).find(|s| has_name(s, name))
}

/// The parameter structure stored at address `ptr`, if it is (still) one of the region's
/// parameters. The address identifies a structure across calls; it is only compared, never
/// dereferenced unless found in the list.
pub fn param_by_ptr(
    roi: &RoiMeta,
    ptr: *const gst::ffi::GstStructure,
) -> Option<&gst::StructureRef> {
    roi.params().find(|s| std::ptr::eq(s.as_ptr(), ptr))
}

/// The parameter structure stored at address `ptr`, writable (see [`param_by_ptr`]).
pub fn param_by_ptr_mut(
    roi: &mut RoiMeta,
    ptr: *const gst::ffi::GstStructure,
) -> Option<&mut gst::StructureRef> {
    params_mut(roi).find(|s| std::ptr::eq(s.as_ptr(), ptr))
}

/// Appends a parameter structure and returns it, writable.
pub fn add_param(roi: &mut RoiMeta, structure: gst::Structure) -> &mut gst::StructureRef {
    let ptr = roi as *mut RoiMeta as *mut gst_video::ffi::GstVideoRegionOfInterestMeta;
    let s = structure.into_glib_ptr();
    // SAFETY: `RoiMeta` is #[repr(transparent)] over the C struct, held exclusively. The meta
    // takes ownership of `s` (its free function frees the params) and keeps it alive while the
    // region is borrowed, so the returned reference is valid for the borrow of `roi`.
    unsafe {
        gst_video::ffi::gst_video_region_of_interest_meta_add_param(ptr, s);
        gst::StructureRef::from_glib_borrow_mut(s)
    }
}

/// Removes the parameter structures named `name`; returns how many were removed.
pub fn remove_params(roi: &mut RoiMeta, name: &str) -> usize {
    let ptr = roi as *mut RoiMeta as *mut gst_video::ffi::GstVideoRegionOfInterestMeta;
    let mut removed = 0;
    // SAFETY: `RoiMeta` is #[repr(transparent)] over the C struct, held exclusively. We walk the
    // owned list, unlinking (g_list_delete_link) and freeing matching structures; `next` is read
    // before a node is deleted.
    unsafe {
        let mut walk = (*ptr).params;
        while !walk.is_null() {
            let next = (*walk).next;
            let s = (*walk).data as *mut gst::ffi::GstStructure;
            if !s.is_null() && gst::StructureRef::from_glib_borrow(s).name() == name {
                (*ptr).params = glib::ffi::g_list_delete_link((*ptr).params, walk);
                gst::ffi::gst_structure_free(s);
                removed += 1;
            }
            walk = next;
        }
    }
    removed
}

/// The first `detection` structure, if any.
pub fn detection(roi: &RoiMeta) -> Option<&gst::StructureRef> {
    param(roi, DETECTION_NAME)
}

/// The first `detection` structure, writable; an empty one is appended if absent (as the
/// reference `RegionOfInterest.detection()` does).
pub fn detection_mut(roi: &mut RoiMeta) -> &mut gst::StructureRef {
    let found = param_mut(roi, DETECTION_NAME).map(|s| s.as_mut_ptr());
    match found {
        // SAFETY: `p` is a structure owned by the region's params list; the mutable borrow of
        // `roi` taken by this function keeps it alive and unaliased for the returned lifetime.
        Some(p) => unsafe { gst::StructureRef::from_glib_borrow_mut(p) },
        None => add_param(roi, gst::Structure::new_empty(DETECTION_NAME)),
    }
}

/// The detection confidence (`detection.confidence`).
pub fn confidence(roi: &RoiMeta) -> Option<f64> {
    detection(roi).and_then(|s| crate::tensor::Tensor::from_structure(s).confidence())
}

/// The detection label id (`detection.label_id`).
pub fn label_id(roi: &RoiMeta) -> Option<i32> {
    detection(roi).and_then(|s| crate::tensor::Tensor::from_structure(s).label_id())
}

/// The normalized box `(x, y, w, h)` from the `detection` structure's `x_min`, `y_min`,
/// `x_max`, `y_max`; `None` if any is missing.
pub fn normalized_rect(roi: &RoiMeta) -> Option<(f64, f64, f64, f64)> {
    let t = crate::tensor::Tensor::from_structure(detection(roi)?);
    let (x_min, x_max) = (t.double("x_min")?, t.double("x_max")?);
    let (y_min, y_max) = (t.double("y_min")?, t.double("y_max")?);
    Some((x_min, y_min, x_max - x_min, y_max - y_min))
}

/// The tracking id: field `id` of the `object_id` parameter structure.
pub fn object_id(roi: &RoiMeta) -> Option<i32> {
    let tracking = crate::tensor::Tensor::from_structure(param(roi, OBJECT_ID_NAME)?);
    crate::tensor::int_of(tracking.value_of(&ID)?)
}

/// The tracking id's field in the `object_id` structure.
static ID: FieldName = FieldName::new("id");

/// Sets the tracking id, creating the `object_id` parameter structure if absent.
pub fn set_object_id(roi: &mut RoiMeta, id: i32) {
    match param_mut(roi, OBJECT_ID_NAME) {
        Some(s) => s.set("id", id),
        None => {
            roi.add_param(
                gst::Structure::builder(OBJECT_ID_NAME)
                    .field("id", id)
                    .build(),
            );
        }
    }
}

/// The parameter structures that are tensors: all except `object_id`, in list order.
pub fn tensors(roi: &RoiMeta) -> impl Iterator<Item = &gst::StructureRef> + '_ {
    roi.params().filter(|s| !has_name(s, OBJECT_ID_NAME))
}

/// The region's parent id.
pub fn parent_id(roi: &RoiMeta) -> i32 {
    roi.parent_id()
}

/// Sets the region's parent id.
pub fn set_parent_id(roi: &mut RoiMeta, parent_id: i32) {
    roi.set_parent_id(parent_id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_init as init;

    #[test]
    fn clip_matches_reference() {
        // Inside: unchanged.
        assert_eq!(
            clip_rect(0, 0, 100, 50, 100, 50),
            (Rect::new(0, 0, 100, 50), false)
        );
        // Overflowing right/bottom edges.
        assert_eq!(
            clip_rect(90, 40, 20, 20, 100, 50),
            (Rect::new(90, 40, 10, 10), true)
        );
        // Negative origin: clamped to 0, width kept (reference behaviour) but cut at the edge.
        assert_eq!(
            clip_rect(-10, -10, 30, 80, 100, 50),
            (Rect::new(0, 0, 30, 50), true)
        );
        // Negative size.
        assert_eq!(
            clip_rect(5, 5, -3, 4, 100, 50),
            (Rect::new(5, 5, 0, 4), true)
        );
        // Entirely outside.
        assert_eq!(
            clip_rect(200, 100, 5, 5, 100, 50),
            (Rect::new(100, 50, 0, 0), true)
        );
        // Extreme values do not overflow.
        assert_eq!(
            clip_rect(i64::MAX, i64::MIN, i64::MAX, i64::MAX, 100, 50),
            (Rect::new(100, 0, 0, 50), true)
        );
        assert!(is_inside(0, 0, 0, 0, 0, 0));
        assert!(!is_inside(0, 0, 1, 0, 0, 0));
    }

    #[test]
    fn denormalize_truncates() {
        assert_eq!(
            denormalize(0.5, 0.25, 0.333, 1.0, 101, 40),
            (50, 10, 33, 40)
        );
        assert_eq!(
            denormalize(f64::NAN, -0.5, 2.0, 0.0, 10, 10),
            (0, -5, 20, 0)
        );
    }

    #[test]
    fn add_region_conventions() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        let id1;
        {
            let roi = add_region(
                b,
                "person",
                Rect::new(20, 10, 60, 30),
                (200, 100),
                0.8,
                None,
            );
            id1 = roi.id();
            assert!(id1 != 0);
            assert_eq!(label(&roi), "person");
            assert_eq!(rect(&roi), Rect::new(20, 10, 60, 30));
            let det = detection(&roi).unwrap();
            assert_eq!(det.name(), "detection");
            for (field, value) in [
                ("confidence", 0.8),
                ("x_min", 0.1),
                ("x_max", 0.4),
                ("y_min", 0.1),
                ("y_max", 0.4),
            ] {
                assert_eq!(det.value(field).unwrap().type_(), glib::Type::F64);
                assert!(
                    (det.get::<f64>(field).unwrap() - value).abs() < 1e-12,
                    "{field}"
                );
            }
            assert!(!det.has_field("label_id"));
            assert_eq!(label_id(&roi), None);
        }
        let roi = add_region(b, "car", Rect::new(0, 0, 1, 1), (0, 0), 0.5, Some(3));
        assert!(roi.id() > id1, "ids are fresh and increasing");
        assert_eq!(label_id(&roi), Some(3));
        assert_eq!(normalized_rect(&roi), Some((0.0, 0.0, 0.0, 0.0)));
    }

    #[test]
    fn params_object_id_and_tensors() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        let mut roi = add_region(b, "face", Rect::new(1, 2, 3, 4), (10, 10), 0.9, None);
        assert_eq!(object_id(&roi), None);
        set_object_id(&mut roi, 5);
        set_object_id(&mut roi, 6);
        assert_eq!(object_id(&roi), Some(6));
        let age = add_param(&mut roi, gst::Structure::new_empty("age"));
        age.set("label", "30");
        let names: Vec<&str> = params(&roi).map(|s| s.name().as_str()).collect();
        assert_eq!(names, ["detection", "object_id", "age"]);
        let names: Vec<&str> = tensors(&roi).map(|s| s.name().as_str()).collect();
        assert_eq!(names, ["detection", "age"]);
        for s in params_mut(&mut roi) {
            s.set("seen", true);
        }
        assert!(params(&roi).all(|s| s.get::<bool>("seen").unwrap()));
        assert_eq!(
            param(&roi, "age").unwrap().get::<&str>("label").unwrap(),
            "30"
        );

        set_parent_id(&mut roi, 42);
        assert_eq!(parent_id(&roi), 42);
        set_rect(&mut roi, Rect::new(5, 6, 7, 8));
        assert_eq!(rect(&roi), Rect::new(5, 6, 7, 8));
        set_label(&mut roi, "head");
        assert_eq!(label(&roi), "head");

        assert_eq!(remove_params(&mut roi, "detection"), 1);
        assert_eq!(detection(&roi).map(|s| s.name().as_str()), None);
        assert_eq!(confidence(&roi), None);
        // detection_mut creates an empty detection when absent.
        detection_mut(&mut roi).set("confidence", 0.25f64);
        assert_eq!(confidence(&roi), Some(0.25));
        let names: Vec<&str> = params(&roi).map(|s| s.name().as_str()).collect();
        assert_eq!(names, ["object_id", "age", "detection"]);
    }

    #[test]
    fn foreign_roi_without_params_or_label() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        let mut roi = RoiMeta::add(b, "x", (0, 0, 1, 1));
        // SAFETY: test: a quark value of 0 is what C code gets from an unset roi_type.
        unsafe {
            (*roi.as_mut_ptr()).roi_type = 0;
        }
        assert_eq!(label(&roi), "");
        assert_eq!(detection(&roi).map(|_| ()), None);
        assert_eq!(normalized_rect(&roi), None);
        assert_eq!(object_id(&roi), None);
        assert_eq!(tensors(&roi).count(), 0);
    }

    #[test]
    fn regions_survive_copies_with_params() {
        init();
        let mut buffer = gst::Buffer::with_size(4).unwrap();
        {
            let b = buffer.get_mut().unwrap();
            let mut roi = add_region(b, "dog", Rect::new(1, 1, 2, 2), (4, 4), 0.7, Some(12));
            set_object_id(&mut roi, 99);
        }
        let copy = buffer.copy_deep().unwrap();
        let roi = copy.meta::<RoiMeta>().unwrap();
        assert_eq!(label(&roi), "dog");
        assert_eq!(label_id(&roi), Some(12));
        assert_eq!(object_id(&roi), Some(99));
        assert_eq!(roi.id(), buffer.meta::<RoiMeta>().unwrap().id());
    }
}
