# Its directory goes first on sys.path (other elements may have put theirs in
# front since): `numbers` is the file next to it.

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
            "before_stdlib": sys.path.index(os.path.dirname(os.path.abspath(__file__)))
            < sys.path.index(os.path.dirname(os.__file__)),
        },
    )
    return True
