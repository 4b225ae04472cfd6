"""Adds one region with a classification and a tracking id (GstAnalytics interop tests)."""

from gstgva import Tensor


def process_frame(frame):
    roi = frame.add_region(20, 10, 30, 30, label="car", confidence=0.8)
    roi.add_tensor(Tensor("color", {"label": "red", "confidence": 0.7}))
    roi.set_object_id(5)
    return True
