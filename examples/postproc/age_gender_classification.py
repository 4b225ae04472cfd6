"""Adds age and gender classification results to every region.

In DL Streamer, ``gvaclassify`` would attach raw model outputs to each region
and a callback like this one would turn them into labels. Without an inference
element, this stage makes deterministic fake scores from each region's position
and stores them the way a classifier's post-processing does: per region, a
tensor ``age`` (layer ``age_conv3``: the age / 100) and a tensor ``gender``
(layer ``prob``: ``[p_female, p_male]``), each with its raw data (``set_data``),
``label``, ``label_id``, ``confidence`` and ``type="classification_result"``.
Written only against the ``gstgva`` API.

    gvarust module=examples/postproc/age_gender_classification.py
"""

import numpy as np

from gstgva import RegionOfInterest, VideoFrame

GENDERS = ["F", "M"]


def fake_scores(roi: RegionOfInterest, frame: VideoFrame):
    """Deterministic stand-ins for the age and gender networks' outputs."""
    x, y, w, h = roi.rect()
    center_x = (x + w / 2) / frame.video_info().width  # 0..1
    age = np.array([0.18 + 0.5 * center_x], dtype=np.float32)  # age_conv3: age / 100
    p_male = 0.2 if center_x < 0.5 else 0.85
    gender = np.array([1.0 - p_male, p_male], dtype=np.float32)  # prob: [female, male]
    return age, gender


def add_classification(roi, name, layer_name, data, label, label_id, confidence):
    tensor = roi.add_tensor(name)
    tensor.set_data(data)
    tensor["layer_name"] = layer_name
    tensor["model_name"] = "fake-age-gender"
    tensor["element_id"] = "age_gender_classification"
    tensor["type"] = "classification_result"
    tensor.set_label(label)
    tensor["label_id"] = label_id
    tensor["confidence"] = confidence
    return tensor


def process_frame(frame: VideoFrame) -> bool:
    for roi in frame.regions():
        age, gender = fake_scores(roi, frame)
        years = int(age[0] * 100)
        add_classification(roi, "age", "age_conv3", age, str(years), years, 1.0)
        index = int(np.argmax(gender))
        add_classification(roi, "gender", "prob", gender, GENDERS[index], index, float(gender[index]))
    return True
