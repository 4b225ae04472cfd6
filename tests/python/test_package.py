"""The pip-installed package: the same classes as inside the element."""

import importlib.util

import gstgva
import gstgva.audio
import gstgva.audio.audio_event
import gstgva.audio.audio_event_meta
import gstgva.audio.audio_frame
import gstgva.region_of_interest
import gstgva.tensor
import gstgva.video_frame
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
    """gstgva re-exports everything gvarust exports, by the list both hosts read."""
    from gvarust import _native

    aliases = _native._GSTGVA_ALIASES
    assert set(aliases[""]) == set(_native.__all__) - {"util"}
    assert "_GSTGVA_ALIASES" not in _native.__all__
    assert set(aliases) == {
        "",
        "video_frame",
        "audio",
        "audio.audio_frame",
        "audio.audio_event",
        "audio.audio_event_meta",
        "region_of_interest",
        "tensor",
    }
    for sub, names in aliases.items():
        # The pip package's modules (once a pipeline ran, sys.modules may hold the
        # element's built-in gstgva, whose classes are the plugin's copies).
        module = gstgva
        for part in sub.split(".") if sub else []:
            module = getattr(module, part)
        for name in names:
            assert getattr(module, name) is getattr(gvarust, name), (sub, name)
    assert gstgva.util.GST_PAD_PROBE_INFO_BUFFER is gvarust.util.GST_PAD_PROBE_INFO_BUFFER
