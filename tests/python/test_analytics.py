"""GstAnalytics interop (GStreamer >= 1.24): regions written by gvarust are read by
GStreamer's own elements and PyGObject's GstAnalytics API, and records written by
them are read by gvarust. Not collected below 1.24 (Debian 12); never skipped above."""

import json

import pytest

from conftest import Gst, run_pipeline, run_with_probes

if Gst.version() < (1, 24, 0, 0):
    pytest.skip("GstAnalytics needs GStreamer >= 1.24", allow_module_level=True)

import gi  # noqa: E402

gi.require_version("GstAnalytics", "1.0")
gi.require_version("GstApp", "1.0")
from gi.repository import GLib, GstAnalytics, GstApp  # noqa: E402,F401

import gvarust  # noqa: E402
from gstgva import Tensor, VideoFrame  # noqa: E402
from gstgva.util import GST_PAD_PROBE_INFO_BUFFER  # noqa: E402

CAPS = "video/x-raw,format=BGRx,width=64,height=48,framerate=30/1"


@pytest.fixture(autouse=True)
def keep_package_modules():
    """Tests here run gvarust elements in this process, and an element puts its built-in
    `gvarust`/`gstgva` modules into sys.modules; later test files must still import the
    pip package's classes, so the entries are put back after each test."""
    import sys

    names = ("gvarust", "gstgva")
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] in names}
    yield
    for k in [k for k in sys.modules if k.split(".")[0] in names]:
        del sys.modules[k]
    sys.modules.update(saved)


def test_the_build_has_analytics():
    # A build without the feature on >= 1.24 would make every other test here pointless.
    assert gvarust.ANALYTICS
    assert gvarust.metadata() == "both"


def records(buffer):
    """Every OD, Cls and tracking record of the buffer's relation meta, by id."""
    rmeta = GstAnalytics.buffer_get_analytics_relation_meta(buffer)
    assert rmeta is not None, "no GstAnalyticsRelationMeta on the buffer"
    out = {}
    for i in range(GstAnalytics.relation_get_length(rmeta)):
        ok, od = rmeta.get_od_mtd(i)
        if ok:
            _, x, y, w, h, conf = od.get_location()
            out[i] = ("od", GLib.quark_to_string(od.get_obj_type()), (x, y, w, h), round(conf, 3))
            continue
        ok, cls = rmeta.get_cls_mtd(i)
        if ok:
            out[i] = ("cls", GLib.quark_to_string(cls.get_quark(0)), round(cls.get_level(0), 3))
            continue
        ok, trk = rmeta.get_tracking_mtd(i)
        if ok:
            out[i] = ("tracking", trk.get_info()[1])
    return rmeta, out


def test_objectdetectionoverlay_draws_a_region_added_by_a_callback(callback):
    pipeline = Gst.parse_launch(
        "videotestsrc num-buffers=1 pattern=black ! video/x-raw,format=BGRx,width=64,height=48 ! "
        f"gvarust module={callback('analytics_add.py')} ! "
        "objectdetectionoverlay draw-labels=false ! appsink name=sink"
    )
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    try:
        sample = sink.emit("pull-sample")
        assert sample is not None
        buffer = sample.get_buffer()
        ok, info = buffer.map(Gst.MapFlags.READ)
        assert ok
        data = bytes(info.data)
        buffer.unmap(info)
    finally:
        pipeline.set_state(Gst.State.NULL)

    def pixel(x, y):
        return data[(y * 64 + x) * 4 : (y * 64 + x) * 4 + 3]

    # The box is x=20..50, y=10..40: its top edge is drawn, its inside is not.
    top = [pixel(x, 10) for x in range(24, 46)]
    assert all(p != b"\0\0\0" for p in top), top
    assert pixel(35, 25) == b"\0\0\0"
    assert pixel(5, 5) == b"\0\0\0"


def test_a_gstanalytics_probe_reads_regions_classifications_and_tracking(callback):
    seen = []

    def probe(pad, info):
        buffer = info.get_buffer()
        rmeta, recs = records(buffer)
        frame = VideoFrame(buffer, caps=pad.get_current_caps())
        roi = list(frame.regions())[0]
        od_id = roi.region_id()
        related = {
            i: rmeta.get_relation(od_id, i) for i in recs if i != od_id
        }
        back = {i: rmeta.get_relation(i, od_id) for i in recs if i != od_id}
        seen.append((od_id, recs, related, back))
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"videotestsrc num-buffers=2 ! {CAPS} ! gvarust module={callback('analytics_add.py')} ! "
        "identity name=check ! fakesink",
        {"check": probe},
    )
    assert len(seen) == 2
    od_id, recs, related, back = seen[0]
    assert recs[od_id] == ("od", "car", (20, 10, 30, 30), 0.8)
    kinds = sorted(v[0] for k, v in recs.items() if k != od_id)
    assert kinds == ["cls", "tracking"]
    cls_id = next(k for k, v in recs.items() if v[0] == "cls")
    assert recs[cls_id] == ("cls", "red", 0.7)
    trk_id = next(k for k, v in recs.items() if v[0] == "tracking")
    assert recs[trk_id] == ("tracking", 5)
    assert related[cls_id] & GstAnalytics.RelTypes.CONTAIN
    assert back[cls_id] & GstAnalytics.RelTypes.IS_PART_OF


