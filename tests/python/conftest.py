"""pytest set-up: find the built plugin and initialize GStreamer once."""

import os
import pathlib
import traceback

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CALLBACKS = REPO / "tests" / "callbacks"


def _plugin_dir():
    configured = os.environ.get("GVARUST_PLUGIN_DIR")
    candidates = [pathlib.Path(configured)] if configured else [REPO / "target" / "debug", REPO / "target" / "release"]
    for directory in candidates:
        if (directory / "libgstgvarust.so").exists():
            return directory
    raise RuntimeError(f"libgstgvarust.so not found in {candidates}; run `cargo build` first")


os.environ["GST_PLUGIN_PATH"] = str(_plugin_dir())
os.environ.setdefault("GST_REGISTRY", str(REPO / "target" / "pytest-registry.bin"))

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)


@pytest.fixture
def callback():
    return lambda name: str(CALLBACKS / name)


def run_pipeline(description, timeout_s=30):
    """Run a pipeline to EOS or error; return (error message or None, element messages)."""
    pipeline = Gst.parse_launch(description)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    error = None
    elements = []
    try:
        while True:
            msg = bus.timed_pop_filtered(
                timeout_s * Gst.SECOND,
                Gst.MessageType.EOS | Gst.MessageType.ERROR | Gst.MessageType.ELEMENT,
            )
            assert msg is not None, f"pipeline timed out: {description}"
            if msg.type == Gst.MessageType.ERROR:
                err, debug = msg.parse_error()
                error = (err, debug)
                break
            if msg.type == Gst.MessageType.ELEMENT:
                elements.append(msg.get_structure().copy())
                continue
            break
    finally:
        pipeline.set_state(Gst.State.NULL)
    return error, elements


def carrying_failures(probe, failures):
    """`probe` wrapped so that whatever it raises is recorded in `failures` (a list) and the
    buffer passes on. PyGObject prints and swallows exceptions raised in pad probes, so a
    failed assertion there would not fail the test: the test body checks `failures`."""

    def wrapped(pad, info):
        try:
            return probe(pad, info)
        except BaseException:  # also pytest's outcomes (pytest.raises, pytest.fail)
            failures.append(f"in probe {getattr(probe, '__name__', probe)}:\n{traceback.format_exc()}")
            return Gst.PadProbeReturn.OK

    return wrapped


def run_with_probes(description, probes, timeout_s=30):
    """Run `description`, attaching `probes` {element_name: callback(pad, info)} on sink pads.

    A probe that raises (a failed assertion, a failed `pytest.raises`) fails the test here,
    after the pipeline stopped, with the probe's traceback."""
    failures = []
    pipeline = Gst.parse_launch(description)
    for name, probe in probes.items():
        pad = pipeline.get_by_name(name).get_static_pad("sink")
        pad.add_probe(Gst.PadProbeType.BUFFER, carrying_failures(probe, failures))
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    try:
        msg = bus.timed_pop_filtered(timeout_s * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        assert msg is not None, "timed out"
        if msg.type == Gst.MessageType.ERROR:
            raise AssertionError(msg.parse_error())
    finally:
        pipeline.set_state(Gst.State.NULL)
    assert not failures, "\n".join(failures)
