# A callback blocked in native code (a lock wait, with the GIL released) until
# the test sets `release`: an interrupt cannot reach it until it is back in
# Python bytecode.
import threading

import recorder

release = threading.Event()


def process_frame(frame):
    recorder.record("bad_blocks", "entered")
    release.wait()
    recorder.record("bad_blocks", "released")
    return True
