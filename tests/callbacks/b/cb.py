# Same file name in two directories: each element must get its own module.
import recorder

WHO = "b"


def process_frame(frame):
    recorder.record("same-name", WHO)
    return True
