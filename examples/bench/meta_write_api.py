# Writer scenario, object API: 20 regions per frame, each add_region() + add_tensor("age") and
# add_tensor("gender") with a label and a confidence (meta_common.write_region). The values are
# computed once at import (meta_common.TABLE), so the callback's time is the API's, not the
# arithmetic's.
from meta_common import TABLE, write_region


def process_frame(frame):
    for row in TABLE[(frame.offset or 0) % len(TABLE)]:
        write_region(frame, row)
    return True
