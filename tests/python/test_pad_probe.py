"""The Python package in PyGObject pad probes, on real buffers of real pipelines."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import CALLBACKS, REPO, Gst, run_with_probes

import gi

gi.require_version("GstVideo", "1.0")
from gi.repository import GstVideo  # noqa: E402

import gstgva  # noqa: E402
import gvarust  # noqa: E402
from gstgva import RegionOfInterest, Tensor, VideoFrame  # noqa: E402
from gstgva.util import GST_PAD_PROBE_INFO_BUFFER  # noqa: E402

CAPS = "video/x-raw,format=BGRx,width=64,height=48,framerate=30/1"


def test_pad_probe_writes_regions_that_a_later_probe_and_the_c_api_read():
    seen = []

    def writer(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            roi = frame.add_region(8, 6, 16, 12, label="car", confidence=0.9)
            roi.add_tensor("color")["label"] = "red"
            frame.add_message("hello")
        return Gst.PadProbeReturn.OK

    def reader(pad, info):
        buffer = info.get_buffer()
        frame = VideoFrame(buffer, caps=pad.get_current_caps())
        regions = list(frame.regions())
        roi = regions[0]
        # GStreamer's own introspected API sees the same meta.
        c_meta = GstVideo.buffer_get_video_region_of_interest_meta_id(buffer, roi.region_id())
        seen.append(
            {
                "count": len(regions),
                "rect": tuple(roi.rect()),
                "label": roi.label(),
                "confidence": round(roi.confidence(), 3),
                "tensors": [(t.name(), t.label()) for t in roi.tensors() if not t.is_detection()],
                "messages": list(frame.messages()),
                "c_meta": (c_meta.x, c_meta.y, c_meta.w, c_meta.h),
                "c_detection": c_meta.get_param("detection").get_value("confidence"),
            }
        )
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"videotestsrc num-buffers=3 ! {CAPS} ! identity name=first ! identity name=second ! fakesink",
        {"first": writer, "second": reader},
    )
    assert len(seen) == 3
    assert seen[0] == {
        "count": 1,
        "rect": (8, 6, 16, 12),
        "label": "car",
        "confidence": 0.9,
        "tensors": [("color", "red")],
        "messages": ["hello"],
        "c_meta": (8, 6, 16, 12),
        "c_detection": pytest.approx(0.9),
    }


def test_writing_without_the_helper_raises_not_writable_error():
    errors = []

    def writer(pad, info):
        frame = VideoFrame(info.get_buffer(), caps=pad.get_current_caps())
        try:
            frame.add_region(0, 0, 4, 4)
        except gvarust.NotWritableError as error:
            errors.append(str(error))
        return Gst.PadProbeReturn.OK

    run_with_probes(f"videotestsrc num-buffers=2 ! {CAPS} ! fakesink name=sink", {"sink": writer})
    assert len(errors) == 2
    assert "GST_PAD_PROBE_INFO_BUFFER" in errors[0]


def test_metadata_from_a_gvarust_callback_reads_in_a_pad_probe():
    seen = []

    def reader(pad, info):
        info_obj = GstVideo.VideoInfo.new_from_caps(pad.get_current_caps())
        frame = VideoFrame(info.get_buffer(), video_info=info_obj)
        assert frame.video_info() is info_obj, "the caller's VideoInfo is returned"
        roi = next(frame.regions())
        age = [t for t in roi.tensors() if t.name() == "age"][0]
        seen.append(
            (roi.label(), roi.rect().w, age.label(), age["type"], next(frame.tensors()).layer_name(), frame.messages())
        )
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"videotestsrc num-buffers=2 ! {CAPS} ! gvarust module={CALLBACKS / 'annotate.py'} ! fakesink name=sink",
        {"sink": reader},
    )
    assert seen == [("face", 30, "adult", "classification_result", "ssd", ['{"frame": "annotated"}'])] * 2


def test_regions_added_through_pygobject_are_read_by_gvarust():
    seen = []

    def writer(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            meta = GstVideo.buffer_add_video_region_of_interest_meta(buffer, "dog", 1, 2, 3, 4)
            detection = Gst.Structure.new_empty("detection")
            detection.set_value("confidence", 0.25)
            meta.add_param(detection)
        return Gst.PadProbeReturn.OK

    def reader(pad, info):
        frame = VideoFrame(info.get_buffer(), caps=pad.get_current_caps())
        roi = next(frame.regions())
        seen.append((roi.label(), tuple(roi.rect()), roi.confidence()))
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"videotestsrc num-buffers=1 ! {CAPS} ! identity name=first ! fakesink name=sink",
        {"first": writer, "sink": reader},
    )
    assert seen == [("dog", (1, 2, 3, 4), 0.25)]


def test_frames_from_probes_stay_valid_while_kept_and_pixels_follow_writability():
    kept = []

    def probe(pad, info):
        buffer = info.get_buffer()
        frame = VideoFrame(buffer, caps=pad.get_current_caps())
        with frame.data() as pixels:  # the buffer is shared here: a read-only mapping
            assert pixels.shape == (48, 64, 4)
            assert not pixels.flags.writeable
        kept.append(frame)
        return Gst.PadProbeReturn.OK

    run_with_probes(f"videotestsrc num-buffers=2 ! {CAPS} ! fakesink name=sink", {"sink": probe})
    assert [f.pts for f in kept] == [0, 33333333]
    assert isinstance(kept[0].buffer(), Gst.Buffer)


def test_wrong_argument_types_are_type_errors():
    with pytest.raises(TypeError, match="expected a Gst.Buffer, got str"):
        VideoFrame("not a buffer")
    buffer = Gst.Buffer.new_allocate(None, 16, None)
    with pytest.raises(TypeError, match="expected a Gst.Caps"):
        VideoFrame(buffer, caps="video/x-raw")
    assert gstgva.VideoFrame is VideoFrame and RegionOfInterest and Tensor


def test_the_metadata_keyword_takes_known_names_only():
    buffer = Gst.Buffer.new_allocate(None, 64 * 48 * 4, None)
    caps = Gst.Caps.from_string(CAPS)
    frame = VideoFrame(buffer, caps=caps, metadata="gva")
    frame.add_region(1, 1, 2, 2, label="x")
    assert [r.label() for r in frame.regions()] == ["x"]
    with pytest.raises(ValueError, match='unknown metadata "gvs"'):
        VideoFrame(buffer, caps=caps, metadata="gvs")
    with pytest.raises(TypeError):
        VideoFrame(buffer, None, caps, "gva")  # keyword only
    if not gvarust.ANALYTICS:
        for mode in ("both", "analytics"):
            with pytest.raises(ValueError, match=f'metadata "{mode}" needs a build with GstAnalytics'):
                VideoFrame(buffer, caps=caps, metadata=mode)
            with pytest.raises(ValueError, match="needs a build with GstAnalytics"):
                gvarust.set_metadata(mode)


@pytest.mark.parametrize("order", ["package-first", "element-first"])
def test_package_and_element_work_in_both_import_orders(order):
    script = textwrap.dedent(
        f"""
        import sys
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
        Gst.init(None)

        def run(description, probe=None):
            pipeline = Gst.parse_launch(description)
            if probe:
                pipeline.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
            pipeline.set_state(Gst.State.PLAYING)
            msg = pipeline.get_bus().timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
            pipeline.set_state(Gst.State.NULL)
            assert msg.type == Gst.MessageType.EOS, msg.parse_error()

        element = "videotestsrc num-buffers=2 ! {CAPS} ! gvarust module={CALLBACKS / 'annotate.py'} ! fakesink name=sink"
        if "{order}" == "element-first":
            run(element)
        from gstgva import VideoFrame
        import traceback
        labels = []
        failures = []
        def probe(pad, info):
            # PyGObject swallows what a probe raises: carried out and checked below.
            try:
                frame = VideoFrame(info.get_buffer(), caps=pad.get_current_caps())
                labels.extend(r.label() for r in frame.regions())
            except BaseException:
                failures.append(traceback.format_exc())
            return Gst.PadProbeReturn.OK
        run(element, probe)
        assert not failures, failures
        print(labels)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=dict(os.environ), cwd=REPO
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == json.dumps(["face", "face"]).replace('"', "'")
