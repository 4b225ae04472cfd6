"""Compatibility name for DL Streamer's classic ``gstgva`` package.

``from gstgva import VideoFrame`` gives gvarust's classes, so existing pad-probe
code runs unchanged.
"""

from gvarust._native import *  # noqa: F401,F403
