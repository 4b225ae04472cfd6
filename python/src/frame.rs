//! Per-buffer operations: list, add and remove regions, tensors, JSON messages and audio events.
//!
//! The listing functions return metas in the order they were added: sorted by the per-process
//! meta sequence number (`gst_meta_get_seqnum`, see [`meta_seqnum`]), which agrees with
//! GStreamer's own list order; buffer copies (`gst_buffer_copy_into`) keep that order. The same
//! number identifies a meta for removal: it is unique in the process, so a meta from another
//! buffer (a copy included) never matches.
//!
//! ```
//! use gvarust_meta::{frame, region::Rect};
//! gst::init().unwrap();
//! let mut buffer = gst::Buffer::new();
//! let b = buffer.get_mut().unwrap();
//! frame::add_region(b, "a", Rect::new(0, 0, 1, 1), (10, 10), 0.5, None);
//! frame::add_region(b, "b", Rect::new(0, 0, 1, 1), (10, 10), 0.5, None);
//! frame::add_message(b, "{}").unwrap();
//! let labels: Vec<_> = frame::regions(b).iter().map(|r| r.roi_type()).collect();
//! assert_eq!(labels, ["a", "b"]);
//! let seqnum = frame::message_seqnums(b)[0];
//! assert!(frame::remove_message(b, seqnum));
//! assert!(frame::messages(b).is_empty());
//! ```

use std::ops::ControlFlow;

use gst::buffer::BufferMetaForeachAction;
use gst::meta::{MetaAPI, MetaRef, MetaRefMut, Standalone};

pub use crate::meta::meta_seqnum;
use crate::meta::{AddMessageError, AudioEventMeta, JsonMeta, TensorMeta};
pub use crate::region::add_region;
use crate::region::{RegionRow, RoiMeta};
use crate::tensor::DETECTION_NAME;

/// All metas of type `T` on `buffer`, in the order they were added (ascending meta seqnum).
pub fn metas_in_order<T: MetaAPI>(buffer: &gst::BufferRef) -> Vec<MetaRef<'_, T>> {
    metas_with_seqnums(buffer)
        .into_iter()
        .map(|(_, meta)| meta)
        .collect()
}

/// All metas of type `T` on `buffer` with their sequence numbers, in the order they were
/// added.
pub fn metas_with_seqnums<T: MetaAPI>(buffer: &gst::BufferRef) -> Vec<(u64, MetaRef<'_, T>)> {
    let mut metas: Vec<(u64, MetaRef<'_, T>)> = Vec::with_capacity(32);
    metas.extend(buffer.iter_meta::<T>().map(|m| (meta_seqnum::<T>(&m), m)));
    // GStreamer keeps metas in the order they were added (it appends), so
    // sorting is needed only for buffers built otherwise.
    if !metas.windows(2).all(|pair| pair[0].0 < pair[1].0) {
        metas.sort_unstable_by_key(|(seqnum, _)| *seqnum);
    }
    metas
}

/// The meta of type `T` whose sequence number is `seqnum`, if it is on `buffer`.
pub fn meta_by_seqnum<T: MetaAPI>(buffer: &gst::BufferRef, seqnum: u64) -> Option<MetaRef<'_, T>> {
    buffer
        .iter_meta::<T>()
        .find(|m| meta_seqnum::<T>(m) == seqnum)
}

/// The meta of type `T` whose sequence number is `seqnum`, writable, if it is on `buffer`.
pub fn meta_by_seqnum_mut<T: MetaAPI>(
    buffer: &mut gst::BufferRef,
    seqnum: u64,
) -> Option<MetaRefMut<'_, T, gst::meta::Iterated>> {
    buffer
        .iter_meta_mut::<T>()
        .find(|m| meta_seqnum::<T>(m) == seqnum)
}

