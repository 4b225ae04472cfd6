"""Compatibility name for gstgva.video_frame: gvarust's classes."""

from gvarust import VideoFrame  # noqa: F401
