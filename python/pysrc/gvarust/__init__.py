"""gstgva-compatible access to DL Streamer video-analytics metadata.

The classes are implemented in Rust (``gvarust._native``). Inside the gvarust
GStreamer element the same classes are available without this package.
"""

from gvarust._native import *  # noqa: F401,F403
from gvarust._native import __version__  # noqa: F401
