# Scenario 2 writer (upstream, not measured): 20 regions per frame with `detection`, `age` and
# `gender` structures, region ids set to 1..20. Values come from meta_common.values().
import meta_common


def process_frame(frame):
    n = frame.offset or 0
    for i, region_id in enumerate(meta_common.IDS):
        roi = meta_common.write_region(frame, meta_common.values(n, i))
        roi.meta().id = region_id
    return True
