# Writes the GVA metas that tests/python/test_c_exports.py reads back through C only:
# a tensor meta with raw data and a JSON message on video frames, an audio event
# (with a tensor of its own) and a JSON message on audio frames.
from gstgva import Tensor

count = [0]


def video(frame):
    n = count[0]
    count[0] += 1
    tensor = frame.add_tensor()
    tensor.set_name("embedding")
    tensor["layer_name"] = "fc"
    tensor["model_name"] = "c-abi"
    tensor["confidence"] = 0.625
    tensor["label_id"] = 7
    tensor.set_data(bytes([n, 1, 2, 127, 128, 255]), Tensor.PRECISION.U8, [2, 3])
    frame.add_message('{"frame": %d}' % n)
    return True


def audio(frame):
    n = count[0]
    count[0] += 1
    event = frame.add_event(frame.pts, frame.pts + frame.duration, "Speech", 0.75, label_id=3)
    event.add_tensor("text")["label"] = "hi %d" % n
    event.meta().id = 40 + n
    frame.add_message('{"audio": %d}' % n)
    return True
