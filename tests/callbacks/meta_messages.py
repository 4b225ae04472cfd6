# JSON messages on frames (video and non-video).
import json

import gvarust
import recorder


def process_frame(frame):
    item = {"class": type(frame).__name__}
    first = frame.add_message(json.dumps({"n": 1}))
    frame.add_message("second")
    frame.add_message("third")
    msgs = frame.messages()
    item["messages"] = list(msgs)
    item["types"] = [type(m).__name__ for m in msgs]
    item["is_str"] = all(isinstance(m, str) for m in msgs)
    item["message_class"] = type(msgs[0]) is gvarust.Message
    item["first_equal"] = first == msgs[0] and json.loads(first) == {"n": 1}
    frame.remove_message(msgs[1])
    item["after_remove"] = list(frame.messages())
    errors = []
    for bad in (msgs[1], "third", msgs[0].meta):
        try:
            frame.remove_message(bad)
            errors.append("accepted")
        except RuntimeError as error:
            errors.append(f"{type(error).__name__}: {error}")
    item["errors"] = errors
    try:
        frame.add_message("nul\0inside")
        item["nul"] = "accepted"
    except ValueError:
        item["nul"] = "ValueError"
    item["meta_text"] = msgs[2].meta.message()
    # Frame-level tensors also work on non-video frames.
    t = frame.add_tensor()
    t["k"] = 1
    item["tensors"] = [dict(t) for t in frame.tensors()]
    recorder.record(__name__, item)
    return True