/// Removes the first meta of type `T` for which `pred` is true. Returns whether one was
/// removed. Locked metas are never removed.
pub fn remove_meta_where<T: MetaAPI + 'static>(
    buffer: &mut gst::BufferRef,
    mut pred: impl FnMut(&T) -> bool,
) -> bool {
    let api = T::meta_api();
    let mut removed = false;
    buffer.foreach_meta_mut(|mut meta| {
        if meta.api() != api || meta.flags().contains(gst::MetaFlags::LOCKED) {
            return ControlFlow::Continue(BufferMetaForeachAction::Keep);
        }
        match meta.downcast_ref::<T>() {
            Some(m) if pred(m) => {
                removed = true;
                ControlFlow::Break(BufferMetaForeachAction::Remove)
            }
            _ => ControlFlow::Continue(BufferMetaForeachAction::Keep),
        }
    });
    removed
}

/// Removes the meta of type `T` whose sequence number is `seqnum`. Returns whether it was found.
pub fn remove_meta_by_seqnum<T: MetaAPI + 'static>(
    buffer: &mut gst::BufferRef,
    seqnum: u64,
) -> bool {
    remove_meta_where::<T>(buffer, |m| meta_seqnum(m) == seqnum)
}

/// The buffer's regions (ROI metas) in the order they were added.
pub fn regions(buffer: &gst::BufferRef) -> Vec<MetaRef<'_, RoiMeta>> {
    metas_in_order::<RoiMeta>(buffer)
}

/// The buffer's regions with their meta sequence numbers, in the order they were added.
pub fn regions_with_seqnums(buffer: &gst::BufferRef) -> Vec<(u64, MetaRef<'_, RoiMeta>)> {
    metas_with_seqnums::<RoiMeta>(buffer)
}

/// Every region as a [`RegionRow`] of numbers, in the order they were added.
pub fn region_rows(buffer: &gst::BufferRef) -> Vec<RegionRow> {
    regions_with_seqnums(buffer)
        .iter()
        .map(|(_, roi)| RegionRow::of(buffer, roi))
        .collect()
}

/// The sequence numbers of the buffer's regions, in the order they were added.
pub fn region_seqnums(buffer: &gst::BufferRef) -> Vec<u64> {
    seqnums::<RoiMeta>(buffer)
}

/// The first-added region whose ROI `id` is `id`.
pub fn region_by_id(buffer: &gst::BufferRef, id: i32) -> Option<MetaRef<'_, RoiMeta>> {
    regions(buffer).into_iter().find(|r| r.id() == id)
}

/// The region whose meta sequence number is `seqnum`.
pub fn region_by_seqnum(buffer: &gst::BufferRef, seqnum: u64) -> Option<MetaRef<'_, RoiMeta>> {
    meta_by_seqnum::<RoiMeta>(buffer, seqnum)
}

/// The region whose meta sequence number is `seqnum`, writable.
pub fn region_mut(
    buffer: &mut gst::BufferRef,
    seqnum: u64,
) -> Option<MetaRefMut<'_, RoiMeta, gst::meta::Iterated>> {
    meta_by_seqnum_mut::<RoiMeta>(buffer, seqnum)
}

/// Removes the region whose meta sequence number is `seqnum` (its identity). Returns whether it
/// was on the buffer.
pub fn remove_region(buffer: &mut gst::BufferRef, seqnum: u64) -> bool {
    remove_meta_by_seqnum::<RoiMeta>(buffer, seqnum)
}

/// Removes the first-added region whose ROI `id` is `id`. Returns whether one was removed.
pub fn remove_region_by_id(buffer: &mut gst::BufferRef, id: i32) -> bool {
    match region_by_id(buffer, id).map(|r| meta_seqnum::<RoiMeta>(&r)) {
        Some(seqnum) => remove_region(buffer, seqnum),
        None => false,
    }
}

/// The buffer's GVA tensor metas in the order they were added.
pub fn tensors(buffer: &gst::BufferRef) -> Vec<MetaRef<'_, TensorMeta>> {
    metas_in_order::<TensorMeta>(buffer)
}

