from gvarust import AudioEvent as AudioEvent