def test_records_added_by_a_probe_are_regions_and_tensors_in_a_callback(callback, tmp_path):
    out = tmp_path / "seen.jsonl"
    args = tmp_path / "args.json"
    args.write_text(json.dumps(str(out)))

    def writer(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            rmeta = GstAnalytics.buffer_add_analytics_relation_meta(buffer)
            assert rmeta is not None
            ok, od = rmeta.add_od_mtd(GLib.quark_from_string("dog"), 5, 6, 20, 10, 0.6)
            assert ok
            ok, cls = rmeta.add_one_cls_mtd(0.9, GLib.quark_from_string("brown"))
            assert ok
            rmeta.set_relation(GstAnalytics.RelTypes.CONTAIN, od.id, cls.id)
            rmeta.set_relation(GstAnalytics.RelTypes.IS_PART_OF, cls.id, od.id)
            ok, trk = rmeta.add_tracking_mtd(42, 0)
            rmeta.set_relation(GstAnalytics.RelTypes.CONTAIN, od.id, trk.id)
            ok, part = rmeta.add_od_mtd(GLib.quark_from_string("head"), 6, 6, 4, 4, 0.5)
            rmeta.set_relation(GstAnalytics.RelTypes.IS_PART_OF, part.id, od.id)
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"videotestsrc num-buffers=1 ! {CAPS} ! identity name=first ! "
        f"gvarust module={callback('analytics_read.py')} class=Reader "
        f"arg=@{args} ! fakesink",
        {"first": writer},
    )
    (seen,) = [json.loads(line) for line in out.read_text().splitlines()]
    dog, head = seen
    assert dog["label"] == "dog" and dog["rect"] == [5, 6, 20, 10] and dog["confidence"] == 0.6
    assert dog["id"] == 0 and dog["object_id"] == 42 and dog["parent_id"] is None
    assert dog["tensors"] == [["classification", "brown", 0.9, "classification_result"]]
    assert dog["rotation"] == 0.0
    assert head["label"] == "head" and head["parent_id"] == 0


def test_the_region_meta_id_is_the_od_record_id():
    def probe(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            ids = [frame.add_region(i, i, 4, 4, label=f"r{i}", confidence=0.5).region_id() for i in range(3)]
            _, recs = records(buffer)
            assert [recs[i][1] for i in ids] == ["r0", "r1", "r2"]
            # Removing the middle one rebuilds the records; the others keep matching.
            frame.remove_region(list(frame.regions())[1])
            left = list(frame.regions())
            _, recs = records(buffer)
            assert [r.label() for r in left] == ["r0", "r2"]
            assert sorted(v[1] for v in recs.values()) == ["r0", "r2"]
            assert [recs[r.region_id()][1] for r in left] == ["r0", "r2"]
        return Gst.PadProbeReturn.OK

    run_with_probes(f"videotestsrc num-buffers=1 ! {CAPS} ! identity name=p ! fakesink", {"p": probe})


def test_metadata_gva_writes_no_records(callback):
    def probe(pad, info):
        assert GstAnalytics.buffer_get_analytics_relation_meta(info.get_buffer()) is None
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"videotestsrc num-buffers=1 ! {CAPS} ! gvarust metadata=gva "
        f"module={callback('analytics_add.py')} ! identity name=p ! fakesink",
        {"p": probe},
    )
    gvarust.set_metadata("gva")
    try:
        buffer = Gst.Buffer.new_allocate(None, 64 * 48 * 4, None)
        frame = VideoFrame(buffer, caps=Gst.Caps.from_string(CAPS))
        frame.add_region(1, 1, 2, 2, label="x")
        assert GstAnalytics.buffer_get_analytics_relation_meta(buffer) is None
    finally:
        gvarust.set_metadata("both")
    with pytest.raises(ValueError):
        gvarust.set_metadata("analytics-only")


