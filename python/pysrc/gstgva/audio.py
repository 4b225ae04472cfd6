"""Compatibility name for gstgva.audio: gvarust's classes."""

from gvarust import AudioFrame  # noqa: F401
