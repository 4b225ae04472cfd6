# Scenario 2 writer (upstream, not measured): 20 regions per frame with `detection`, `age` and
# `gender` structures, region ids set to 1..20. Values come from meta_common.values().
import meta_common


def process_frame(frame):
    n = frame.offset or 0
    for i, region_id in enumerate(meta_common.IDS):
        x, y, w, h, label, conf, age, age_conf, gender, gender_conf = meta_common.values(n, i)
        roi = frame.add_region(x, y, w, h, label, conf)
        roi.meta().id = region_id
        tensor = roi.add_tensor("age")
        tensor["label"] = age
        tensor["confidence"] = age_conf
        tensor = roi.add_tensor("gender")
        tensor["label"] = gender
        tensor["confidence"] = gender_conf
    return True
