"""Face detection with OpenCV's Haar cascade, as a gvarust class-mode callback.

gvarust builds ``FaceDetector(**kwarg)`` once at start and calls
``process_frame(frame)`` for every buffer. Each face found becomes a region
(``GstVideoRegionOfInterestMeta``) labelled ``face``, which later elements read
(``examples/faces/draw_boxes.py`` draws them)::

    gvarust module=examples/faces/detect_faces.py class=FaceDetector \
        kwarg='{"scale_factor": 1.1, "min_neighbors": 5, "min_size": 40}'

Needs ``cv2`` with its bundled cascades (``opencv-python-headless==4.11.0.86``
from PyPI in a virtual environment over Debian's Python, with ``VIRTUAL_ENV``
exported so that gvarust's embedded Python sees it; ``examples/faces/run.sh``
sets that up).
"""

import math

import cv2
import numpy as np

from gstgva import VideoFrame

# Pixel formats this callback reads, and how to turn them into grey levels.
_TO_GRAY = {
    "BGR": cv2.COLOR_BGR2GRAY,
    "RGB": cv2.COLOR_RGB2GRAY,
    "BGRx": cv2.COLOR_BGRA2GRAY,
    "BGRA": cv2.COLOR_BGRA2GRAY,
    "RGBx": cv2.COLOR_RGBA2GRAY,
    "RGBA": cv2.COLOR_RGBA2GRAY,
}


class FaceDetector:
    """Adds a ``face`` region for every frontal face the cascade finds.

    scale_factor, min_neighbors, min_size: passed to
        ``cv2.CascadeClassifier.detectMultiScale`` (``min_size`` in pixels, the
        smallest face side considered).
    cascade: file name in ``cv2.data.haarcascades``, or a path to a cascade XML.
    """

    def __init__(self, scale_factor=1.1, min_neighbors=5, min_size=40,
                 cascade="haarcascade_frontalface_default.xml"):
        path = cascade if "/" in cascade else cv2.data.haarcascades + cascade
        self.classifier = cv2.CascadeClassifier(path)
        if self.classifier.empty():
            raise RuntimeError(f"could not load the Haar cascade {path}")
        self.scale_factor = float(scale_factor)
        self.min_neighbors = int(min_neighbors)
        self.min_size = (int(min_size), int(min_size))

    def process_frame(self, frame: VideoFrame) -> bool:
        if frame.format == "GRAY8":
            with frame.data(1) as pixels:  # read mapping, zero-copy (H, W, 1)
                gray = np.ascontiguousarray(pixels[:, :, 0])
        elif frame.format in _TO_GRAY:
            with frame.data(1) as pixels:
                # cv2 wants a contiguous array; padded rows make the view strided.
                gray = cv2.cvtColor(np.ascontiguousarray(pixels), _TO_GRAY[frame.format])
        else:
            raise ValueError(f"FaceDetector reads {sorted(_TO_GRAY) + ['GRAY8']}, not {frame.format}; "
                             "put videoconvert ! video/x-raw,format=BGRx before it")

        boxes, _, weights = self.classifier.detectMultiScale3(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=self.min_size,
            outputRejectLevels=True,
        )
        for (x, y, w, h), weight in zip(boxes, weights):
            # The cascade gives a score (the last stage's weight), not a
            # probability: squash it into (0, 1) so that it reads like one.
            confidence = 1.0 / (1.0 + math.exp(-float(weight)))
            frame.add_region(int(x), int(y), int(w), int(h), label="face", confidence=confidence)
        return True
