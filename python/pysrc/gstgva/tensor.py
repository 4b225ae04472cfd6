"""Compatibility name for gstgva.tensor: gvarust's classes."""

from gvarust import Tensor  # noqa: F401
