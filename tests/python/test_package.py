"""The pip-installed package: the same classes as inside the element."""

import importlib.util

import gstgva
import gvarust


def test_installed_package_is_the_native_extension():
    spec = importlib.util.find_spec("gvarust._native")
    assert spec is not None and spec.origin.endswith(".so")
    assert gvarust.__version__
    assert gstgva.VideoFrame is gvarust.VideoFrame
    assert issubclass(gvarust.VideoFrame, gvarust.Frame)
    assert issubclass(gvarust.InvalidatedError, RuntimeError)
    assert issubclass(gvarust.NotWritableError, RuntimeError)
