"""Classic gstgva's layer below the classes, unchanged: the ctypes handles and
structures of ``gstgva.util`` and the ``gstgva.audio`` package's module paths.

The metadata is written by a real gvarust element (``annotate.py``: a face region
with an ``age`` classification, a frame tensor, a JSON message) and read, or
added, in a pad probe through ctypes only, as classic gstgva code does.
"""

import ctypes

from conftest import CALLBACKS, Gst, run_with_probes

from gi.repository import GLib  # noqa: E402

import gstgva.util as util  # noqa: E402
from gstgva import VideoFrame  # noqa: E402

PIPELINE = (
    "videotestsrc num-buffers=2 ! video/x-raw,format=BGRx,width=64,height=48 ! "
    f"gvarust module={CALLBACKS / 'annotate.py'} ! identity name=probe ! fakesink"
)


def regions_through_ctypes(buffer):
    """(label, x, y, w, h, parameter names) of each GstVideoRegionOfInterestMeta."""
    api = util.libgobject.g_type_from_name(b"GstVideoRegionOfInterestMetaAPI")
    state = ctypes.c_void_p()
    found = []
    while True:
        meta = util.libgst.gst_buffer_iterate_meta_filtered(hash(buffer), ctypes.byref(state), api)
        if not meta:
            return found
        roi = ctypes.cast(meta, util.VIDEO_REGION_OF_INTEREST_POINTER).contents
        params, node = [], roi._params
        while node:
            params.append(util.libgst.gst_structure_get_name(node.contents.data).decode())
            node = node.contents.next
        found.append((GLib.quark_to_string(roi.roi_type), roi.x, roi.y, roi.w, roi.h, params))


def test_ctypes_structures_read_what_a_gvarust_element_wrote():
    seen = []

    def probe(pad, info):
        buffer = info.get_buffer()
        regions = regions_through_ctypes(buffer)
        messages = [m for m in util.GVAJSONMeta.iterate(buffer)]
        tensors = [util.libgst.gst_structure_get_name(t.data).decode() for t in util.GVATensorMeta.iterate(buffer)]
        with util.gst_buffer_data(buffer, Gst.MapFlags.READ) as data:
            size = len(data)
        seen.append((regions, [m.get_message() for m in messages], tensors, size))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"probe": probe})
    assert len(seen) == 2
    regions, messages, tensors, size = seen[0]
    assert regions == [("face", 10, 5, 30, 40, ["detection", "age"])]
    assert messages == ['{"frame": "annotated"}']
    assert tensors == ["meta"]  # DL Streamer names a frame tensor's structure "meta"
    assert size == 64 * 48 * 4


def test_ctypes_gva_metas_added_in_a_probe_are_read_by_the_classes():
    seen = []

    def probe(pad, info):
        with util.GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            added = util.GVAJSONMeta.add_json_meta(buffer, '{"from": "ctypes"}')
            assert added is not None and added.get_message() == '{"from": "ctypes"}'
            tensor = util.GVATensorMeta.add_tensor_meta(buffer)
            assert tensor is not None
            util.libgst.gst_structure_set_name(tensor.data, b"from_ctypes")
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            seen.append(([m for m in frame.messages()], [t.name() for t in frame.tensors()]))
            # Removal through ctypes, seen by the classes too.
            assert util.GVAJSONMeta.remove_json_meta(buffer, added)
            seen.append(([m for m in frame.messages()], None))
        return Gst.PadProbeReturn.OK

    run_with_probes(PIPELINE, {"probe": probe})
    assert seen[0] == (['{"frame": "annotated"}', '{"from": "ctypes"}'], ["meta", "from_ctypes"])
    assert seen[1] == (['{"frame": "annotated"}'], None)


def test_handles_and_list_structures_keep_classic_layouts():
    assert ctypes.sizeof(util.GList) == 3 * ctypes.sizeof(ctypes.c_void_p)
    assert util.GLIST_POINTER is ctypes.POINTER(util.GList)
    # GstVideoRegionOfInterestMeta: GstMeta (16 bytes), quark, id, parent_id, x, y, w, h, params.
    assert util.VideoRegionOfInterestMeta.x.offset == 28
    assert util.VideoRegionOfInterestMeta._params.offset == 48
    assert util.libgst.gst_util_seqnum_next() > 0
    assert util.libgobject.g_type_name(util.libgobject.g_type_from_name(b"GstBuffer")) == b"GstBuffer"
    info = util.VideoInfoFromCaps(Gst.Caps.from_string("video/x-raw,format=BGRx,width=8,height=4"))
    assert (info.width, info.height) == (8, 4)


def test_audio_is_a_package_with_classic_module_paths():
    from gstgva.audio.audio_event import AudioEvent
    from gstgva.audio.audio_event_meta import AudioEventMeta
    from gstgva.audio.audio_frame import AudioFrame

    import gvarust

    assert (AudioFrame, AudioEvent, AudioEventMeta) == (
        gvarust.AudioFrame,
        gvarust.AudioEvent,
        gvarust.AudioEventMeta,
    )


def test_tensor_over_a_ctypes_structure_pointer_reads_and_writes_through():
    """Classic: `Tensor(libgst.gst_structure_new_empty(b"classification"))`."""
    from gstgva import Tensor

    pointer = util.libgst.gst_structure_new_empty(b"classification")
    try:
        tensor = Tensor(pointer)
        assert tensor.name() == "classification"
        tensor["label"] = "cat"
        tensor["confidence"] = 0.75
        # The C structure itself changed: read it back through C.
        assert util.libgst.gst_structure_get_string(pointer, b"label") == b"cat"
        value = ctypes.c_double()
        assert util.libgst.gst_structure_get_double(pointer, b"confidence", ctypes.byref(value))
        assert value.value == 0.75
        # ctypes pointer objects work too, and see the same structure.
        assert Tensor(ctypes.c_void_p(pointer)).label() == "cat"
        assert Tensor(ctypes.cast(pointer, ctypes.POINTER(ctypes.c_byte))).confidence() == 0.75
    finally:
        util.libgst.gst_structure_free(pointer)


def test_tensor_refuses_addresses_that_are_not_structures():
    import pytest

    from gstgva import Tensor

    with pytest.raises(ValueError, match="NULL"):
        Tensor(ctypes.c_void_p())
    for bogus in (1, 4096, 0xDEADBEEF, id(object())):
        with pytest.raises(ValueError, match="not the address of a GstStructure"):
            Tensor(bogus)
