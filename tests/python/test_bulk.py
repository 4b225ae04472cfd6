"""The bulk API (`regions_array()`, `regions_labels()`, `add_regions()`) against the object API,
on real buffers: in pad probes with the pip package, and inside a gvarust callback."""

import math
import sys
import types
import warnings

import numpy
import pytest

from conftest import Gst, run_pipeline, run_with_probes

import gi

gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, GstVideo  # noqa: E402

import gvarust  # noqa: E402
from gstgva import VideoFrame  # noqa: E402
from gstgva.util import GST_PAD_PROBE_INFO_BUFFER  # noqa: E402

CAPS = "video/x-raw,format=BGRx,width=64,height=48,framerate=30/1"
PIPELINE = f"videotestsrc num-buffers=2 ! {CAPS} ! identity name=write ! identity name=read ! fakesink"
FIELDS = ("x", "y", "w", "h", "confidence", "label_id", "id", "parent_id", "object_id")


def _row_of(roi):
    """What regions_array() must hold for `roi`, from the object API."""
    x, y, w, h = roi.rect()
    confidence = roi.confidence()
    return {
        "x": x,
        "y": y,
        "w": w,
        "h": h,
        "confidence": math.nan if confidence is None else numpy.float32(confidence),
        "label_id": -1 if roi.label_id() is None else roi.label_id(),
        "id": roi.region_id(),
        "parent_id": -1 if roi.parent_id() is None else roi.parent_id(),
        "object_id": -1 if roi.object_id() is None else roi.object_id(),
    }


def _assert_rows_match(frame):
    regions = list(frame.regions())
    array = frame.regions_array()
    labels = frame.regions_labels()
    assert array.dtype.names == FIELDS
    assert array.dtype["confidence"] == numpy.float32
    assert all(array.dtype[name] == numpy.int32 for name in FIELDS if name != "confidence")
    assert array.shape == (len(regions),)
    assert labels == [roi.label() for roi in regions]
    for row, roi in zip(array, regions):
        want = _row_of(roi)
        for name in FIELDS:
            got = row[name]
            if name == "confidence" and math.isnan(want[name]):
                assert math.isnan(got), (name, roi)
            else:
                assert got == want[name], (name, got, want[name], roi)
    return array, regions


def _add_mixed_regions(buffer, caps):
    """Regions of every kind: from add_region, add_regions (with label ids), one without any
    parameter structure (added through GStreamer's own API), one with a tracking id and
    one with a parent."""
    frame = VideoFrame(buffer, caps=caps)
    frame.add_region(1, 2, 10, 12, label="car", confidence=0.75)
    frame.add_regions([[20, 4, 8, 8], [30, 5, 6, 7]], labels=["dog", "cat"], confidences=[0.5, 0.25], label_ids=[3, 4])
    bare = GstVideo.buffer_add_video_region_of_interest_meta(buffer, "bare", 5, 6, 7, 8)
    bare.id = 4242
    tracked = frame.add_region(40, 10, 5, 5, label="person", confidence=0.9)
    tracked.set_object_id(17)
    child = frame.add_region(2, 3, 4, 5, label="face", confidence=0.6)
    # The bare region's id: a parent id of 0 means "no parent", and with GstAnalytics the
    # first region's id (its record's) is 0.
    child.meta().parent_id = bare.id
    return frame


def test_regions_array_matches_the_object_api_for_every_kind_of_region():
    seen = []

    def write(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            _add_mixed_regions(buffer, pad.get_current_caps())
        return Gst.PadProbeReturn.OK

    def read(pad, info):
        frame = VideoFrame(info.get_buffer(), caps=pad.get_current_caps())
        array, regions = _assert_rows_match(frame)
        seen.append((array.copy(), frame.regions_labels()))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"write": write, "read": read})
    assert len(seen) == 2
    array, labels = seen[0]
    assert labels == ["car", "dog", "cat", "bare", "person", "face"]
    # Spot checks against the values written, so a reader that agrees with a wrong
    # object API would still fail here.
    assert list(array["x"]) == [1, 20, 30, 5, 40, 2]
    assert list(array["label_id"]) == [-1, 3, 4, -1, -1, -1]
    assert math.isnan(array["confidence"][3]), "a region without detection has no confidence"
    assert array["confidence"][1] == numpy.float32(0.5)
    assert array["id"][3] == 4242
    assert list(array["object_id"]) == [-1, -1, -1, -1, 17, -1]
    assert array["parent_id"][5] == 4242
    assert list(array["parent_id"][:5]) == [-1] * 5


