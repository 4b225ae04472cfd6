# Imports a module that exists only in the activated virtual environment.
import sys

import venv_only_module


def process_frame(frame):
    print(f"venv module says {venv_only_module.GREETING}; prefix={sys.prefix}", flush=True)
    return True
