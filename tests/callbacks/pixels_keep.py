# Read-only pixel arrays kept past the callback stay valid; a kept frame does not.
import gvarust
import recorder

KEPT = []  # (array, a slice of it, snapshot copies)
kept_frame = None


def process_frame(frame):
    global kept_frame
    if kept_frame is not None:
        item = {}
        for name in ("data", "planes"):
            try:
                getattr(kept_frame, name)()
                item[name] = "accepted"
            except gvarust.InvalidatedError as error:
                item[name] = f"InvalidatedError: {error}"
        recorder.record(__name__, item)
    kept_frame = frame
    with frame.data(1) as a:
        pass
    row = a[2]
    KEPT.append((a, row, a.copy(), row.copy()))
    return True


def on_eos():
    item = {"kept": len(KEPT), "equal": [], "distinct": None}
    for a, row, a_copy, row_copy in KEPT:
        item["equal"].append(bool((a == a_copy).all() and (row == row_copy).all()))
    # snow differs between frames, so equal snapshots prove no buffer reuse overwrote them.
    item["distinct"] = len({k[2].tobytes() for k in KEPT})
    try:
        KEPT[0][0][0, 0, 0] = 1
        item["write"] = "allowed"
    except ValueError as error:
        item["write"] = f"ValueError: {error}"
    item["base"] = repr(KEPT[0][0].base.base)
    KEPT.clear()
    recorder.record(__name__, item)
