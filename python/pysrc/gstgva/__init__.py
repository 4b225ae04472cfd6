"""Compatibility name for DL Streamer's classic ``gstgva`` package.

``from gstgva import VideoFrame`` gives gvarust's classes, so existing pad-probe
code runs unchanged. The names come from ``gvarust._native._GSTGVA_ALIASES``,
the list the gvarust element builds its own ``gstgva`` from.
"""

from gvarust import _native

globals().update({name: getattr(_native, name) for name in _native._GSTGVA_ALIASES[""]})
util = _native.util
del _native
