from gvarust import AudioFrame as AudioFrame
