# Pixel access for the benchmark: map the frame as a zero-copy numpy view and read one pixel.
# Its cost must not grow with the frame size.


def process_frame(frame):
    with frame.data() as a:
        a[0, 0]
    return True
