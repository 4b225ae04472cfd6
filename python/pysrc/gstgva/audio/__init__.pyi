from gvarust import AudioEvent as AudioEvent
from gvarust import AudioEventMeta as AudioEventMeta
from gvarust import AudioFrame as AudioFrame
from gvarust import Segment as Segment
