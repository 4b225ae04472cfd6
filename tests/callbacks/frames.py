# Function mode: records the class, geometry and timestamps of every frame.
import recorder


def process_frame(frame):
    kind = type(frame).__name__
    item = {"class": kind, "pts": frame.pts, "offset": frame.offset, "module": type(frame).__module__}
    if kind == "VideoFrame":
        item.update(width=frame.width, height=frame.height, format=frame.format)
    if kind == "AudioFrame":
        item.update(rate=frame.rate, channels=frame.channels)
    recorder.record(__name__, item)
    return True
