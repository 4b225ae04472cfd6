"""Turns raw SSD output tensors into regions (DL Streamer post-processing style).

Written only against the ``gstgva`` API, like DL Streamer's sample of the same
name: for every frame tensor with SSD's ``[1, 1, N, 7]`` layout, each row
``[image_id, label_id, confidence, x_min, y_min, x_max, y_max]`` (box normalized
to 0..1) above the threshold becomes a region; ``image_id == -1`` ends the list.

    gvarust module=examples/postproc/ssd_object_detection.py
"""

from gstgva import Tensor, VideoFrame

DETECT_THRESHOLD = 0.5
LABELS = {1: "face"}  # label_id -> region label; others become str(label_id)


def process_frame(frame: VideoFrame, threshold: float = DETECT_THRESHOLD) -> bool:
    width = frame.video_info().width
    height = frame.video_info().height

    for tensor in frame.tensors():
        dims = tensor.dims()
        if tensor.precision() != Tensor.PRECISION.FP32 or len(dims) < 2 or dims[-1] != 7:
            continue  # not an SSD detection blob
        data = tensor.data()
        object_size = dims[-1]
        for i in range(dims[-2]):
            image_id, label_id, confidence, x_min, y_min, x_max, y_max = data[i * object_size:(i + 1) * object_size]
            if image_id != 0:
                break
            if confidence < threshold:
                continue
            x_min = int(x_min * width + 0.5)
            y_min = int(y_min * height + 0.5)
            x_max = int(x_max * width + 0.5)
            y_max = int(y_max * height + 0.5)
            label_id = int(label_id)
            roi = frame.add_region(x_min, y_min, x_max - x_min, y_max - y_min,
                                   LABELS.get(label_id, str(label_id)), float(confidence))
            detection = roi.detection()
            detection["label_id"] = label_id
            detection["layer_name"] = tensor.layer_name() or ""
            detection["model_name"] = tensor.model_name() or ""
    return True
