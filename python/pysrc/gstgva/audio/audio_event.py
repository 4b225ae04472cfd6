"""Compatibility name for classic gstgva's ``gstgva.audio.audio_event`` (see ``_GSTGVA_ALIASES``)."""

from gvarust import _native

globals().update({name: getattr(_native, name) for name in _native._GSTGVA_ALIASES["audio.audio_event"]})
del _native
