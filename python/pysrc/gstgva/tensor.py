"""Compatibility name for gstgva.tensor: gvarust's classes (see ``_GSTGVA_ALIASES``)."""

from gvarust import _native

globals().update({name: getattr(_native, name) for name in _native._GSTGVA_ALIASES["tensor"]})
del _native
