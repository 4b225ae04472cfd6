# Passes the first frame (the pipeline prerolls), raises from the second on.
# gst-launch-1.0 1.22 hangs in about 2 runs in 100 when two errors (the
# element's and the source's "Internal data stream error") arrive while the
# pipeline prerolls, whatever element raises them.
frames = 0


def process_frame(frame):
    global frames
    frames += 1
    if frames > 1:
        raise ValueError("boom")
    return True
