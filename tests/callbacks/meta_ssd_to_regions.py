# Stage 2: turn the raw SSD tensor into regions (as DL Streamer's
# ssd_object_detection.py sample does).

import warncatch
from gstgva import Tensor, VideoFrame

LABELS = {1: "face", 2: "car"}
THRESHOLD = 0.5


def process_frame(frame: VideoFrame, threshold: float = THRESHOLD) -> bool:
    width = frame.video_info().width
    height = frame.video_info().height
    for tensor in frame.tensors():
        if tensor.layer_name() != "detection_out" or tensor.precision() != Tensor.PRECISION.FP32:
            continue
        dims = tensor.dims()
        data = tensor.data()
        object_size = dims[-1]
        for i in range(dims[-2]):
            image_id, label_id, confidence = data[i * object_size:i * object_size + 3]
            if image_id != 0:
                break
            if confidence < threshold:
                continue
            x_min = int(data[i * object_size + 3] * width + 0.5)
            y_min = int(data[i * object_size + 4] * height + 0.5)
            x_max = int(data[i * object_size + 5] * width + 0.5)
            y_max = int(data[i * object_size + 6] * height + 0.5)
            with warncatch.caught():  # the clipping warnings are expected
                roi = frame.add_region(x_min, y_min, x_max - x_min, y_max - y_min,
                                       LABELS[int(label_id)], float(confidence))
            detection = roi.detection()
            detection["label_id"] = int(label_id)
            detection["layer_name"] = tensor.layer_name()
            detection["model_name"] = tensor.model_name()
    return True
