"""Adds a region, a classification filled in after add_tensor("name"), a raw tensor and a
tracking id (metadata=analytics tests)."""


def process_frame(frame):
    roi = frame.add_region(20, 10, 30, 30, label="car", confidence=0.8)
    color = roi.add_tensor("color")
    color["label"] = "red"
    color["confidence"] = 0.7
    roi.add_tensor("raw")["layer_name"] = "fc1"
    roi.set_object_id(5)
    # Inside the callback the region reads as in "both".
    assert [r.label() for r in frame.regions()] == ["car"]
    return True
