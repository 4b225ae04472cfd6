# Trivial callbacks for the benchmark: the per-buffer cost of calling Python at all.
# Function mode: `gvarust module=trivial.py`; class mode: `gvarust module=trivial.py class=Trivial`.
# The gst-python and PyGObject pad-probe baselines call the same process_frame().


def process_frame(frame):
    return True


class Trivial:
    def process_frame(self, frame):
        return True
