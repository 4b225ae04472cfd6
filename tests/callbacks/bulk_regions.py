# The bulk API inside a gvarust callback (the plugin's own classes): rows agree with the
# object API; results and failures go to the test through a module the test registered.
import math
import sys
import traceback


def process_frame(frame):
    shared = sys.modules["gvarust_pytest_bulk"]
    try:
        frame.add_regions([[0, 1, 5, 5], [10, 1, 5, 5], [20, 1, 5, 5]], labels="box", confidences=[0.1, 0.2, 0.3])
        array = frame.regions_array()
        for row, roi in zip(array, frame.regions()):
            assert tuple(int(row[k]) for k in "xywh") == tuple(roi.rect())
            assert math.isclose(row["confidence"], roi.confidence(), rel_tol=1e-6)
            assert row["id"] == roi.region_id()
        assert frame.regions_labels() == ["box"] * 3
        shared.rows.append(array)
        shared.kept.append(frame)
    except Exception:
        shared.failures.append(traceback.format_exc())
    return True
