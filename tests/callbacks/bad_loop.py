# Per frame: add and read regions, tensors and messages (leak and concurrency
# tests). Records "init", "stop" and "del" under `key` so tests can check that
# every instance was stopped and released.
import ctypes

import numpy as np

import recorder

_libc = ctypes.CDLL(None)
_libc.malloc.restype = ctypes.c_void_p

PAYLOAD = np.arange(16, dtype=np.float32)


class Loop:
    def __init__(self, key="loop", leak_bytes=0):
        self.key = key
        self.frames = 0
        # For proving the leak test: malloc this many bytes per frame, never freed.
        self.leak_bytes = leak_bytes
        recorder.record(key, "init")

    def process_frame(self, frame):
        if self.leak_bytes:
            _libc.malloc(self.leak_bytes)
        roi = frame.add_region(1, 2, 3, 4, "car", 0.5, extra_params={"n": self.frames})
        tensor = roi.add_tensor("classification")
        tensor["label"] = "red"
        tensor["values"] = [1, 2, 3]
        frame_tensor = frame.add_tensor()
        frame_tensor.set_data(PAYLOAD, dims=[4, 4])
        frame.add_message('{"frame": %d}' % self.frames)
        for region in frame.regions():
            region.rect(), region.label(), region.confidence()
            for t in region.tensors():
                t.fields(), t["label"]
        for t in frame.tensors():
            t.data().sum()
        assert len(frame.messages()) == 1
        self.frames += 1
        return True

    def on_stop(self):
        recorder.record(self.key, "stop")

    def __del__(self):
        recorder.record(self.key, "del")
