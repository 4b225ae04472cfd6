# A class whose hook named by `raise_in` raises; every call is recorded.
import sys

import recorder


class HookRaiser:
    def __init__(self, raise_in, key, exception="ValueError"):
        self.raise_in = raise_in
        self.key = key
        self.exception = exception
        self.frames = 0

    def _maybe_raise(self, hook):
        recorder.record(self.key, hook)
        if hook == self.raise_in:
            if self.exception == "SystemExit":
                sys.exit(f"{hook} exits")
            raise ValueError(f"{hook} failed")

    def process_event(self, event):
        self._maybe_raise("process_event")
        return None

    def on_eos(self):
        self._maybe_raise("on_eos")

    def on_stop(self):
        self._maybe_raise("on_stop")

    def process_frame(self, frame):
        self.frames += 1
        self._maybe_raise("process_frame")
        return True

    def __del__(self):
        recorder.record(self.key, "del")
        if self.raise_in == "__del__":
            raise ValueError("__del__ failed")
