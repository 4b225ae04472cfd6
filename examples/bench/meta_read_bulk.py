# Scenario 2 reader, bulk API: one frame.regions_array() call, nothing else. Its checksum covers
# what the array holds (sum of region confidences and of rect coordinates); labels and tensors
# are not read (meta_common.read_regions_array).
from meta_common import read_regions_array


def process_frame(frame):
    read_regions_array(frame)
    return True
