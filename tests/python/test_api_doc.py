"""docs/python-api.md is generated from the docstrings: it must match the installed package."""

import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_python_api_reference_is_up_to_date():
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "python-api-doc.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
