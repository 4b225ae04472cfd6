# AudioFrame.data() in both styles: a plain array (classic gstgva) and a context
# manager like VideoFrame.data(); writable inside callbacks either way.
import numpy

import recorder


def styles(frame):
    item = {}
    samples = frame.data()  # classic: an array, used directly
    item["classic_is_ndarray"] = isinstance(samples, numpy.ndarray)
    item["classic_mean_type"] = type(samples.mean()).__name__
    item["classic_product_type"] = type(samples * 2).__name__
    item["classic_writeable"] = bool(samples.flags.writeable)
    frame.data()[0, 0] = 5
    del samples
    with frame.data() as block:
        item["with_same_shape"] = block.shape == frame.data(1).shape
        item["with_writeable"] = bool(block.flags.writeable)
        block[0, 1] = 3
    item["after_block_writeable"] = bool(block.flags.writeable)
    try:
        block[0, 1] = 4
        item["after_block_write"] = "accepted"
    except ValueError:
        item["after_block_write"] = "ValueError"
    recorder.record(__name__, item)
    return True


def check(frame):
    with frame.data(1) as samples:
        recorder.record(__name__ + ".check", {"first": [int(v) for v in samples[0]]})
    return True
