"""Writes what a callback sees of each buffer's regions as JSON lines (GstAnalytics tests)."""

import json


class Reader:
    def __init__(self, out):
        self.out = out

    def process_frame(self, frame):
        seen = []
        for roi in frame.regions():
            seen.append(
                {
                    "label": roi.label(),
                    "rect": list(roi.rect()),
                    "confidence": round(roi.confidence() or 0.0, 3),
                    "id": roi.region_id(),
                    "object_id": roi.object_id(),
                    "parent_id": roi.parent_id(),
                    "rotation": roi.rotation(),
                    "tensors": [
                        [t.name(), t.label(), round(t.confidence() or 0.0, 3), t.type()]
                        for t in roi.tensors()
                        if not t.is_detection()
                    ],
                }
            )
        with open(self.out, "a") as f:
            f.write(json.dumps(seen) + "\n")
        return True
