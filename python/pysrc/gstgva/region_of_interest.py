"""Compatibility name for gstgva.region_of_interest: gvarust's classes."""

from gvarust import RegionOfInterest, Rect  # noqa: F401
