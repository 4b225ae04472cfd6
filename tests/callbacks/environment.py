# Reports facts about the embedded interpreter.
import os
import sys

import gstgva
import gvarust
import recorder


def process_frame(frame):
    recorder.record(
        __name__,
        {
            "executable": sys.executable,
            "executable_exists": os.path.exists(sys.executable),
            "argv": list(sys.argv),
            "gstgva_is_ours": gstgva.VideoFrame is gvarust.VideoFrame,
            "module_registered": sys.modules.get(__name__) is not None,
            "version": sys.version_info[:2],
        },
    )
    return True
