"""Logs the age and gender labels of every region, per frame, to a file.

A class-mode callback shaped like the ``AgeLogger`` of DL Streamer's
``gvapython`` sample: the constructor takes the log file path (from
``kwarg``), ``log_age(frame)`` writes the labels, and ``__del__`` closes the
file (gvarust releases the instance when the pipeline stops, so the file is
complete when ``gst-launch-1.0`` returns)::

    gvarust module=examples/postproc/age_logger.py class=AgeLogger function=log_age \
        kwarg='{"log_file_path": "/tmp/age_log.txt"}'

Each frame gives one line: the frame number, then ``label#index age=... gender=...(confidence)``
for every region, e.g.
``frame 0: face#0 age=28 gender=F(0.80) face#1 age=52 gender=M(0.85)``.
Written only against the ``gstgva`` API.
"""

from gstgva import VideoFrame


class AgeLogger:
    def __init__(self, log_file_path):
        self.log_file = open(log_file_path, "a")
        self.frames = 0

    def log_age(self, frame: VideoFrame) -> bool:
        entries = []
        for index, roi in enumerate(frame.regions()):
            labels = {}
            for tensor in roi.tensors():
                if tensor.is_detection():
                    continue
                if tensor.layer_name() == "age_conv3":
                    labels["age"] = tensor.label()
                elif tensor.layer_name() == "prob":
                    labels["gender"] = f"{tensor.label()}({tensor.confidence():.2f})"
            entry = f"{roi.label()}#{index}"
            entries.append(" ".join([entry] + [f"{key}={value}" for key, value in sorted(labels.items())]))
        self.log_file.write(f"frame {self.frames}: {' '.join(entries) if entries else '-'}\n")
        self.frames += 1
        return True

    # gvarust calls process_frame when the element has no function= property.
    process_frame = log_age

    def __del__(self):
        log_file = getattr(self, "log_file", None)  # absent when open() failed
        if log_file is not None:
            log_file.close()
