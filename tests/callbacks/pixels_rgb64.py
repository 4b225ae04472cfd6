# data() of the 16-bit-per-channel RGB formats (what an unconstrained videotestsrc
# negotiates): (H, W, 4) uint16 in the format's byte order, zero-copy, writable.
import recorder


def paint(frame):
    item = {"format": frame.format}
    with frame.data() as a:
        item["shape"] = list(a.shape)
        item["dtype"] = a.dtype.str
        item["strides"] = list(a.strides)
        item["writeable"] = bool(a.flags.writeable)
        item["base"] = f"{type(a.base).__name__}/{type(a.base.base).__name__}"
        item["first"] = [int(v) for v in a[0, 0]]
        a[1, 0] = [1, 2, 0x1234, 0xFFFE]
    recorder.record(__name__, item)
    return True


def check(frame):
    with frame.data(1) as a:
        item = {"second_row": [int(v) for v in a[1, 0]], "writeable": bool(a.flags.writeable)}
    recorder.record(__name__ + ".check", item)
    return True


def first_look(frame):
    """What a first-day callback on an unconstrained videotestsrc gets."""
    item = {"format": frame.format}
    try:
        with frame.data() as a:
            item["shape"] = list(a.shape)
    except RuntimeError as e:
        item["data_error"] = str(e)
    with frame.planes() as planes:
        item["planes"] = [list(p.shape) for p in planes]
    recorder.record(__name__ + ".first_look", item)
    return True