/// The sequence numbers of the buffer's tensor metas, in the order they were added.
pub fn tensor_seqnums(buffer: &gst::BufferRef) -> Vec<u64> {
    seqnums::<TensorMeta>(buffer)
}

/// The tensor meta whose sequence number is `seqnum`, writable.
pub fn tensor_mut(
    buffer: &mut gst::BufferRef,
    seqnum: u64,
) -> Option<MetaRefMut<'_, TensorMeta, gst::meta::Iterated>> {
    meta_by_seqnum_mut::<TensorMeta>(buffer, seqnum)
}

/// Adds a GVA tensor meta holding an empty structure named `meta`.
pub fn add_tensor(
    buffer: &mut gst::BufferRef,
) -> Result<MetaRefMut<'_, TensorMeta, Standalone>, glib::BoolError> {
    TensorMeta::add(buffer)
}

/// The tensor meta whose sequence number is `seqnum`.
pub fn tensor_by_seqnum(buffer: &gst::BufferRef, seqnum: u64) -> Option<MetaRef<'_, TensorMeta>> {
    meta_by_seqnum::<TensorMeta>(buffer, seqnum)
}

/// Removes the tensor meta whose sequence number is `seqnum`. Returns whether it was found.
pub fn remove_tensor(buffer: &mut gst::BufferRef, seqnum: u64) -> bool {
    remove_meta_by_seqnum::<TensorMeta>(buffer, seqnum)
}

/// The buffer's JSON message metas in the order they were added.
pub fn messages(buffer: &gst::BufferRef) -> Vec<MetaRef<'_, JsonMeta>> {
    metas_in_order::<JsonMeta>(buffer)
}

/// The buffer's JSON messages as text, in the order they were added (metas without a message
/// are skipped; invalid UTF-8 is replaced, see [`JsonMeta::message`]).
pub fn message_strings(buffer: &gst::BufferRef) -> Vec<String> {
    messages(buffer)
        .iter()
        .filter_map(|m| m.message().map(|s| s.into_owned()))
        .collect()
}

/// The sequence numbers of the buffer's JSON metas, in the order they were added.
pub fn message_seqnums(buffer: &gst::BufferRef) -> Vec<u64> {
    seqnums::<JsonMeta>(buffer)
}

/// Adds a JSON message meta.
pub fn add_message<'a>(
    buffer: &'a mut gst::BufferRef,
    message: &str,
) -> Result<MetaRefMut<'a, JsonMeta, Standalone>, AddMessageError> {
    JsonMeta::add(buffer, message)
}

/// The JSON meta whose sequence number is `seqnum`.
pub fn message_by_seqnum(buffer: &gst::BufferRef, seqnum: u64) -> Option<MetaRef<'_, JsonMeta>> {
    meta_by_seqnum::<JsonMeta>(buffer, seqnum)
}

/// Removes the JSON meta whose sequence number is `seqnum` (its identity). Returns whether it
/// was on the buffer.
pub fn remove_message(buffer: &mut gst::BufferRef, seqnum: u64) -> bool {
    remove_meta_by_seqnum::<JsonMeta>(buffer, seqnum)
}

/// The buffer's GVA audio event metas in the order they were added.
pub fn audio_events(buffer: &gst::BufferRef) -> Vec<MetaRef<'_, AudioEventMeta>> {
    metas_in_order::<AudioEventMeta>(buffer)
}

/// The sequence numbers of the buffer's audio event metas, in the order they were added.
pub fn audio_event_seqnums(buffer: &gst::BufferRef) -> Vec<u64> {
    seqnums::<AudioEventMeta>(buffer)
}

/// The audio event meta whose sequence number is `seqnum`.
pub fn audio_event_by_seqnum(
    buffer: &gst::BufferRef,
    seqnum: u64,
) -> Option<MetaRef<'_, AudioEventMeta>> {
    meta_by_seqnum::<AudioEventMeta>(buffer, seqnum)
}

