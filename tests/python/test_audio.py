"""AudioFrame and AudioEvent of the Python package in PyGObject pad probes."""

import numpy
import pytest

from conftest import CALLBACKS, Gst, run_with_probes

import gi

gi.require_version("GstAudio", "1.0")
from gi.repository import GstAudio  # noqa: E402

import gvarust  # noqa: E402
from gstgva.audio import AudioEvent, AudioFrame, Segment  # noqa: E402
from gstgva.util import GST_PAD_PROBE_INFO_BUFFER  # noqa: E402

CAPS = "audio/x-raw,format=S16LE,channels=2,rate=8000,layout=interleaved"


def test_pad_probe_reads_samples_and_writes_events_that_a_later_probe_reads():
    seen = []
    kept = []

    def writer(pad, info):
        caps = pad.get_current_caps()
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = AudioFrame(buffer, caps=caps)
            samples = frame.data()
            kept.append(samples)
            seen.append(("writer", samples.shape, str(samples.dtype), samples.flags.writeable))
            info_obj = frame.audio_info()
            assert isinstance(info_obj, GstAudio.AudioInfo)
            assert info_obj is frame.audio_info()
            assert (info_obj.rate, info_obj.channels) == (8000, 2)
            event = frame.add_event(frame.pts, frame.pts + frame.duration, "Speech", 0.5, label_id=1)
            event.add_tensor("text")["label"] = "hi"
        return Gst.PadProbeReturn.OK

    def reader(pad, info):
        audio_info = GstAudio.AudioInfo.new_from_caps(pad.get_current_caps())
        frame = AudioFrame(info.get_buffer(), audio_info=audio_info)
        assert frame.audio_info() is audio_info, "the caller's AudioInfo is returned"
        events = list(frame.events())
        assert all(isinstance(e, AudioEvent) for e in events)
        event = events[0]
        segment = event.segment()
        assert isinstance(segment, Segment)
        seen.append((
            "reader",
            len(events),
            event.label(),
            event.confidence(),
            event.label_id(),
            segment.end_time - segment.start_time,
            [(t.name(), t["label"]) for t in event.tensors()],
        ))
        with pytest.raises(gvarust.NotWritableError):
            frame.add_event(0, 1)
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"audiotestsrc num-buffers=3 samplesperbuffer=80 ! {CAPS} ! identity name=first ! "
        "identity name=second ! fakesink",
        {"first": writer, "second": reader},
    )
    # Inside the block the buffer is writable, so data() maps READ|WRITE (as VideoFrame.data()).
    assert seen[0] == ("writer", (80, 2), "int16", True)
    assert seen[1] == ("reader", 1, "Speech", 0.5, 1, 10_000_000, [("detection", None), ("text", "hi")])
    assert len(seen) == 6
    # Arrays kept beyond the probe stay readable (they hold their memory).
    assert all(isinstance(a, numpy.ndarray) and a.shape == (80, 2) for a in kept)
    assert int(numpy.abs(kept[0].astype(numpy.int64)).max()) > 0


def test_events_from_a_gvarust_callback_read_in_a_pad_probe():
    seen = []

    def reader(pad, info):
        frame = AudioFrame(info.get_buffer(), caps=pad.get_current_caps())
        seen.append([(e.label(), e.event_id(), e.meta().id) for e in frame.events()])
        return Gst.PadProbeReturn.OK

    run_with_probes(
        f"audiotestsrc num-buffers=2 ! {CAPS} ! gvarust module={CALLBACKS / 'audio_events.py'} ! "
        "fakesink name=sink",
        {"sink": reader},
    )
    assert seen == [[("Speech", 42, 42)]] * 2


def test_frame_without_audio_info_has_metadata_only():
    seen = []

    def probe(pad, info):
        frame = AudioFrame(info.get_buffer())
        assert frame.audio_info() is None
        with pytest.raises(RuntimeError, match="no audio info"):
            frame.data()
        seen.append(list(frame.events()))
        return Gst.PadProbeReturn.OK

    run_with_probes(f"audiotestsrc num-buffers=1 ! {CAPS} ! fakesink name=sink", {"sink": probe})
    assert seen == [[]]
