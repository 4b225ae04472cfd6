# Callbacks for isolation=process: metadata and pixels that cross to the worker
# and back, crashes of every kind, and a callback that never returns.
#
# `describe(frame)` is used on both sides of the worker: upstream (in process)
# it records what the buffer carries; in the worker it records what arrived.
import json
import os
import tempfile
import time

VALUES = {
    "b": True,
    "i": -5,
    "i64": 2**40,
    "f": 0.125,
    "s": "hello",
    "ints": [1, 2, 3],
    "floats": [0.5, 1.5],
    "strs": ["a", "b"],
    "nested": {"a": 1, "b": "two", "c": [1.5], "d": {"e": False}},
    "raw": b"\x00\x01\xff",
}


def typed(value):
    if isinstance(value, (list, tuple)):
        return [typed(v) for v in value]
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray, memoryview)) or type(value).__name__ == "TensorBytes":
        return ["bytes", bytes(value).hex()]
    if type(value).__name__ == "ndarray":
        return ["ndarray", str(value.dtype), value.tolist()]
    return [type(value).__name__, value]


def describe(frame):
    regions = []
    for roi in frame.regions():
        regions.append({
            "rect": list(roi.rect()),
            "label": roi.label(),
            "confidence": roi.confidence(),
            "tensors": [
                {"name": t.name(), "fields": {k: typed(t[k]) for k in sorted(t.fields())}}
                for t in roi.tensors()
            ],
        })
    tensors = [
        {"name": t.name(), "fields": {k: typed(t[k]) for k in sorted(t.fields())}}
        for t in frame.tensors()
    ]
    messages = [m for m in frame.messages() if not m.startswith("{\"side\"")]
    return {"regions": regions, "tensors": tensors, "messages": messages}


def produce(frame):
    """Upstream, in process: metadata of every kind, then its description."""
    for i in range(3):
        roi = frame.add_region(10 * i, 5 * i, 20, 10, f"obj{i}", 0.25 * (i + 1))
        t = roi.add_tensor("attributes")
        for key, value in VALUES.items():
            t[key] = value
        t["label"] = f"class{i}"
    frame_tensor = frame.add_tensor()
    frame_tensor.set_name("frame_level")
    frame_tensor["answer"] = 42
    frame.add_message(json.dumps({"note": "upstream"}))
    frame.add_message(json.dumps({"side": "upstream", "pid": os.getpid(), "seen": describe(frame)}))
    return True


def change(frame):
    """In the worker: says what it saw, then changes metadata and pixels."""
    seen = describe(frame)
    regions = list(frame.regions())
    frame.remove_region(regions[0])
    regions[1].detection()["confidence"] = 0.875
    t = regions[2].add_tensor("added")
    t["w"] = 42
    with frame.data() as pixels:
        pixels[0, 0, :] = (1, 2, 3, 4)
    frame.add_message(json.dumps({"side": "worker", "pid": os.getpid(), "seen": seen}))
    return True


def change_pixels(frame):
    with frame.data() as pixels:
        pixels[0, 0, :] = (1, 2, 3, 4)
    return True


def pid_message(frame):
    frame.add_message(json.dumps({"side": "worker", "pid": os.getpid()}))
    return True


_calls = 0


def _nth_call(n):
    global _calls
    _calls += 1
    return _calls == n


def segfault_on_second(frame):
    if _nth_call(2):
        import ctypes
        ctypes.string_at(0)
    return pid_message(frame)


def exit_on_second(frame):
    if _nth_call(2):
        os._exit(3)
    return pid_message(frame)


def announce(name):
    """Writes this worker's pid to the FIFO the test (the element's process) made
    and is reading: the test learns at once that the call has begun."""
    path = os.path.join(tempfile.gettempdir(), f"gvarust-iso-{os.getppid()}-{name}")
    with open(path, "w") as fifo:
        fifo.write(str(os.getpid()))


def wait_to_be_killed(frame):
    """Second frame: announces itself and waits to be killed from outside."""
    if _nth_call(2):
        announce("wait_to_be_killed")
        while True:
            time.sleep(0.05)
    return pid_message(frame)


def forever(frame):
    announce("forever")
    while True:
        pass


def forever_in_sleep(frame):
    announce("forever_in_sleep")
    time.sleep(3600)
    return True


def frame_shape(frame):
    """Says the shape of the pixel array the worker's frame has."""
    with frame.data() as pixels:
        shape = list(pixels.shape)
    frame.add_message(json.dumps({"side": "worker", "shape": shape}))
    return True


def audio_upstream(frame):
    """Upstream, in process: an audio event for the worker to find."""
    frame.add_event(frame.pts, frame.pts + 1000, "Dog", confidence=0.5)
    return True


def audio(frame):
    """In the worker: an AudioFrame like in process; its samples are written,
    an event is added, and what it saw is said in a message."""
    from gstgva.audio import AudioFrame

    samples = frame.data(2)
    seen = {
        "side": "worker",
        "pid": os.getpid(),
        "is_audio_frame": isinstance(frame, AudioFrame),
        "shape": list(samples.shape),
        "dtype": str(samples.dtype),
        "rate": frame.rate,
        "channels": frame.channels,
        "events": [[e.label(), e.confidence()] for e in frame.events()],
    }
    samples[:, 0] = 7
    frame.add_event(frame.pts, frame.pts + frame.duration, label="Speech", confidence=0.75, label_id=3)
    frame.add_message(json.dumps(seen))
    return True


def retime(frame):
    """Moves the buffer's timestamps and offset and sets a flag, through
    PyGObject's Gst.Buffer."""
    import gi

    gi.require_version("Gst", "1.0")
    from gi.repository import Gst

    buffer = frame.buffer()
    buffer.pts = buffer.pts + Gst.MSECOND
    buffer.duration = 3 * Gst.MSECOND
    buffer.offset = 1000 + buffer.offset
    buffer.set_flags(Gst.BufferFlags.MARKER)
    return True


_kept = []


def planes_and_kept(frame):
    """In the worker: the planes of the frame (written through), and the frame
    kept from the previous call, which must be invalidated like in process."""
    import gvarust

    with frame.planes(2) as planes:
        shapes = [list(p.shape) for p in planes]
        planes[1][0, 0] = 7
    kept = "none"
    if _kept:
        try:
            _kept[0].regions()
            kept = "usable"
        except gvarust.InvalidatedError:
            kept = "InvalidatedError"
    _kept[:] = [frame]
    frame.add_message(json.dumps({"side": "worker", "pid": os.getpid(), "planes": shapes, "kept": kept}))
    return True
