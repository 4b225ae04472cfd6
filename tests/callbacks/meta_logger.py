# Stage 4: read everything back with only the gstgva names, and log it.
from gstgva import RegionOfInterest, Tensor, VideoFrame

import recorder


class Logger:
    def __init__(self):
        self.frames = 0

    def log_frame(self, frame: VideoFrame) -> bool:
        self.frames += 1
        regions = []
        for roi in frame.regions():
            assert isinstance(roi, RegionOfInterest)
            entry = {
                "label": roi.label(),
                "rect": list(roi.rect()),
                "confidence": round(roi.confidence(), 4),
                "label_id": roi.label_id(),
                "object_id": roi.object_id(),
                "tensors": [],
            }
            for tensor in roi.tensors():
                assert isinstance(tensor, Tensor)
                if tensor.is_detection():
                    entry["detection_layer"] = tensor.layer_name()
                    continue
                entry["tensors"].append({
                    "name": tensor.name(),
                    "label": tensor.label(),
                    "label_id": tensor.label_id(),
                    "confidence": round(tensor.confidence(), 4),
                    "type": tensor["type"],
                    "model_name": tensor.model_name(),
                })
            regions.append(entry)
        frame_tensors = [(t.name(), t.layer_name(), t.dims(), t.precision_as_string())
                         for t in frame.tensors()]
        recorder.record(__name__, {"frame": self.frames, "regions": regions,
                                   "frame_tensors": frame_tensors})
        return True