/// The audio event meta whose sequence number is `seqnum`, writable.
pub fn audio_event_mut(
    buffer: &mut gst::BufferRef,
    seqnum: u64,
) -> Option<MetaRefMut<'_, AudioEventMeta, gst::meta::Iterated>> {
    meta_by_seqnum_mut::<AudioEventMeta>(buffer, seqnum)
}

/// Adds an audio event like DL Streamer's C++ `AudioFrame::add_event`: an audio event meta
/// with `label` as its event type, the timestamps (nanoseconds), id 0 and a first `detection`
/// parameter holding `start_timestamp`, `end_timestamp` (UINT64), `confidence` (DOUBLE) and,
/// when given, `label_id` (INT).
///
/// ```
/// use gvarust_meta::frame;
/// gst::init().unwrap();
/// let mut buffer = gst::Buffer::new();
/// let b = buffer.get_mut().unwrap();
/// let seqnum = frame::meta_seqnum(&*frame::add_audio_event(b, 0, 10, "Speech", 0.75, Some(3)).unwrap());
/// let event = frame::audio_event_by_seqnum(b, seqnum).unwrap();
/// assert_eq!((event.confidence(), event.label_id()), (Some(0.75), Some(3)));
/// ```
pub fn add_audio_event<'a>(
    buffer: &'a mut gst::BufferRef,
    start: u64,
    end: u64,
    label: &str,
    confidence: f64,
    label_id: Option<i32>,
) -> Result<MetaRefMut<'a, AudioEventMeta, Standalone>, glib::BoolError> {
    let mut meta = AudioEventMeta::add(buffer, label, start, end)?;
    let mut detection = gst::Structure::builder(DETECTION_NAME)
        .field("start_timestamp", start)
        .field("end_timestamp", end)
        .field("confidence", confidence);
    if let Some(label_id) = label_id {
        detection = detection.field("label_id", label_id);
    }
    meta.add_param(detection.build());
    Ok(meta)
}

/// Removes the audio event meta whose sequence number is `seqnum`. Returns whether it was on
/// the buffer.
pub fn remove_audio_event(buffer: &mut gst::BufferRef, seqnum: u64) -> bool {
    remove_meta_by_seqnum::<AudioEventMeta>(buffer, seqnum)
}

