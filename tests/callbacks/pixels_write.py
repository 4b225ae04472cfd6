# Pixel access through VideoFrame.data() and planes(), write side.
import recorder

import gvarust

# Written by `paint`, read back by `check` in a second element.
MARKS = [((1, 0), 7), ((1, -1), 9), ((-1, -1), 200)]


def paint(frame):
    item = {}
    with frame.data() as a:
        item["writeable"] = bool(a.flags.writeable)
        for (row, col), value in MARKS:
            a[row, col] = value
    item["after"] = {"shape": list(a.shape), "writeable": bool(a.flags.writeable)}
    recorder.record(__name__, item)
    return True


def paint_planes(frame):
    with frame.planes() as planes:
        for plane in planes:
            plane[0, 0] = 42
            plane[-1, -1] = 43
    recorder.record(__name__, {"after": [list(p.shape) for p in planes]})
    return True


def check(frame):
    with frame.data(1) as a:
        item = {"values": [list(map(int, a[row, col].ravel())) for (row, col), _ in MARKS]}
        item["hex"] = a.tobytes().hex()
    with frame.planes(1) as planes:
        item["planes"] = [[int(p[0, 0]), int(p[-1, -1])] for p in planes]
    recorder.record(__name__, item)
    return True


KEPT = []


def keeps(frame):
    """Writable views still referenced when the block ends raise BufferError."""
    item = {}
    try:
        with frame.data() as a:
            row = a[0]
        item["slice"] = "no error"
    except BufferError as error:
        item["slice"] = f"BufferError: {error}"
        # The memory stays valid for the slice that outlived the block.
        item["slice_still_readable"] = int(row[0, 0]) >= 0
    del row
    try:
        with frame.data() as b:
            KEPT.append(b)
        item["stored"] = "no error"
    except BufferError as error:
        item["stored"] = f"BufferError: {error}"
    KEPT.clear()
    try:
        with frame.planes() as planes:
            y = planes[0][1:]
        item["plane_slice"] = "no error"
    except BufferError as error:
        item["plane_slice"] = f"BufferError: {error}"
    del y
    # The plain use: the `with` target alone is fine, and is emptied afterwards.
    with frame.data() as c:
        c[0, 0] = 1
    item["plain_after"] = {"shape": list(c.shape), "writeable": bool(c.flags.writeable), "base": repr(c.base.base)}
    with frame.planes() as (y_plane, *rest):
        y_plane[0, 0] = 1
    item["unpacked_after"] = list(y_plane.shape)
    # An exception in the block is not masked by BufferError.
    try:
        with frame.data() as d:
            kept_row = d[0]
            raise KeyError("inside")
    except KeyError as error:
        item["exception"] = f"KeyError: {error}"
    del kept_row
    # Entering twice is refused.
    access = frame.data()
    with access as e:
        del e
    try:
        with access:
            pass
        item["reenter"] = "accepted"
    except RuntimeError as error:
        item["reenter"] = f"RuntimeError: {error}"
    item["repr"] = repr(access)
    recorder.record(__name__, item)
    return True
