# Adds one region with a classification tensor, a frame tensor and a message
# to every frame, for pad-probe readers downstream.
def process_frame(frame):
    roi = frame.add_region(10, 5, 30, 40, label="face", confidence=0.75)
    age = roi.add_tensor("age")
    age["label"] = "adult"
    age["confidence"] = 0.5
    age["type"] = "classification_result"
    tensor = frame.add_tensor()
    tensor["layer_name"] = "ssd"
    frame.add_message('{"frame": "annotated"}')
    return True
