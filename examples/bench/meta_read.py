# Scenario 2 reader, gvarust function mode: rect(), label(), confidence() of every region and
# label()/confidence() of each of its classification tensors (meta_common.read_frame).
from meta_common import read_frame


def process_frame(frame):
    read_frame(frame)
    return True
