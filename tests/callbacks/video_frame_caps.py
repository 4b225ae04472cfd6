# DL Streamer's documented VideoFrame(buffer, caps), caps as the second
# positional argument, inside a gvarust callback.
import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import recorder  # noqa: E402
from gstgva import VideoFrame  # noqa: E402


def process_frame(frame):
    frame.add_region(1, 2, 3, 4, label="car")
    caps = Gst.Caps.from_string("video/x-raw,format=BGRx,width=320,height=240,framerate=30/1")
    other = VideoFrame(frame.buffer(), caps)
    recorder.record(__name__, {
        "size": [other.width, other.height, other.format],
        "labels": [roi.label() for roi in other.regions()],
    })
    del other
    return True
