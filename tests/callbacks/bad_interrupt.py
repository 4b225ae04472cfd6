# KeyboardInterrupt from a callback is an ordinary callback error.
import recorder


def process_frame(frame):
    recorder.record("bad_interrupt", frame.pts)
    raise KeyboardInterrupt
