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


def test_gstgva_aliases_are_one_list():
    """gstgva re-exports every class of gvarust, by the list both hosts read."""
    from gvarust import _native

    aliases = _native._GSTGVA_ALIASES
    public = {n for n in dir(_native) if not n.startswith("_")} - {"util"}
    assert set(aliases[""]) == public
    assert set(aliases) == {"", "video_frame", "audio", "region_of_interest", "tensor"}
    for sub, names in aliases.items():
        module = importlib.import_module("gstgva" + (f".{sub}" if sub else ""))
        for name in names:
            assert getattr(module, name) is getattr(gvarust, name), (sub, name)
    assert gstgva.util.GST_PAD_PROBE_INFO_BUFFER is gvarust.util.GST_PAD_PROBE_INFO_BUFFER
