# Same file name in two directories: each element must get its own module.
import os
import sys

# recorder.py lives one directory up, in tests/callbacks.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import recorder

WHO = "b"


def process_frame(frame):
    recorder.record("same-name", WHO)
    return True
