"""A PyGObject host application: a busy Python thread, a GLib main loop, a
pipeline with gvarust; Ctrl-C (SIGINT) stops it from a GLib signal handler,
which calls set_state(NULL) from another thread. It must stop cleanly."""

import json
import os
import signal
import subprocess
import sys
import time

APP = r'''
import json, sys, threading, time
import gi
gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst

switch_interval = float(sys.argv[2])
if switch_interval > 0:
    sys.setswitchinterval(switch_interval)
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

def stop_pipeline():
    pipeline.set_state(Gst.State.NULL)
    stopped.set()
    GLib.idle_add(loop.quit)

def on_sigint():
    stats.update({k: pipeline.get_by_name("g").get_property("stats").get_value(k)
                  for k in ("calls", "gil-wait-mean-us", "gil-wait-max-us")})
    threading.Thread(target=stop_pipeline, name="stopper").start()
    return GLib.SOURCE_REMOVE

GLib.unix_signal_add(GLib.PRIORITY_HIGH, 2, on_sigint)
pipeline.set_state(Gst.State.PLAYING)
print("playing", flush=True)
loop.run()
busy_stop.set()
worker.join(5)
assert stopped.wait(10), "set_state(NULL) did not return"
print(json.dumps({"stopped": True, "busy_spins": spins[0] > 0, **stats}), flush=True)
'''


def run_app(tmp_path, callback, switch_interval=0.0, seconds=1.5):
    app = tmp_path / "app.py"
    app.write_text(APP)
    proc = subprocess.Popen(
        [sys.executable, str(app), callback("frames.py"), str(switch_interval)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "playing", proc.stderr.read()
        time.sleep(seconds)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, out + err
    return json.loads(lines[-1])


def test_sigint_and_set_state_null_from_another_thread_stop_cleanly(tmp_path, callback):
    result = run_app(tmp_path, callback)
    assert result["stopped"] and result["busy_spins"]
    # The callback ran although a Python thread kept the GIL busy.
    assert result["calls"] > 20, result


def test_a_shorter_switch_interval_cuts_the_gil_wait(tmp_path, callback):
    default = run_app(tmp_path, callback)
    short = run_app(tmp_path, callback, switch_interval=0.0005)
    print(f"GIL wait with a busy Python thread: default switch interval "
          f"{default['gil-wait-mean-us']:.0f} us mean / {default['gil-wait-max-us']:.0f} us max, "
          f"0.5 ms: {short['gil-wait-mean-us']:.0f} us mean / {short['gil-wait-max-us']:.0f} us max")
    assert short["gil-wait-mean-us"] < default["gil-wait-mean-us"], (default, short)
