# Pixel access through VideoFrame.data() and planes(), read side.
# The function to run is chosen with the element's `function` property.

import recorder
import warncatch


def describe_array(a):
    return {
        "shape": list(a.shape),
        "strides": list(a.strides),
        "dtype": str(a.dtype),
        "writeable": bool(a.flags.writeable),
        "hex": a.tobytes().hex(),
        "base": f"{type(a.base).__name__}/{type(a.base.base).__name__}",
    }


def describe(frame):
    """data() with default flags, then planes() read-only."""
    with warncatch.caught() as caught:
        with frame.data() as a:
            item = describe_array(a)
            # A whole row reads the same pixel values as element-wise access.
            item["row_equal"] = [list(map(int, a[-1, c].ravel())) for c in (0, a.shape[1] - 1)]
        item["after"] = {"shape": list(a.shape), "writeable": bool(a.flags.writeable)}
    item["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    item["format"] = frame.format
    with frame.planes(1) as planes:
        item["planes"] = [describe_array(p) for p in planes]
    recorder.record(__name__, item)
    return True


class IntLike:
    def __init__(self, value):
        self.value = value

    def __int__(self):
        return self.value


def read_only(frame):
    """READ mappings give read-only arrays that stay valid after the block."""
    item = {}
    with frame.data(1) as a:
        item["writeable"] = bool(a.flags.writeable)
        try:
            a[0, 0, 0] = 1
            item["write"] = "allowed"
        except ValueError as error:
            item["write"] = f"ValueError: {error}"
        snapshot = a.copy()
    item["after_block_equal"] = bool((a == snapshot).all()) and a.shape == snapshot.shape
    with frame.data(IntLike(1)) as b:
        item["intlike_writeable"] = bool(b.flags.writeable)
    try:
        import gi

        gi.require_version("Gst", "1.0")
        from gi.repository import Gst

        with frame.data(Gst.MapFlags.READ) as c:
            item["mapflags_read_writeable"] = bool(c.flags.writeable)
        with frame.data(Gst.MapFlags.READ | Gst.MapFlags.WRITE) as c:
            item["mapflags_rw_writeable"] = bool(c.flags.writeable)
            del c
    except ImportError as error:
        item["gi"] = str(error)
    with frame.data(3) as d:
        item["rw_writeable"] = bool(d.flags.writeable)
        del d
    with frame.data(2) as d:
        item["w_writeable"] = bool(d.flags.writeable)
        del d
    with frame.planes(1) as planes:
        item["planes_writeable"] = [bool(p.flags.writeable) for p in planes]
    # The kept read-only view `a` does not pin the buffer: a writable mapping still works.
    with frame.data() as e:
        item["default_writeable_while_read_view_kept"] = bool(e.flags.writeable)
        del e
    recorder.record(__name__, item)
    return True


def bad_flags(frame):
    item = {}
    for label, flags in (("zero", 0), ("eight", 8), ("negative", -1), ("text", "read"), ("float", 1.5)):
        try:
            frame.data(flags)
            item[label] = "accepted"
        except Exception as error:  # noqa: BLE001 - the type is what is recorded
            item[label] = f"{type(error).__name__}: {error}"
    recorder.record(__name__, item)
    return True


def unsupported(frame):
    item = {"format": frame.format}
    try:
        with frame.data() as a:
            item["data"] = list(a.shape)
    except RuntimeError as error:
        item["data"] = f"{type(error).__name__}: {error}"
    with frame.planes() as planes:
        item["planes"] = [describe_array(p) for p in planes]
        del planes
    recorder.record(__name__, item)
    return True


def no_info(frame):
    item = {"class": type(frame).__name__}
    for name in ("data", "planes"):
        try:
            getattr(frame, name)()
            item[name] = "accepted"
        except RuntimeError as error:
            item[name] = f"{type(error).__name__}: {error}"
    recorder.record(__name__, item)
    return True
