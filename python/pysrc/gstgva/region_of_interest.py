"""Compatibility name for gstgva.region_of_interest: gvarust's classes (see ``_GSTGVA_ALIASES``)."""

from gvarust import _native

globals().update({name: getattr(_native, name) for name in _native._GSTGVA_ALIASES["region_of_interest"]})
del _native