def test_a_frame_without_regions_gives_an_empty_array_and_no_labels():
    seen = []

    def read(pad, info):
        frame = VideoFrame(info.get_buffer(), caps=pad.get_current_caps())
        array = frame.regions_array()
        seen.append((array.shape, array.dtype.names, frame.regions_labels()))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"read": read})
    assert seen == [((0,), FIELDS, [])] * 2


def test_the_array_is_a_copy_that_changes_nothing_on_the_frame():
    seen = []

    def write(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            frame.add_region(1, 2, 3, 4, label="a", confidence=0.5)
            array = frame.regions_array()
            array["x"] = 30
            array["confidence"] = 0.0
            seen.append((tuple(next(frame.regions()).rect()), next(frame.regions()).confidence()))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"write": write})
    assert seen == [((1, 2, 3, 4), 0.5)] * 2


def test_add_regions_writes_what_add_region_writes():
    """The same boxes through both calls (inside, clipped, normalized): equal boxes, labels and
    detection structures (every field), and one warning for the clipped ones."""
    pixels = [[1, 2, 10, 12], [60, 40, 10, 20], [-3, 5, 8, 8], [10.7, 3.2, 5.9, 4.1]]
    fractions = [[0.1, 0.2, 0.3, 0.4], [0.9, 0.9, 0.5, 0.5]]
    seen = []

    def write(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                for i, box in enumerate(pixels):
                    frame.add_region(*box, label=f"p{i}", confidence=i / 10)
                for i, box in enumerate(fractions):
                    frame.add_region(*box, label=f"n{i}", confidence=0.5, normalized=True)
                one_by_one = len(caught)
                ids = frame.add_regions(pixels, labels=[f"p{i}" for i in range(4)], confidences=[i / 10 for i in range(4)])
                ids2 = frame.add_regions(numpy.array(fractions), labels="n0", confidences=0.5, normalized=True)
                bulk = [str(w.message) for w in caught[one_by_one:]]
            regions = list(frame.regions())
            single, many = regions[:6], regions[6:]
            pairs = []
            for a, b in zip(single, many):
                pairs.append((tuple(a.rect()), tuple(b.rect()), a.label(), b.label(), dict_of(a), dict_of(b)))
            seen.append((one_by_one, bulk, pairs, list(ids) + list(ids2), [r.region_id() for r in many]))
        return Gst.PadProbeReturn.OK

    def dict_of(roi):
        detection = roi.detection()
        return {key: detection[key] for key in ("confidence", "x_min", "x_max", "y_min", "y_max", "label_id")}

    run_with_probes(PIPELINE, {"write": write})
    one_by_one, bulk, pairs, ids, region_ids = seen[0]
    assert one_by_one == 3, "add_region warns once per clipped box"
    assert len(bulk) == 2 and bulk[0].startswith("add_regions(): 2 of 4 boxes are out of image borders")
    assert "[60, 40, 10, 20] -> [60, 40, 4, 8]" in bulk[0]
    assert bulk[1].startswith("add_regions(): 1 of 2 boxes")
    assert len(pairs) == 6
    for rect_a, rect_b, label_a, label_b, det_a, det_b in pairs[:4]:
        assert (rect_a, label_a, det_a) == (rect_b, label_b, det_b)
    assert pairs[3][0] == (10, 3, 5, 4), "float pixels truncate like int()"
    for rect_a, rect_b, _, _, det_a, det_b in pairs[4:]:
        assert (rect_a, det_a) == (rect_b, det_b)
    assert ids == region_ids, "add_regions returns the new regions' ids"


def test_add_regions_label_ids_broadcast_and_empty_input():
    seen = []

    def write(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            empty = frame.add_regions(numpy.zeros((0, 4)))
            frame.add_regions(numpy.array([[1, 1, 2, 2], [3, 3, 2, 2]], dtype=numpy.int16), label_ids=7)
            array = frame.regions_array()
            seen.append((empty.dtype, len(empty), list(array["label_id"]), frame.regions_labels(), list(array["confidence"])))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"write": write})
    assert seen[0] == (numpy.dtype("int32"), 0, [7, 7], ["", ""], [0.0, 0.0])


BOX_TYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
             "float16", "float32", "float64", ">i4", ">f8"]
CONFIDENCE_TYPES = ["float64", "float32", "float16", ">f8", "<f4"]


