# Imports `helper` from its own directory; the other directory has one too.
import os
import sys

# recorder.py lives one directory up, in tests/callbacks.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import recorder
from helper import NAME


def process_frame(frame):
    import helper  # an import at call time resolves the same way

    recorder.record("siblings", [NAME, helper.NAME])
    return True