def test_bad_records_give_values_or_clear_errors():
    buffer = Gst.Buffer.new_allocate(None, 64 * 48 * 4, None)
    rmeta = GstAnalytics.buffer_add_analytics_relation_meta(buffer)
    for i in range(500):
        rmeta.add_od_mtd(GLib.quark_from_string(f"o{i}"), i % 60, 1, 4, 4, 0.25)
    # A classification related to nothing, and an OD record far outside the frame.
    rmeta.add_one_cls_mtd(0.5, GLib.quark_from_string("orphan"))
    rmeta.add_od_mtd(GLib.quark_from_string("outside"), -10, -10, 1000, 1000, 2.0)
    frame = VideoFrame(buffer, caps=Gst.Caps.from_string(CAPS))
    regions = list(frame.regions())
    assert len(regions) == 501
    assert regions[0].label() == "o0" and regions[499].label() == "o499"
    assert tuple(regions[500].rect()) == (0, 0, 1000, 1000)
    assert all(not list(t for t in r.tensors() if not t.is_detection()) for r in regions)
    # A region meta without record still reads and removes.
    gvarust.set_metadata("gva")
    try:
        plain = frame.add_region(1, 1, 2, 2, label="plain")
    finally:
        gvarust.set_metadata("both")
    assert [r.label() for r in frame.regions()][-1] == "plain"
    frame.remove_region(plain)
    frame.remove_region(regions[3])
    assert len(list(frame.regions())) == 500


def test_free_standing_tensor_from_a_structure():
    s = Gst.Structure.new_from_string("age, label=(string)30, confidence=(double)0.5, type=(string)classification_result")
    t = Tensor(s)
    assert t.name() == "age" and t.label() == "30" and t.type() == "classification_result"
    assert t.get_structure().get_value("confidence") == 0.5


def _non_utf8_quark(raw):
    """A quark whose string is not UTF-8 (C code can make one; Python's API cannot)."""
    import ctypes

    glib = ctypes.CDLL("libglib-2.0.so.0")
    glib.g_quark_from_string.restype = ctypes.c_uint32
    glib.g_quark_from_string.argtypes = [ctypes.c_char_p]
    return glib.g_quark_from_string(raw)


def test_unknown_record_types_and_non_utf8_labels_read_as_sensible_values():
    buffer = Gst.Buffer.new_allocate(None, 64 * 48 * 4, None)
    rmeta = GstAnalytics.buffer_add_analytics_relation_meta(buffer)
    ok, car = rmeta.add_od_mtd(GLib.quark_from_string("car"), 1, 2, 8, 8, 0.75)
    assert ok
    # A record type gvarust does not read (segmentation), related to the car.
    mask = Gst.Buffer.new_allocate(None, 8 * 8, None)
    gi.require_version("GstVideo", "1.0")
    from gi.repository import GstVideo

    GstVideo.buffer_add_video_meta(mask, 0, GstVideo.VideoFormat.GRAY8, 8, 8)
    ok, segmentation = rmeta.add_segmentation_mtd(mask, GstAnalytics.SegmentationType.SEMANTIC, [1], 0, 0, 8, 8)
    assert ok
    assert rmeta.set_relation(GstAnalytics.RelTypes.CONTAIN, car.id, segmentation.id)
    # A label that is not UTF-8.
    ok, odd = rmeta.add_od_mtd(_non_utf8_quark(b"\xff\xfeodd"), 10, 10, 4, 4, 0.5)
    assert ok
    frame = VideoFrame(buffer, caps=Gst.Caps.from_string(CAPS))
    regions = list(frame.regions())
    assert [(r.label(), tuple(r.rect())) for r in regions] == [("car", (1, 2, 8, 8)), ("", (10, 10, 4, 4))]
    assert frame.regions_labels() == ["car", ""]
    assert list(frame.regions_array()["x"]) == [1, 10]
    # The export stays strict JSON with the odd label read as "".
    objects = json.loads(frame.to_json())["objects"]
    assert [o.get("roi_type") for o in objects] == ["car", None], "gvametaconvert leaves out an empty roi_type"


def test_the_metadata_keyword_chooses_per_frame():
    caps = Gst.Caps.from_string(CAPS)
    gva = Gst.Buffer.new_allocate(None, 64 * 48 * 4, None)
    VideoFrame(gva, caps=caps, metadata="gva").add_region(1, 1, 2, 2, label="x")
    assert GstAnalytics.buffer_get_analytics_relation_meta(gva) is None
    gvarust.set_metadata("gva")
    try:
        both = Gst.Buffer.new_allocate(None, 64 * 48 * 4, None)
        VideoFrame(both, caps=caps, metadata="both").add_region(1, 1, 2, 2, label="x")
    finally:
        gvarust.set_metadata("both")
    _, recs = records(both)
    assert [v[1] for v in recs.values()] == ["x"]


