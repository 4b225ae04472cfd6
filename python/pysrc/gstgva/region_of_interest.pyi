from gvarust import Rect as Rect
from gvarust import RegionOfInterest as RegionOfInterest
