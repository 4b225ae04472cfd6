# Stage 1 of the SSD-style chain: a raw detection output as a frame tensor,
# laid out like an SSD "detection_out" layer: [1, 1, N, 7] float32 rows of
# [image_id, label_id, confidence, x_min, y_min, x_max, y_max].
import numpy as np

from gstgva import Tensor, VideoFrame

ROWS = [
    [0, 1, 0.90, 0.10, 0.10, 0.30, 0.50],
    [0, 2, 0.20, 0.00, 0.00, 1.00, 1.00],  # below threshold
    [0, 2, 0.75, 0.50, 0.25, 0.75, 0.75],
    [0, 1, 0.60, 0.80, 0.80, 1.10, 1.20],  # partly outside: clipped
    [-1, 0, 0.00, 0.00, 0.00, 0.00, 0.00],  # end marker
    [0, 1, 0.99, 0.00, 0.00, 0.50, 0.50],  # after the end marker: ignored
]


def process_frame(frame: VideoFrame) -> bool:
    tensor = frame.add_tensor()
    tensor.set_name("detection_out")
    data = np.array(ROWS, dtype=np.float32).reshape(1, 1, len(ROWS), 7)
    tensor.set_data(data)
    tensor["layer_name"] = "detection_out"
    tensor["model_name"] = "ssd_test"
    tensor["element_id"] = "detect1"
    tensor["layout"] = int(Tensor.LAYOUT.NCHW)
    return True