fn seqnums<T: MetaAPI>(buffer: &gst::BufferRef) -> Vec<u64> {
    metas_in_order::<T>(buffer)
        .iter()
        .map(|m| meta_seqnum::<T>(m))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::{self, Rect};
    use crate::test_init as init;

    fn labels(buffer: &gst::BufferRef) -> Vec<String> {
        regions(buffer)
            .iter()
            .map(|r| region::label(r).to_string())
            .collect()
    }

    #[test]
    fn regions_in_added_order_and_removal() {
        init();
        let mut buffer = gst::Buffer::with_size(8).unwrap();
        let b = buffer.get_mut().unwrap();
        for label in ["a", "b", "c", "d"] {
            add_region(b, label, Rect::new(0, 0, 2, 2), (4, 4), 0.5, None);
        }
        assert_eq!(labels(b), ["a", "b", "c", "d"]);

        let seqnums = region_seqnums(b);
        assert_eq!(seqnums.len(), 4);
        assert!(remove_region(b, seqnums[1]));
        assert!(!remove_region(b, seqnums[1]), "already removed");
        assert_eq!(labels(b), ["a", "c", "d"]);

        let id_c = regions(b)[1].id();
        assert_eq!(region::label(&region_by_id(b, id_c).unwrap()), "c");
        assert!(remove_region_by_id(b, id_c));
        assert!(!remove_region_by_id(b, id_c));
        assert_eq!(labels(b), ["a", "d"]);

        let s_d = region_seqnums(b)[1];
        let mut roi = region_mut(b, s_d).unwrap();
        region::set_object_id(&mut roi, 3);
        assert_eq!(region::object_id(&regions(b)[1]), Some(3));
        assert!(region_mut(b, seqnums[1]).is_none());
    }

    #[test]
    fn lookup_by_seqnum_and_param_pointer() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        let ptr = {
            let mut roi = add_region(b, "a", Rect::new(0, 0, 1, 1), (2, 2), 0.5, None);
            region::add_param(&mut roi, gst::Structure::new_empty("age")).as_ptr()
        };
        add_tensor(b).unwrap();
        add_message(b, "m").unwrap();
        let (r, t, m) = (
            region_seqnums(b)[0],
            tensor_seqnums(b)[0],
            message_seqnums(b)[0],
        );
        assert_eq!(region::label(&region_by_seqnum(b, r).unwrap()), "a");
        assert!(tensor_by_seqnum(b, t).is_some());
        assert_eq!(
            message_by_seqnum(b, m).unwrap().message().as_deref(),
            Some("m")
        );
        // A seqnum of another meta type finds nothing.
        assert!(tensor_by_seqnum(b, m).is_none());
        assert!(region_by_seqnum(b, t).is_none());
        {
            let roi = region_by_seqnum(b, r).unwrap();
            assert_eq!(region::param_by_ptr(&roi, ptr).unwrap().name(), "age");
            assert!(region::param_by_ptr(&roi, std::ptr::null()).is_none());
        }
        let mut roi = region_mut(b, r).unwrap();
        region::param_by_ptr_mut(&mut roi, ptr)
            .unwrap()
            .set("x", 1i32);
        assert_eq!(region::remove_params(&mut roi, "age"), 1);
        assert!(region::param_by_ptr(&roi, ptr).is_none());
    }

    #[test]
    fn removal_only_touches_the_matching_type() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        add_message(b, "m").unwrap();
        add_tensor(b).unwrap();
        AudioEventMeta::add(b, "e", 0, 1).unwrap();
        let msg = message_seqnums(b)[0];
        let tensor = tensor_seqnums(b)[0];
        // A JSON seqnum does not remove a tensor, and the other way round.
        assert!(!remove_tensor(b, msg));
        assert!(!remove_message(b, tensor));
        assert!(!remove_region(b, msg));
        assert!(remove_tensor(b, tensor));
        assert!(tensors(b).is_empty());
        assert_eq!(message_strings(b), ["m"]);
        assert_eq!(audio_events(b).len(), 1);
        assert_eq!(audio_events(b)[0].event_type(), Some("e"));
    }

    #[test]
    fn audio_events_add_find_and_remove() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        let first = meta_seqnum(&*add_audio_event(b, 5, 9, "Dog", 0.5, None).unwrap());
        let second = meta_seqnum(&*add_audio_event(b, 10, 20, "Cat", 0.0, Some(4)).unwrap());
        assert_eq!(audio_event_seqnums(b), [first, second]);
        {
            let event = audio_event_by_seqnum(b, first).unwrap();
            assert_eq!(event.event_type(), Some("Dog"));
            assert_eq!(
                (event.id(), event.start_timestamp(), event.end_timestamp()),
                (0, 5, 9)
            );
            let detection = event.detection().unwrap();
            assert_eq!(detection.get::<u64>("start_timestamp").unwrap(), 5);
            assert_eq!(detection.get::<u64>("end_timestamp").unwrap(), 9);
            assert_eq!(detection.get::<f64>("confidence").unwrap(), 0.5);
            assert!(!detection.has_field("label_id"));
            assert_eq!(event.params().count(), 1);
        }
        assert_eq!(
            audio_event_by_seqnum(b, second).unwrap().label_id(),
            Some(4)
        );
        audio_event_mut(b, second).unwrap().set_id(7);
        assert_eq!(audio_events(b)[1].id(), 7);
        assert!(audio_event_by_seqnum(b, first + second + 1).is_none());
        assert!(remove_audio_event(b, first));
        assert!(!remove_audio_event(b, first));
        assert!(audio_event_mut(b, first).is_none());
        assert_eq!(audio_event_seqnums(b), [second]);
    }

    #[test]
    fn tensors_in_order_and_mutation() {
        init();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        for i in 0..3i32 {
            let mut t = add_tensor(b).unwrap();
            t.structure_mut().set("index", i);
        }
        let order: Vec<i32> = tensors(b)
            .iter()
            .map(|t| t.structure().get::<i32>("index").unwrap())
            .collect();
        assert_eq!(order, [0, 1, 2]);
        let s1 = tensor_seqnums(b)[1];
        tensor_mut(b, s1)
            .unwrap()
            .structure_mut()
            .set_name("renamed");
        assert_eq!(tensors(b)[1].structure().name(), "renamed");
    }

    #[test]
    fn messages_roundtrip_and_copies() {
        init();
        let mut buffer = gst::Buffer::with_size(1).unwrap();
        {
            let b = buffer.get_mut().unwrap();
            add_message(b, r#"{"n":1}"#).unwrap();
            add_message(b, r#"{"n":2}"#).unwrap();
        }
        assert_eq!(message_strings(&buffer), [r#"{"n":1}"#, r#"{"n":2}"#]);

        let copy = buffer.copy();
        let mut copied = message_strings(&copy);
        copied.sort();
        assert_eq!(copied, [r#"{"n":1}"#, r#"{"n":2}"#]);
        // Identity: a copy's metas are different metas.
        let original = message_seqnums(&buffer);
        let mut copy = copy;
        let c = copy.get_mut().unwrap();
        assert!(!remove_message(c, original[0]));
        let cs = message_seqnums(c);
        assert!(remove_message(c, cs[0]));
        assert_eq!(message_strings(c).len(), 1);
        assert_eq!(message_strings(&buffer).len(), 2);
    }

    #[test]
    fn all_metas_survive_copy_into() {
        init();
        let mut buffer = gst::Buffer::with_size(16).unwrap();
        {
            let b = buffer.get_mut().unwrap();
            let mut roi = add_region(b, "obj", Rect::new(1, 2, 3, 4), (16, 16), 0.6, Some(2));
            region::add_param(&mut roi, gst::Structure::new_empty("age"));
            let mut t = add_tensor(b).unwrap();
            t.structure_mut().set("layer_name", "l");
            add_message(b, "hello").unwrap();
        }
        let mut dest = gst::Buffer::with_size(16).unwrap();
        buffer
            .copy_into(dest.get_mut().unwrap(), gst::BufferCopyFlags::META, ..)
            .unwrap();
        for buf in [&dest, &buffer.copy(), &buffer.copy_deep().unwrap()] {
            let rois = regions(buf);
            assert_eq!(rois.len(), 1);
            assert_eq!(region::label(&rois[0]), "obj");
            assert_eq!(region::rect(&rois[0]), Rect::new(1, 2, 3, 4));
            assert_eq!(region::label_id(&rois[0]), Some(2));
            let names: Vec<&str> = region::params(&rois[0])
                .map(|s| s.name().as_str())
                .collect();
            assert_eq!(names, ["detection", "age"]);
            assert_eq!(
                tensors(buf)[0]
                    .structure()
                    .get::<&str>("layer_name")
                    .unwrap(),
                "l"
            );
            assert_eq!(message_strings(buf), ["hello"]);
        }
    }

    #[test]
    fn order_survives_copies() {
        init();
        let mut buffer = gst::Buffer::with_size(4).unwrap();
        {
            let b = buffer.get_mut().unwrap();
            for label in ["a", "b", "c"] {
                add_region(b, label, Rect::new(0, 0, 1, 1), (1, 1), 0.5, None);
            }
        }
        let twice = buffer.copy().copy();
        let mut into = gst::Buffer::new();
        twice
            .copy_into(into.get_mut().unwrap(), gst::BufferCopyFlags::META, ..)
            .unwrap();
        for buf in [&buffer.copy(), &buffer.copy_deep().unwrap(), &twice, &into] {
            assert_eq!(labels(buf), ["a", "b", "c"]);
        }
    }
}
