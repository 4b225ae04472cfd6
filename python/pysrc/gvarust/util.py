"""Helpers for pad probes and gst-python elements that write metadata.

``with GST_PAD_PROBE_INFO_BUFFER(info) as buffer:`` makes a pad probe's buffer
writable for metadata inside the block; ``TRANSFORM_IP_BUFFER(buffer)`` does the
same for the buffer of a gst-python ``do_transform_ip``.
"""

from gvarust._native import util as _native_util

GST_PAD_PROBE_INFO_BUFFER = _native_util.GST_PAD_PROBE_INFO_BUFFER
TRANSFORM_IP_BUFFER = _native_util.TRANSFORM_IP_BUFFER
WritableBuffer = _native_util.WritableBuffer

__all__ = ["GST_PAD_PROBE_INFO_BUFFER", "TRANSFORM_IP_BUFFER", "WritableBuffer"]
