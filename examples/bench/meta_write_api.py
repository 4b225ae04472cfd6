# Writer scenario, object API: 20 regions per frame, each add_region() + add_tensor("age") and
# add_tensor("gender") with a label and a confidence. The values are computed once at import
# (meta_common.TABLE), so the callback's time is the API's, not the arithmetic's.
from meta_common import TABLE


def process_frame(frame):
    for x, y, w, h, label, conf, age, age_conf, gender, gender_conf in TABLE[(frame.offset or 0) % len(TABLE)]:
        roi = frame.add_region(x, y, w, h, label, conf)
        tensor = roi.add_tensor("age")
        tensor["label"] = age
        tensor["confidence"] = age_conf
        tensor = roi.add_tensor("gender")
        tensor["label"] = gender
        tensor["confidence"] = gender_conf
    return True
