"""Callback for the Rust example `cargo run --example read_metadata`.

Annotates every frame the way an inference pipeline would: one detected
region with a tracking id and a classification result, one frame-level raw
tensor, and one JSON message. The Rust side reads them back with the
gvarust-meta crate.
"""

import json

import numpy as np


def process_frame(frame):
    n = frame.offset or 0  # videotestsrc numbers its frames
    roi = frame.add_region(40 + 10 * n, 30, 64, 48, label="ball", confidence=0.9,
                           extra_params={"source": "example"})
    roi.set_object_id(100 + n)
    color = roi.add_tensor("color")
    color["label"] = "red"
    color["label_id"] = 2
    color["confidence"] = 0.75
    color["type"] = "classification_result"

    embedding = frame.add_tensor()
    embedding.set_name("embedding")
    embedding["layer_name"] = "features"
    embedding.set_data(np.arange(4, dtype=np.float32) + n)

    frame.add_message(json.dumps({"frame": n, "objects": 1}))
    return True  # True pushes the buffer on; None or False would drop it
