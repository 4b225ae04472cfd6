"""What a new user trips over, in the pip package with real PyGObject buffers:
mixed lists in tensor fields, strict JSON, DL Streamer's VideoFrame(buffer, caps),
the NotWritableError of a buffer reference kept before the writable block, and
AudioFrame.data() in both styles."""

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy
import pytest

from conftest import CALLBACKS, REPO, Gst, run_with_probes

import gvarust  # noqa: E402
from gstgva import VideoFrame  # noqa: E402
from gstgva.audio import AudioFrame  # noqa: E402
from gstgva.util import GST_PAD_PROBE_INFO_BUFFER  # noqa: E402

CAPS = "video/x-raw,format=BGRx,width=64,height=48,framerate=30/1"


def test_mixed_lists_raise_type_error_and_nothing_is_stored_cut_short():
    seen = []

    def writer(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            tensor = VideoFrame(buffer, caps=pad.get_current_caps()).add_tensor()
            outcome = {}
            for field, value in (("mixed", [1, "a"]), ("b", [True, 2]), ("n", {"a": {"b": [1, 2.5, "x", True]}})):
                try:
                    tensor[field] = value
                    outcome[field] = ("stored", tensor[field])
                except TypeError as error:
                    outcome[field] = ("TypeError", str(error))
            tensor["numbers"] = [1, 2.5]
            outcome["numbers"] = tensor["numbers"]
            outcome["fields"] = tensor.fields()
            seen.append(outcome)
        return Gst.PadProbeReturn.OK

    run_with_probes(f"videotestsrc num-buffers=1 ! {CAPS} ! fakesink name=sink", {"sink": writer})
    outcome = seen[0]
    assert outcome["mixed"][0] == "TypeError" and "'mixed'" in outcome["mixed"][1]
    assert "int and str" in outcome["mixed"][1]
    assert outcome["b"][0] == "TypeError" and "bool and int" in outcome["b"][1]
    assert outcome["n"][0] == "TypeError" and "'n.a.b'" in outcome["n"][1]
    assert outcome["numbers"] == [1.0, 2.5]
    assert outcome["fields"] == ["numbers"]


def test_mixed_lists_emit_no_glib_critical():
    # G_DEBUG=fatal-criticals turns any GLib critical into an abort of the subprocess.
    script = textwrap.dedent(
        """
        import gi
        gi.require_version("Gst", "1.0")
        from gi.repository import Gst
        Gst.init(None)
        from gstgva import VideoFrame
        frame = VideoFrame(Gst.Buffer.new_allocate(None, 16, None))
        tensor = frame.add_tensor()
        for value in ([1, "a"], [True, 2], {"a": {"b": [1, 2.5, "x", True]}}, [[1], ["x"]]):
            try:
                tensor["f"] = value
            except TypeError:
                pass
        print("fields", tensor.fields())
        """
    )
    env = dict(os.environ, G_DEBUG="fatal-criticals")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "CRITICAL" not in result.stderr
    assert result.stdout.strip() == "fields []"


def _refuse_constant(name):
    raise ValueError(f"not strict JSON: {name}")


def test_to_json_is_strict_for_non_finite_confidences():
    seen = []

    def writer(pad, info):
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            frame.add_region(1, 2, 10, 10, label="nan", confidence=math.nan)
            roi = frame.add_region(3, 4, 10, 10, label="inf", confidence=math.inf)
            age = roi.add_tensor("age")
            age["label"], age["confidence"] = "adult", -math.inf
            raw = frame.add_tensor()
            raw["confidence"] = math.nan
            seen.append((frame.to_json(include_data=True), frame.to_dict(), frame.to_json(indent=2)))
        return Gst.PadProbeReturn.OK

    run_with_probes(f"videotestsrc num-buffers=1 ! {CAPS} ! fakesink name=sink", {"sink": writer})
    text, as_dict, indented = seen[0]
    for document in (text, indented):
        parsed = json.loads(document, parse_constant=_refuse_constant)
        assert parsed["objects"][0]["detection"]["confidence"] is None
        assert parsed["objects"][1]["detection"]["confidence"] is None
        assert parsed["objects"][1]["age"]["confidence"] is None
    assert as_dict["objects"][0]["detection"]["confidence"] is None
    assert as_dict["tensors"][0]["confidence"] is None


def test_dl_streamer_documented_snippet_video_frame_buffer_caps(capsys):
    """DL Streamer documents `frame = gstgva.VideoFrame(buffer, caps)`, caps second."""
    printed = []
    errors = []

    def pad_probe_callback(pad, info):
        try:
            with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
                caps = pad.get_current_caps()
                frame = VideoFrame(buffer, caps)
                for roi in frame.regions():
                    for tensor in roi.tensors():
                        if tensor.is_detection():
                            continue
                        print(tensor.name(), tensor.label(), tensor.confidence())
                        printed.append((tensor.name(), tensor.label(), tensor.confidence()))
                printed.append(("size", frame.width, frame.height, frame.format))
                frame.add_message("seen")
        except Exception as error:  # noqa: BLE001 - PyGObject swallows exceptions in probes
            errors.append(repr(error))
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"videotestsrc num-buffers=2 ! {CAPS} ! gvarust module={CALLBACKS / 'annotate.py'} ! fakesink name=sink",
        {"sink": pad_probe_callback},
    )
    assert errors == []
    assert printed == [("age", "adult", 0.5), ("size", 64, 48, "BGRx")] * 2
    assert "age adult 0.5" in capsys.readouterr().out


