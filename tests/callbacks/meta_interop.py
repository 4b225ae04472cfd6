# Writes metadata that the Rust test reads back with GStreamer's C API at the sink.
import numpy as np

from gstgva import VideoFrame


def process_frame(frame: VideoFrame) -> bool:
    roi = frame.add_region(40, 30, 80, 60, "dog", 0.875)
    roi.detection()["label_id"] = 7
    cls = roi.add_tensor("breed")
    cls.set_label("beagle")
    cls["label_id"] = 3
    cls["confidence"] = 0.625
    cls["type"] = "classification_result"
    cls["scores"] = [0.25, 0.5]
    cls["nested"] = {"k": "v"}
    roi.set_object_id(42)
    t = frame.add_tensor()
    t.set_name("embedding")
    t.set_data(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    t["layer_name"] = "fc"
    frame.add_message('{"hello":"world"}')
    return True