def _region_metas(buffer):
    """The region metas on `buffer`, as (label, rect), read as "gva" (no records imported)."""
    frame = VideoFrame(buffer, caps=Gst.Caps.from_string(CAPS), metadata="gva")
    return [(r.label(), tuple(r.rect())) for r in frame.regions()]


def test_metadata_analytics_leaves_records_only(callback):
    seen = []

    def probe(pad, info):
        buffer = info.get_buffer()
        _, recs = records(buffer)
        seen.append((_region_metas(buffer), sorted(recs.values(), key=str)))
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"videotestsrc num-buffers=2 ! {CAPS} ! gvarust metadata=analytics "
        f"module={callback('analytics_only.py')} ! identity name=p ! fakesink",
        {"p": probe},
    )
    want = sorted([("od", "car", (20, 10, 30, 30), 0.8), ("cls", "red", 0.7), ("tracking", 5)], key=str)
    assert seen == [([], want)] * 2


def test_analytics_in_a_pad_probe_finishes_at_the_end_of_the_writable_block():
    seen = []

    def writer(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps(), metadata="analytics")
            roi = frame.add_region(4, 4, 8, 8, label="dog", confidence=0.6)
            roi.add_tensor("breed")["label"] = "terrier"
            inside = _region_metas(buffer)
        seen.append(inside)
        return Gst.PadProbeReturn.OK

    def reader(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            before = _region_metas(buffer)
            # Reading records as regions writes region metas: a writable block.
            frame = VideoFrame(buffer, caps=pad.get_current_caps(), metadata="both")
            regions = list(frame.regions())
            labels = [[t.label() for t in r.tensors() if not t.is_detection()] for r in regions]
            seen.append((before, [r.label() for r in regions], labels))
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"videotestsrc num-buffers=1 ! {CAPS} ! identity name=w ! identity name=r ! fakesink",
        {"w": writer, "r": reader},
    )
    inside, (before, labels, tensors) = seen
    assert inside == [("dog", (4, 4, 8, 8))], "inside the block the region meta is there"
    assert before == [], "after the block only the records remain"
    # A "both" reader reads the records back as a region with its classification.
    assert labels == ["dog"] and tensors == [["terrier"]]


def test_set_metadata_analytics_is_the_probe_default_until_changed():
    gvarust.set_metadata("analytics")
    try:
        assert gvarust.metadata() == "analytics"
        buffer = Gst.Buffer.new_allocate(None, 64 * 48 * 4, None)
        with GST_PAD_PROBE_INFO_BUFFER(_Info(buffer)) as writable:
            VideoFrame(writable, caps=Gst.Caps.from_string(CAPS)).add_region(1, 1, 2, 2, label="x")
        assert _region_metas(buffer) == []
        _, recs = records(buffer)
        assert [v[1] for v in recs.values()] == ["x"]
    finally:
        gvarust.set_metadata("both")


class _Info:
    """A stand-in for Gst.PadProbeInfo carrying `buffer` (as in a probe, with a second owner)."""

    def __init__(self, buffer):
        self._buffer = buffer

    def get_buffer(self):
        return self._buffer


def test_metadata_analytics_on_a_buffer_python_still_shares_warns(callback):
    pipeline = Gst.parse_launch(
        f"videotestsrc num-buffers=3 ! {CAPS} ! gvarust metadata=analytics "
        f"module={callback('analytics_keeps_buffer.py')} ! identity name=p ! fakesink"
    )
    seen = []

    def probe(pad, info):
        seen.append(_region_metas(info.get_buffer()))
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name("p").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    warnings = []
    try:
        while True:
            msg = bus.timed_pop_filtered(
                30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.WARNING
            )
            assert msg is not None, "timed out"
            if msg.type == Gst.MessageType.WARNING:
                warnings.append(msg.parse_warning()[0].message)
                continue
            assert msg.type == Gst.MessageType.EOS, msg.parse_error()
            break
    finally:
        pipeline.set_state(Gst.State.NULL)
    shared = [w for w in warnings if w.startswith('metadata "analytics": the buffer is shared')]
    # Three frames within a second: the first is posted, the others are held back and
    # summed up at EOS.
    assert len(shared) == 1, warnings
    assert any("more warning" in w and "the buffer is shared" in w for w in warnings), warnings
    # The region metas stayed next to the records.
    assert seen == [[("kept", (2, 2, 8, 8))]] * 3
