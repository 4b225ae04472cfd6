# Pixel access with a read-only mapping (flags=1, Gst.MapFlags.READ): never copies the
# pixels, even when the buffer's memory is shared with another branch of the pipeline.


def process_frame(frame):
    with frame.data(1) as a:
        a[0, 0]
    return True
