"""Writes all of each frame's metadata as one JSON line, with gvarust.

Class mode: ``JsonlLogger(path)`` opens ``path`` (truncating it; ``append=True``
appends) and ``process_frame(frame)`` writes ``frame.to_json()`` -- regions
with their detection and classification tensors, frame tensors, resolution and
timestamp, in the layout of DL Streamer's ``gvametaconvert``. Put it after
the elements whose metadata you want to see::

    gst-launch-1.0 videotestsrc num-buffers=30 ! video/x-raw,format=BGRx ! \
        gvarust module=examples/postproc/fake_ssd.py ! \
        gvarust module=examples/postproc/ssd_object_detection.py ! \
        gvarust module=examples/jsonl_logger.py class=JsonlLogger kwarg='{"path": "/tmp/meta.jsonl"}' ! \
        fakesink

Each line is flushed as it is written, so ``tail -f`` follows the stream. The
file is closed when the element stops.
"""

from gstgva import VideoFrame


class JsonlLogger:
    """Writes ``frame.to_json()`` per frame to ``path``.

    append: append to an existing file instead of truncating it.
    include_data: include raw tensor data (``data`` lists) in the records.
    """

    def __init__(self, path, append=False, include_data=False):
        self.path = path
        self.include_data = bool(include_data)
        self.file = open(path, "a" if append else "w", encoding="utf-8")

    def process_frame(self, frame: VideoFrame) -> bool:
        self.file.write(frame.to_json(include_data=self.include_data) + "\n")
        self.file.flush()
        return True

    def on_stop(self):
        """gvarust hook: the pipeline stopped; close the file."""
        self.close()

    def close(self):
        file = getattr(self, "file", None)  # absent when open() failed
        if file is not None and not file.closed:
            file.close()

    def __del__(self):
        self.close()
