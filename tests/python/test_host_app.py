"""A PyGObject host application: a busy Python thread, a GLib main loop, a
pipeline with gvarust; Ctrl-C (SIGINT) stops it from a GLib signal handler,
which calls set_state(NULL) from another thread. It must stop cleanly.

(How long the callback waits for the GIL under such a busy thread, per switch
interval, is measured by examples/bench/gil_wait.py, not here.)"""

import json
import queue
import signal
import subprocess
import sys
import threading
import time

APP = r'''
import json, sys, threading
import gi
gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst

Gst.init(None)
pipeline = Gst.parse_launch(
    "videotestsrc is-live=true ! video/x-raw,width=64,height=48,framerate=100/1 ! "
    f"gvarust name=g module={sys.argv[1]} ! fakesink"
)
loop = GLib.MainLoop()
busy_stop = threading.Event()
spins = [0]

def busy():
    # Pure Python work: holds the GIL except at the interpreter's switch points.
    while not busy_stop.is_set():
        spins[0] += sum(range(200))

worker = threading.Thread(target=busy, daemon=True)
worker.start()
stopped = threading.Event()
stats = {}

def calls():
    return pipeline.get_by_name("g").get_property("stats").get_value("calls")

def report_running():
    # Tells the test once the callback has run often enough, with the busy thread going.
    if calls() < 20:
        return GLib.SOURCE_CONTINUE
    print("running", flush=True)
    return GLib.SOURCE_REMOVE

def stop_pipeline():
    pipeline.set_state(Gst.State.NULL)
    stopped.set()
    GLib.idle_add(loop.quit)

def on_sigint():
    stats["calls"] = calls()
    threading.Thread(target=stop_pipeline, name="stopper").start()
    return GLib.SOURCE_REMOVE

GLib.unix_signal_add(GLib.PRIORITY_HIGH, 2, on_sigint)
pipeline.set_state(Gst.State.PLAYING)
print("playing", flush=True)
GLib.timeout_add(10, report_running)
loop.run()
busy_stop.set()
worker.join(5)
assert stopped.wait(10), "set_state(NULL) did not return"
print(json.dumps({"stopped": True, "busy_spins": spins[0] > 0, **stats}), flush=True)
'''


def _lines(stream):
    """The lines of `stream` on a queue (None at its end), read by a thread of their own."""
    lines = queue.Queue()

    def read():
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for(lines, expected, deadline):
    seen = []
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {expected!r} before the deadline; got {seen}"
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        assert line is not None, f"the app ended before {expected!r}; got {seen}"
        seen.append(line)
        if line == expected:
            return seen


def test_sigint_and_set_state_null_from_another_thread_stop_cleanly(tmp_path, callback):
    app = tmp_path / "app.py"
    app.write_text(APP)
    proc = subprocess.Popen(
        [sys.executable, str(app), callback("frames.py")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = _lines(proc.stdout)
        deadline = time.monotonic() + 60
        _wait_for(lines, "playing", deadline)
        # The callback keeps running although a Python thread keeps the GIL busy.
        _wait_for(lines, "running", deadline)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        rest = []
        while (line := lines.get(timeout=10)) is not None:
            rest.append(line)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, f"exit {proc.returncode}\n{rest}\n{err}"
    results = [line for line in rest if line.startswith("{")]
    assert results, f"{rest}\n{err}"
    result = json.loads(results[-1])
    assert result["stopped"] and result["busy_spins"], result
    assert result["calls"] >= 20, result
