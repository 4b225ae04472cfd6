# Records what its constructor was given (arg and kwarg, e.g. read from @files).
import recorder


class RecordsArgs:
    def __init__(self, *args, **kwargs):
        recorder.record("ctor-args", {"args": list(args), "kwargs": kwargs})

    def process_frame(self, frame):
        return True
