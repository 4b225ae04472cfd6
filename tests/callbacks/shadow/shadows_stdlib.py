# Its directory goes first on sys.path: `numbers` is the file next to it.

import numbers
import os
import sys

# recorder.py lives one directory up, in tests/callbacks.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import recorder


def process_frame(frame):
    recorder.record(
        "shadow",
        {
            "shadowed": getattr(numbers, "SHADOWED", False),
            "path_head": sys.path[0],
        },
    )
    return True
