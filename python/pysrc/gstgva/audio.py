"""Compatibility name for gstgva.audio: gvarust's classes."""

from gvarust import AudioEvent, AudioEventMeta, AudioFrame, Segment  # noqa: F401
