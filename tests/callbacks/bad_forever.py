# A callback that never returns on its own: a busy loop holding the GIL (the
# worst case), until the test sets `release`.
import recorder

release = False


def process_frame(frame):
    recorder.record("bad_forever", "entered")
    spins = 0
    while not release:
        spins += 1
    recorder.record("bad_forever", "released")
    return True
