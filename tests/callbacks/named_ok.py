# Loaded by name (module=named_ok) from sys.path, not as a file.
import recorder


def process_frame(frame):
    recorder.record("named-ok", __name__)
    return True
