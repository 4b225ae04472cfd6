# Keeps the frame past the callback; the next call checks it was invalidated.
import gvarust
import recorder

kept = None


def process_frame(frame):
    global kept
    if kept is not None:
        try:
            kept.pts
            recorder.record(__name__, "still valid")
        except gvarust.InvalidatedError as error:
            recorder.record(__name__, f"invalidated: {error}")
    kept = frame
    return True
