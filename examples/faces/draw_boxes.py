"""Draws every region of the frame into its pixels: a box and a label.

A function-mode gvarust callback for BGR, BGRx or BGRA frames (RGB formats work
too, with the colour channels swapped). It draws with numpy slicing on the
zero-copy view of the pixels, so the boxes land in the buffer that is pushed
on; with ``cv2`` importable, labels are written with ``cv2.putText`` (when the
view is C-contiguous: cv2 cannot draw into a strided array).

    gvarust module=examples/faces/draw_boxes.py
"""

from gstgva import VideoFrame

try:
    import cv2
except ImportError:  # boxes only, no text
    cv2 = None

COLOR = (0, 255, 0)  # BGR: green
THICKNESS = 3


def _box(pixels, x, y, w, h, color, thickness):
    """Draws a rectangle outline with numpy slicing (works on any strided view)."""
    height, width = pixels.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, width), min(y + h, height)
    if x1 <= x0 or y1 <= y0:
        return
    t = thickness
    channels = len(color)
    pixels[y0:min(y0 + t, y1), x0:x1, :channels] = color  # top
    pixels[max(y1 - t, y0):y1, x0:x1, :channels] = color  # bottom
    pixels[y0:y1, x0:min(x0 + t, x1), :channels] = color  # left
    pixels[y0:y1, max(x1 - t, x0):x1, :channels] = color  # right


def process_frame(frame: VideoFrame) -> bool:
    regions = list(frame.regions())
    if not regions:
        return True
    with frame.data() as pixels:  # (H, W, 3 or 4) uint8, writable, no copy
        for roi in regions:
            x, y, w, h = roi.rect()
            _box(pixels, x, y, w, h, COLOR, THICKNESS)
            confidence = roi.confidence()
            text = roi.label() + (f" {confidence:.2f}" if confidence is not None else "")
            if cv2 is not None and pixels.flags.c_contiguous:
                color = COLOR + (255,) * (pixels.shape[2] - 3)
                cv2.putText(pixels, text, (x, max(y - 8, 12)), cv2.FONT_HERSHEY_SIMPLEX,
                            0.6, color, 2, cv2.LINE_AA)
    return True