def test_add_regions_reads_numbers_of_every_numpy_type_alike():
    """Common element types are converted without numpy's astype(), the rest with it:
    every one gives the regions that plain Python numbers give."""
    rows = [[1, 2, 10, 12], [30, 5, 7, 9]]
    seen = []

    def write(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            frame.add_regions(rows, confidences=[0.5, 0.25], label_ids=[3, 4],
                              labels=numpy.array(["numpy", "str"]))
            for i, box_type in enumerate(BOX_TYPES):
                confidence_type = CONFIDENCE_TYPES[i % len(CONFIDENCE_TYPES)]
                frame.add_regions(numpy.array(rows, dtype=box_type),
                                  confidences=numpy.array([0.5, 0.25], dtype=confidence_type),
                                  label_ids=numpy.array([3, 4], dtype="int32" if "f" in box_type else box_type))
            # Views that are not contiguous: every other column and row.
            wide = numpy.zeros((4, 8), dtype=numpy.int32)
            wide[::2, ::2] = rows
            frame.add_regions(wide[::2, ::2], confidences=numpy.array([0.5, 0, 0.25, 0])[::2],
                              label_ids=numpy.array([3, 0, 4, 0], dtype=numpy.int16)[::2])
            array = frame.regions_array()
            seen.append([tuple(row[name].item() for name in ("x", "y", "w", "h", "confidence", "label_id"))
                         for row in array])
            seen.append(frame.regions_labels()[:2])
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"write": write})
    expected = [(1, 2, 10, 12, 0.5, 3), (30, 5, 7, 9, 0.25, 4)]
    calls = len(BOX_TYPES) + 2
    assert seen[0] == expected * calls
    assert seen[1] == ["numpy", "str"], "labels from a numpy array of str"


def _plain(value):
    """A field value as comparable data (tensor bytes as bytes)."""
    return bytes(value) if type(value).__name__ == "TensorBytes" else value


def _described(roi):
    return (tuple(roi.rect()), roi.label(),
            [(t.name(), {k: (type(t[k]).__name__, _plain(t[k])) for k in t.fields()}) for t in roi.tensors()])


def test_add_regions_tensors_are_what_add_tensor_and_field_writes_make():
    boxes = [[1, 2, 10, 12], [30, 5, 7, 9], [4, 4, 4, 4]]
    confidences = [0.5, 0.25, 0.75]
    ages = ["20", "31", "45"]
    age_confidences = numpy.array([0.5, 0.6, 0.7], dtype=numpy.float32)
    genders = ("male", "female", "male")
    dims = [[1, 2], [3], []]
    scores = [0.1, 0.2, 0.3]
    mixed = [1, 2.5, 3]
    seen = []

    def write(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            ids = frame.add_regions(boxes, labels="face", confidences=confidences, tensors={
                "age": {"label": ages, "confidence": age_confidences, "label_id": 3, "score": scores,
                        "mixed": mixed},
                "gender": {"label": genders, "dims": dims, "raw": b"\x00\x01", "nested": {"a": 1, "b": [1.5]}},
            })
            for i, (x, y, w, h) in enumerate(boxes):
                roi = frame.add_region(x, y, w, h, "face", confidences[i])
                age = roi.add_tensor("age")
                age["label"] = ages[i]
                age["confidence"] = age_confidences[i].item()
                age["label_id"] = 3
                age["score"] = scores[i]
                age["mixed"] = mixed[i]
                gender = roi.add_tensor("gender")
                gender["label"] = genders[i]
                gender["dims"] = dims[i]
                gender["raw"] = b"\x00\x01"
                gender["nested"] = {"a": 1, "b": [1.5]}
            regions = list(frame.regions())
            seen.append((list(ids) == [r.region_id() for r in regions[:3]],
                         [_described(r) for r in regions[:3]], [_described(r) for r in regions[3:]]))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"write": write})
    ids_match, bulk, one_by_one = seen[0]
    assert ids_match
    assert bulk == one_by_one
    assert [name for name, _ in bulk[1][2]] == ["detection", "age", "gender"]
    assert bulk[1][2][1][1]["label"] == ("str", "31")
    assert bulk[2][2][2][1]["dims"] == ("list", [])
    # Floats stay floats and ints ints, item by item, as field writes keep them.
    assert [bulk[i][2][1][1]["mixed"] for i in range(3)] == [("int", 1), ("float", 2.5), ("int", 3)]
    assert bulk[1][2][1][1]["score"] == ("float", 0.2)


