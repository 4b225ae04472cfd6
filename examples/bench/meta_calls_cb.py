# Per-call cost of the metadata object API, measured inside a gvarust callback on frames
# that meta_write.py filled (20 regions, each with detection, age and gender structures).
# Each call runs LOOPS times per frame; the per-frame mean is kept, and at stop the median
# over frames (in ns) is printed as one JSON line for calls.py.
import json
import statistics
import sys
import time

LOOPS = 200
_timings = {}


def _measure(name, call):
    clock = time.perf_counter_ns
    started = clock()
    for _ in range(LOOPS):
        call()
    _timings.setdefault(name, []).append((clock() - started) / LOOPS)


def process_frame(frame):
    regions = list(frame.regions())
    roi = regions[0]
    tensors = list(roi.tensors())
    age = next(t for t in tensors if t.name() == "age")
    detection = roi.detection()
    _measure("a Python no-op lambda (the floor)", lambda: None)
    _measure("list(frame.regions()) (20 regions)", lambda: list(frame.regions()))
    _measure("roi.rect()", roi.rect)
    _measure("list(roi.tensors()) (3 tensors)", lambda: list(roi.tensors()))
    _measure('t["label"]', lambda: age["label"])
    _measure("t.label()", age.label)
    _measure("t.confidence()", age.confidence)
    _measure("roi.confidence()", roi.confidence)
    _measure("roi.label()", roi.label)
    _measure("t.is_detection()", detection.is_detection)
    if hasattr(frame, "regions_array"):  # the bulk API (not in builds before it)
        _measure("frame.regions_array() (20 regions)", frame.regions_array)
        _measure("frame.regions_labels() (20 regions)", frame.regions_labels)
    return True


def on_stop():
    medians = {name: statistics.median(values) for name, values in _timings.items()}
    result = {"loops": LOOPS, "frames": len(next(iter(_timings.values()), [])), "ns": medians}
    shared = sys.modules.get("gvarust_bench_calls")
    if shared is not None:  # inside bench.py's process
        shared.calls = result
    else:  # under gst-launch-1.0, for calls.py
        print("META_CALLS " + json.dumps(result), flush=True)
