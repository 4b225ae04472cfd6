# Class mode: constructor arguments, per-frame method, lifecycle hooks and __del__.
import recorder


class Counter:
    def __init__(self, *args, **kwargs):
        self.key = kwargs.pop("key")
        recorder.record(self.key, ("init", list(args), kwargs))
        self.frames = 0

    def on_start(self):
        recorder.record(self.key, ("on_start",))

    def count(self, frame):
        self.frames += 1
        return True

    def process_event(self, event):
        recorder.record(self.key, ("event", event.type))

    def on_eos(self):
        recorder.record(self.key, ("on_eos", self.frames))

    def on_stop(self):
        recorder.record(self.key, ("on_stop", self.frames))

    def __del__(self):
        recorder.record(self.key, ("del",))