BAD_CALLS = [
    ({"boxes": [[1, 2, 3]]}, ValueError, "shape (N, 4)"),
    ({"boxes": [1, 2, 3, 4]}, ValueError, "shape (N, 4)"),
    ({"boxes": [["a", "b", "c", "d"]]}, TypeError, "boxes must be numbers"),
    ({"boxes": [[1, 2, 3, math.nan]]}, ValueError, "must be finite"),
    ({"boxes": [[1, 2, 3, 4]], "labels": ["a", "b"]}, ValueError, "labels has 2 values for 1 boxes"),
    ({"boxes": [[1, 2, 3, 4]], "labels": [3]}, TypeError, "labels must be str, not int"),
    ({"boxes": [[1, 2, 3, 4]], "labels": "a\0b"}, ValueError, "NUL"),
    ({"boxes": [[1, 2, 3, 4]], "confidences": [0.1, 0.2]}, ValueError, "confidences has 2 values"),
    ({"boxes": [[1, 2, 3, 4]], "confidences": "high"}, TypeError, "confidences must be numbers"),
    ({"boxes": [[1, 2, 3, 4]], "label_ids": [1.5]}, TypeError, "label_ids must be integers"),
    ({"boxes": [[1, 2, 3, 4]], "label_ids": [2**40]}, ValueError, "out of the 32-bit range"),
    ({"boxes": [[1, 2, 3, 4]], "label_ids": [[1]]}, ValueError, "2-D array"),
    ({"boxes": [[1, 2, 3, 4]], "tensors": [1]}, TypeError, "tensors must be a dict"),
    ({"boxes": [[1, 2, 3, 4]], "tensors": {"age": 3}}, TypeError, "must be a dict of fields, not int"),
    ({"boxes": [[1, 2, 3, 4]], "tensors": {"9x": {}}}, ValueError, "invalid tensor name"),
    ({"boxes": [[1, 2, 3, 4]], "tensors": {"detection": {}}}, ValueError, "each region has its own"),
    ({"boxes": [[1, 2, 3, 4]], "tensors": {"age": {"": 1}}}, ValueError, "invalid field name"),
    ({"boxes": [[1, 2, 3, 4]], "tensors": {"age": {"label": ["a", "b"]}}}, ValueError, "has 2 values for 1 boxes"),
    ({"boxes": [[1, 2, 3, 4]], "tensors": {"age": {"label": None}}}, TypeError, "None"),
    ({"boxes": [[1, 2, 3, 4]], "tensors": {"age": {"dims": ["x"]}}}, TypeError, "dims must be a sequence"),
]


@pytest.mark.parametrize("kwargs,error,text", BAD_CALLS, ids=[t for _, _, t in BAD_CALLS])
def test_add_regions_refuses_bad_input_and_adds_nothing(kwargs, error, text):
    seen = []

    def write(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            with pytest.raises(error) as raised:
                frame.add_regions(**kwargs)
            seen.append((str(raised.value), len(frame.regions_array())))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"write": write})
    message, count = seen[0]
    assert text in message
    assert count == 0


def test_add_regions_on_a_shared_buffer_raises_not_writable():
    seen = []

    def write(pad, info):
        frame = VideoFrame(info.get_buffer(), caps=pad.get_current_caps())
        with pytest.raises(gvarust.NotWritableError):
            frame.add_regions([[1, 2, 3, 4]])
        seen.append(len(frame.regions_array()))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"write": write})
    assert seen == [0, 0]


def test_inside_a_callback_rows_match_and_kept_frames_are_invalidated(callback):
    shared = types.SimpleNamespace(rows=[], kept=[], failures=[])
    sys.modules["gvarust_pytest_bulk"] = shared
    error, _ = run_pipeline(
        f"videotestsrc num-buffers=3 ! {CAPS} ! gvarust module={callback('bulk_regions.py')} ! fakesink"
    )
    assert error is None, error
    assert shared.failures == []
    assert len(shared.rows) == 3
    assert [list(a["x"]) for a in shared.rows] == [[0, 10, 20]] * 3
    # The element's frames are the plugin's copy of the classes, so its InvalidatedError is
    # not the pip package's class object: check by name (both are RuntimeErrors).
    for call in (lambda f: f.regions_array(), lambda f: f.regions_labels(), lambda f: f.add_regions([[1, 2, 3, 4]])):
        with pytest.raises(RuntimeError, match="no longer valid") as raised:
            call(shared.kept[0])
        assert type(raised.value).__name__ == "InvalidatedError"


def test_fields_named_by_other_code_read_back_whatever_the_name():
    """Fields that GStreamer parsed (no GQuark made for their names on GStreamer >= 1.26) read back
    through t[key], including names never used before in the process."""
    seen = []

    def write(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            meta = GstVideo.buffer_add_video_region_of_interest_meta(buffer, "thing", 1, 2, 3, 4)
            meta.add_param(Gst.Structure.new_from_string("cls_zq7, never_seen_field_zq7=(int)5, label=(string)odd"))
        return Gst.PadProbeReturn.OK

    def read(pad, info):
        frame = VideoFrame(info.get_buffer(), caps=pad.get_current_caps())
        tensor = next(t for t in next(frame.regions()).tensors() if t.name() == "cls_zq7")
        seen.append((tensor["never_seen_field_zq7"], tensor["label"], tensor.label(), tensor["missing_zq7"]))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"write": write, "read": read})
    assert seen == [(5, "odd", "odd", None)] * 2
