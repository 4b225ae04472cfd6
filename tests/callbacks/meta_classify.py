# Stage 3: classification results on every region (as gvaclassify would add).
from gstgva import RegionOfInterest, VideoFrame


def process_frame(frame: VideoFrame) -> bool:
    for n, roi in enumerate(frame.regions()):
        age = roi.add_tensor("age")
        age["label"] = str(20 + n)
        age["label_id"] = 20 + n
        age["confidence"] = 0.5 + n / 10
        age["type"] = "classification_result"
        age["layer_name"] = "age_conv3"
        age["model_name"] = "age_gender"
        age["element_id"] = "classify1"
        gender = roi.add_tensor("gender")
        gender.set_label("female" if n % 2 else "male")
        gender["label_id"] = n % 2
        gender["confidence"] = 0.8
        gender["type"] = "classification_result"
        roi.set_object_id(100 + n)
    return True
