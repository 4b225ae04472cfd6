# What people type first: indexing, iterating or converting the context manager
# itself fails with a TypeError that shows the `with` form.
import numpy

import recorder


def attempt(call):
    try:
        call()
        return "no error"
    except TypeError as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 - recorded for the test to see
        return f"{type(error).__name__}: {error}"


def process_frame(frame):
    recorder.record(__name__, {
        "index": attempt(lambda: frame.data()[0, 0]),
        "iterate": attempt(lambda: [p for p in frame.planes()]),
        "asarray": attempt(lambda: numpy.asarray(frame.data())),
        "array": attempt(lambda: numpy.array(frame.planes())),
    })
    return True
