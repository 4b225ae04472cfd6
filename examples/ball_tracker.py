"""Demo callback: find the moving ball in `videotestsrc pattern=ball` frames.

Class mode: gvarust builds ``BallTracker(**kwarg)`` once at start and calls
``process_frame(frame)`` for every buffer. Each frame is analysed with numpy on a
zero-copy view of its pixels, and the result is printed as one JSON line.

    gst-launch-1.0 -q videotestsrc pattern=ball num-buffers=60 ! \
        video/x-raw,format=BGRx,width=320,height=240 ! \
        gvarust module=examples/ball_tracker.py class=BallTracker kwarg='{"threshold": 128}' ! fakesink
"""

import json
import logging

import numpy as np

log = logging.getLogger("gvarust.ball_tracker")


class BallTracker:
    def __init__(self, threshold=128, every=1):
        self.threshold = threshold
        self.every = every
        self.frames = 0
        self.found = 0

    def process_frame(self, frame):
        self.frames += 1
        if (self.frames - 1) % self.every:
            return True
        with frame.data() as pixels:  # (height, width, 4) uint8 for BGRx, no copy
            luma = pixels[:, :, :3].mean(axis=2)
            mask = luma >= self.threshold
            ys, xs = np.nonzero(mask)
            result = {
                "frame": self.frames - 1,
                "pts_ms": round(frame.pts / 1e6, 1) if frame.pts is not None else None,
                "mean_luma": round(float(luma.mean()), 2),
            }
            if xs.size:
                self.found += 1
                result["ball"] = {
                    "x": int(xs.min()),
                    "y": int(ys.min()),
                    "w": int(xs.max() - xs.min() + 1),
                    "h": int(ys.max() - ys.min() + 1),
                    "center": [round(float(xs.mean()), 1), round(float(ys.mean()), 1)],
                }
            else:
                result["ball"] = None
        print(json.dumps(result), flush=True)
        return True

    def on_eos(self):
        print(json.dumps({"summary": {"frames": self.frames, "ball_found": self.found}}), flush=True)
        log.info("ball found in %d of %d frames", self.found, self.frames)
