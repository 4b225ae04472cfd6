# Function-mode hooks: drops custom events named "drop-me", records the others.
import recorder


def process_event(event):
    recorder.record(__name__, (event.type, event.structure))
    if event.structure and event.structure.get("name") == "drop-me":
        return False
    if event.type == "caps":
        return False  # caps events cannot be dropped: this must be ignored
    return None


def process_frame(frame):
    return True
