# Writer scenario, object API without classifications: 20 plain regions per frame, one
# add_region() each (the same boxes, labels and confidences as meta_write_bulk.py).
from meta_common import TABLE


def process_frame(frame):
    for x, y, w, h, label, conf, *_ in TABLE[(frame.offset or 0) % len(TABLE)]:
        frame.add_region(x, y, w, h, label, conf)
    return True
