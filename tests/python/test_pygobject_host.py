"""gvarust inside a PyGObject application: one interpreter, shared with the app."""

import sys
import threading
import time
import types

from conftest import Gst, run_pipeline

VIDEO = "videotestsrc num-buffers=10 ! video/x-raw,format=BGRx,width=64,height=48"


def _shared():
    shared = types.SimpleNamespace(seen=[])
    sys.modules["gvarust_pytest_shared"] = shared
    return shared


def test_callback_runs_in_the_applications_interpreter(callback):
    shared = _shared()
    error, _ = run_pipeline(f"{VIDEO} ! gvarust module={callback('pygobject_shared.py')} ! fakesink")
    assert error is None, error
    assert [kind for kind, _, _ in shared.seen] == ["VideoFrame"] * 10
    assert [pts for _, pts, _ in shared.seen][:3] == [0, 33333333, 66666666]
    # The callback saw this very sys.modules, so it ran in this interpreter.
    assert {modules for _, _, modules in shared.seen} == {id(sys.modules)}
    # And the element registered its classes here.
    import gvarust

    assert gvarust.VideoFrame.__name__ == "VideoFrame"


def test_application_threads_keep_running_while_the_pipeline_plays(callback):
    shared = _shared()
    ticks = []
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        error, _ = run_pipeline(
            "videotestsrc num-buffers=30 is-live=true ! video/x-raw,framerate=100/1 ! "
            f"gvarust module={callback('pygobject_shared.py')} ! fakesink"
        )
    finally:
        stop.set()
        worker.join()
    assert error is None, error
    assert len(shared.seen) == 30
    assert len(ticks) > 20, "the application's thread starved while the pipeline ran"


def test_callback_errors_reach_the_application_bus(callback):
    error, _ = run_pipeline(f"{VIDEO} ! gvarust module={callback('raises.py')} ! fakesink")
    assert error is not None
    err, debug = error
    assert err.matches(Gst.LibraryError.quark(), Gst.LibraryError.FAILED)
    assert err.message == "Python callback process_frame() raised ValueError: boom (raises.py:2)"
    assert "Traceback (most recent call last)" in debug


def test_pipelines_restart_and_post_stats_at_eos(callback):
    for _ in range(3):
        shared = _shared()
        error, elements = run_pipeline(
            f"{VIDEO} ! gvarust module={callback('pygobject_shared.py')} ! fakesink"
        )
        assert error is None, error
        assert len(shared.seen) == 10
        stats = [s for s in elements if s.get_name() == "gvarust-stats"]
        assert len(stats) == 1
        assert stats[0].get_value("calls") == 10
        assert stats[0].get_value("errors") == 0
