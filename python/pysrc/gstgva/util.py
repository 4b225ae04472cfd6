"""Compatibility name for ``gstgva.util``: see ``gvarust.util``."""

from gvarust.util import *  # noqa: F401,F403
from gvarust.util import GST_PAD_PROBE_INFO_BUFFER, TRANSFORM_IP_BUFFER  # noqa: F401
