# Writer scenario, bulk API with tensors: the object API writer's 20 regions per frame, each with
# its `age` and `gender` tensors (label and confidence), added by one frame.add_regions() call
# from arrays and lists prepared at import (meta_common.BULK_TABLE, meta_common.BULK_TENSORS).
from meta_common import BULK_TABLE, BULK_TENSORS


def process_frame(frame):
    n = (frame.offset or 0) % len(BULK_TABLE)
    boxes, labels, confidences = BULK_TABLE[n]
    frame.add_regions(boxes, labels=labels, confidences=confidences, tensors=BULK_TENSORS[n])
    return True
