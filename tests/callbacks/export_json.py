# Builds metadata like a detection + classification chain, then records the
# frame's gvametaconvert-style dict (with and without tensor data).
import json

import recorder


def process_frame(frame):
    roi = frame.add_region(16, 12, 32, 24, label="face", confidence=0.8, extra_params={"source": "cam1"})
    roi.detection()["label_id"] = 1
    roi.set_object_id(7)
    age = roi.add_tensor("age")
    age["label"] = "adult"
    age["confidence"] = 0.6
    age["label_id"] = 2
    age["model_name"] = "age-gender"
    raw = frame.add_tensor()
    raw.set_name("ssd")
    raw["layer_name"] = "detection_out"
    raw.set_data(bytes([1, 2, 3, 4]))
    scene = frame.add_tensor()
    scene.set_name("scene")
    scene["label"] = "indoor"
    scene["type"] = "classification_result"
    recorder.record(__name__, {"plain": frame.to_dict(), "with_data": json.loads(frame.to_json(include_data=True))})
    return True
