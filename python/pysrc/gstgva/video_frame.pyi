from gvarust import VideoFrame as VideoFrame
