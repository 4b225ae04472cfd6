#!/usr/bin/env python3
"""A PyGObject application that reads gvarust's metadata in a pad probe.

The pipeline runs DL Streamer-style detection in gvarust elements (a fake SSD
stage and its post-processing, from examples/postproc/), and the application
reads the resulting regions downstream, in a pad probe, with the ``gstgva``
classes of the gvarust Python package (``pip install ./python``)::

    videotestsrc ! video/x-raw,format=BGRx ! gvarust module=fake_ssd.py ! \
        gvarust module=ssd_object_detection.py ! fakesink name=sink
                                                          ^ pad probe: VideoFrame(buffer, caps=caps)

It prints one line per frame, runs a GLib main loop, and turns Ctrl-C (SIGINT,
through ``GLib.unix_signal_add``) into an end-of-stream, so the pipeline stops
cleanly; a second Ctrl-C quits at once.

    bash examples/pad_probe_app.sh [--frames N]      # sets up the venv and the plugin
    python examples/pad_probe_app.py [--frames N]   # with gstgva installed and GST_PLUGIN_PATH set

``--frames 0`` runs a live source until Ctrl-C.
"""

import argparse
import os
import pathlib
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

from gstgva import VideoFrame  # noqa: E402
from gstgva.util import GST_PAD_PROBE_INFO_BUFFER  # noqa: E402

POSTPROC = pathlib.Path(__file__).resolve().parent / "postproc"


def build_pipeline(frames):
    live = "is-live=true" if frames <= 0 else f"num-buffers={frames}"
    return Gst.parse_launch(
        f"videotestsrc {live} ! video/x-raw,format=BGRx,width=640,height=480,framerate=30/1 ! "
        f'gvarust module="{POSTPROC / "fake_ssd.py"}" ! '
        f'gvarust module="{POSTPROC / "ssd_object_detection.py"}" ! '
        "fakesink name=sink sync=true"
    )


class App:
    def __init__(self, frames):
        self.pipeline = build_pipeline(frames)
        self.loop = GLib.MainLoop()
        self.frames = 0
        self.regions = 0
        self.interrupted = False
        self.playing = False
        self.failed = False

        pad = self.pipeline.get_by_name("sink").get_static_pad("sink")
        pad.add_probe(Gst.PadProbeType.BUFFER, self.on_buffer)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, self.on_sigint)

    def on_buffer(self, pad, info):
        """Pad probe: runs on the streaming thread for every buffer reaching the sink."""
        # Inside the block the buffer is writable for metadata; here we only read.
        with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:
            frame = VideoFrame(buffer, caps=pad.get_current_caps())
            found = [
                f"{roi.label()} {tuple(roi.rect())} {roi.confidence():.2f}" for roi in frame.regions()
            ]
            pts = "none" if frame.pts is None else f"{frame.pts / Gst.SECOND:.3f}s"
            print(f"frame {self.frames} pts={pts} {frame.width}x{frame.height}: "
                  f"{len(found)} regions: {'; '.join(found) or '-'}", flush=True)
            self.frames += 1
            self.regions += len(found)
        return Gst.PadProbeReturn.OK

    def on_message(self, bus, message):
        if message.type == Gst.MessageType.STATE_CHANGED and message.src == self.pipeline:
            _, new, _ = message.parse_state_changed()
            self.playing = new == Gst.State.PLAYING
            if self.playing and self.interrupted:
                self.pipeline.send_event(Gst.Event.new_eos())
        elif message.type == Gst.MessageType.EOS:
            self.loop.quit()
        elif message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            print(f"error from {message.src.get_name()}: {error.message}\n{debug}", file=sys.stderr)
            self.failed = True
            self.loop.quit()

    def on_sigint(self):
        if self.interrupted:  # second Ctrl-C: stop now
            self.loop.quit()
            return GLib.SOURCE_REMOVE
        print("interrupted: sending end-of-stream (Ctrl-C again to quit at once)", flush=True)
        self.interrupted = True
        # An EOS sent to a live pipeline before it reaches PLAYING can deadlock (the source's
        # streaming thread is blocked in the sink's preroll): then it goes out at PLAYING.
        if self.playing:
            self.pipeline.send_event(Gst.Event.new_eos())
        return GLib.SOURCE_CONTINUE

    def run(self):
        # A failure to start posts an error message on the bus, which ends the loop.
        self.pipeline.set_state(Gst.State.PLAYING)
        try:
            self.loop.run()
        finally:
            self.pipeline.set_state(Gst.State.NULL)
            self.pipeline.get_bus().remove_signal_watch()
        print(f"{self.frames} frames, {self.regions} regions read in the pad probe", flush=True)
        return 1 if self.failed else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=30, help="frames to run (0: live, until Ctrl-C)")
    parser.add_argument("--plugin-dir", help="directory holding libgstgvarust.so (else GST_PLUGIN_PATH)")
    args = parser.parse_args(argv)
    if args.plugin_dir:
        os.environ["GST_PLUGIN_PATH"] = os.pathsep.join(
            filter(None, [args.plugin_dir, os.environ.get("GST_PLUGIN_PATH")]))
    Gst.init(None)
    if Gst.ElementFactory.find("gvarust") is None:
        print("gvarust not found: point GST_PLUGIN_PATH (or --plugin-dir) at the directory "
              "holding libgstgvarust.so", file=sys.stderr)
        return 1
    return App(args.frames).run()


if __name__ == "__main__":
    sys.exit(main())
