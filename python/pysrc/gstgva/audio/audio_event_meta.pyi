from gvarust import AudioEventMeta as AudioEventMeta