def test_video_frame_second_argument_still_takes_video_info_and_refuses_caps_twice():
    import gi

    gi.require_version("GstVideo", "1.0")
    from gi.repository import GstVideo

    caps = Gst.Caps.from_string(CAPS)
    buffer = Gst.Buffer.new_allocate(None, 64 * 48 * 4, None)
    info = GstVideo.VideoInfo.new_from_caps(caps)
    assert VideoFrame(buffer, info).video_info() is info
    assert VideoFrame(buffer, caps).width == 64
    assert VideoFrame(buffer, None, caps).height == 48
    with pytest.raises(TypeError, match="caps twice"):
        VideoFrame(buffer, caps, caps=caps)
    with pytest.raises(TypeError, match="VideoInfo"):
        VideoFrame(buffer, "BGRx")


def test_a_buffer_kept_from_get_buffer_names_the_real_cause():
    errors = []

    def probe(pad, info):
        buf = info.get_buffer()  # a second reference, taken before the block
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            try:
                frame.add_message("x")
                errors.append("accepted")
            except gvarust.NotWritableError as error:
                errors.append(str(error))
        del buf, frame, buffer  # the frame and the first block's wrapper hold references too
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            VideoFrame(buffer, caps=pad.get_current_caps()).add_message("after del")
            errors.append("written after del")
        return Gst.PadProbeReturn.OK

    run_with_probes(f"videotestsrc num-buffers=1 ! {CAPS} ! fakesink name=sink", {"sink": probe})
    message, after = errors
    assert "info.get_buffer()" in message, message
    assert "another live reference" in message
    assert "del buf" in message
    assert after == "written after del"


def test_audio_data_is_an_array_and_a_context_manager():
    seen = []

    def probe(pad, info):
        caps = pad.get_current_caps()
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = AudioFrame(buffer, caps=caps)
            classic = frame.data()
            item = {
                "classic": (isinstance(classic, numpy.ndarray), classic.shape, bool(classic.flags.writeable)),
                "mean": type(classic.mean()).__name__,
            }
            del classic
            with frame.data() as samples:
                samples[0, 0] = 11
                item["with"] = (samples.shape, bool(samples.flags.writeable))
            item["after"] = bool(samples.flags.writeable)
            item["value"] = int(frame.data(1)[0, 0])
        # Outside the block the buffer is shared: data() maps READ.
        item["outside"] = bool(AudioFrame(info.get_buffer(), caps=caps).data().flags.writeable)
        seen.append(item)
        return Gst.PadProbeReturn.OK

    run_with_probes(
        "audiotestsrc num-buffers=1 samplesperbuffer=80 ! "
        "audio/x-raw,format=S16LE,channels=2,rate=8000,layout=interleaved ! fakesink name=sink",
        {"sink": probe},
    )
    assert seen == [
        {
            "classic": (True, (80, 2), True),
            "mean": "float64",
            "with": ((80, 2), True),
            "after": False,
            "value": 11,
            "outside": False,
        }
    ]


def test_video_frame_without_caps_takes_its_geometry_from_the_video_meta():
    """Classic gstgva: `VideoFrame(buffer)` with a GstVideoMeta on the buffer."""
    import gi

    gi.require_version("GstVideo", "1.0")
    from gi.repository import GstVideo

    width, height, stride = 64, 48, 300  # rows padded past 64 * 4 bytes
    raw = bytearray(stride * height)
    raw[1 * stride + 2 * 4 + 3] = 0xAB  # row 1, column 2, 4th byte (x of BGRx)
    buffer = Gst.Buffer.new_wrapped(bytes(raw))
    GstVideo.buffer_add_video_meta_full(
        buffer,
        GstVideo.VideoFrameFlags.NONE,
        GstVideo.VideoFormat.BGRX,
        width,
        height,
        1,
        [0, 0, 0, 0],
        [stride, 0, 0, 0],
    )
    frame = VideoFrame(buffer)
    assert (frame.width, frame.height, frame.format) == (width, height, "BGRx")
    with frame.data(Gst.MapFlags.READ) as pixels:
        assert pixels.shape == (height, width, 4)
        assert pixels.strides == (stride, 4, 1)
        assert pixels[1, 2, 3] == 0xAB
        assert int(pixels.sum()) == 0xAB
    # Without caps, video info or video meta: metadata works, geometry says why not.
    bare = VideoFrame(Gst.Buffer.new_allocate(None, 16, None))
    with pytest.raises(RuntimeError):
        bare.width
