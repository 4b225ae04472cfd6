# frame.buffer() inside a callback: a PyGObject Gst.Buffer of the same buffer;
# while it is referenced the buffer is shared, so metadata writes are refused.
import gvarust
import recorder


def process_frame(frame):
    buffer = frame.buffer()
    seen = [type(buffer).__name__, buffer.pts == frame.pts]
    try:
        frame.add_message("while shared")
        seen.append("written while shared")
    except gvarust.NotWritableError:
        seen.append("refused while shared")
    del buffer
    frame.add_message("after release")
    seen.append([str(m) for m in frame.messages()])
    recorder.record(__name__, seen)
    return True
