"""Stands in for an SSD inference element: adds a raw SSD output tensor per frame.

There is no inference element in this example, so this first stage attaches
what ``gvainference`` with an SSD model would: a frame-level GVA tensor meta
holding the raw ``detection_out`` blob, float32 of shape ``[1, 1, N, 7]``.
Each of the N rows is ``[image_id, label_id, confidence, x_min, y_min, x_max,
y_max]`` with the box normalized to 0..1; a row with ``image_id == -1`` ends the
list, as in real SSD output.

The detections are deterministic: two objects (label 1) glide across the frame
with the frame number, and a third, weak one (confidence 0.2) sits still so
that the post-processing threshold has something to drop.

    gvarust module=examples/postproc/fake_ssd.py
"""

import numpy as np

from gstgva import Tensor, VideoFrame

MAX_DETECTIONS = 4  # N: rows in the blob, unused ones end the list

frames = 0


def detections(index):
    """The deterministic rows for frame `index` (before the -1 terminator)."""
    shift = (index % 20) * 0.01
    return [
        # image_id, label_id, confidence, x_min, y_min, x_max, y_max
        [0, 1, 0.91, 0.10 + shift, 0.20, 0.30 + shift, 0.60],
        [0, 1, 0.75, 0.55, 0.15 + shift, 0.80, 0.55 + shift],
        [0, 1, 0.20, 0.40, 0.70, 0.50, 0.90],
    ]


def process_frame(frame: VideoFrame) -> bool:
    global frames
    blob = np.zeros((1, 1, MAX_DETECTIONS, 7), dtype=np.float32)
    rows = detections(frames)
    blob[0, 0, : len(rows)] = rows
    blob[0, 0, len(rows):, 0] = -1  # end of list
    frames += 1

    tensor = frame.add_tensor()
    tensor.set_data(blob)  # data_buffer, precision FP32 and dims [1, 1, N, 7]
    tensor["layer_name"] = "detection_out"
    tensor["model_name"] = "fake-ssd"
    tensor["element_id"] = "fake_ssd"
    tensor["format"] = "ssd"
    tensor["layout"] = int(Tensor.LAYOUT.ANY)
    return True
