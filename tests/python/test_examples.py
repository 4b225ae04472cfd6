"""The runnable examples under examples/: each is run the way its README says, on the debug plugin."""

import importlib.util
import json
import os
import select
import signal
import subprocess
import sys

import gi
import numpy as np
import pytest

from conftest import REPO, Gst, run_pipeline

gi.require_version("GstVideo", "1.0")
from gi.repository import GstVideo  # noqa: E402

EXAMPLES = REPO / "examples"
PLUGIN_DIR = os.environ["GST_PLUGIN_PATH"].split(os.pathsep)[0]  # set by conftest
# The face in the astronaut photo (512x512), read off the image: forehead to chin, ear to ear.
FACE = (180, 70, 92, 95)  # x, y, w, h


def run_script(*args, timeout=900):
    """Runs an example script with the plugin under test; returns its stdout."""
    env = dict(os.environ, GVARUST_PLUGIN_DIR=PLUGIN_DIR)
    result = subprocess.run(["bash", *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def decode_png(path):
    """The pixels of a PNG as an (H, W, 3) RGB array, decoded by GStreamer."""
    pipeline = Gst.parse_launch(
        f'filesrc location="{path}" ! pngdec ! videoconvert ! video/x-raw,format=RGBx ! appsink name=sink'
    )
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    try:
        sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
        assert sample is not None, f"could not decode {path}"
        # Not caps.get_structure(0): GStreamer 1.26's Python overrides return a wrapper
        # meant for a `with` block, 1.22's the structure. VideoInfo reads the same on both.
        video = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
        width, height = video.width, video.height
        buffer = sample.get_buffer()
        ok, info = buffer.map(Gst.MapFlags.READ)
        assert ok
        try:
            pixels = np.frombuffer(info.data, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()
        finally:
            buffer.unmap(info)
    finally:
        pipeline.set_state(Gst.State.NULL)
    return pixels


def gst_quote(value):
    """`value` quoted for a gst_parse_launch() description (single quotes are not stripped there)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def overlap(a, b):
    """Area of the intersection of boxes a and b, (x, y, w, h) each."""
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def test_faces_example_finds_the_astronauts_face_and_draws_it(tmp_path):
    output = tmp_path / "faces.png"
    stdout = run_script(EXAMPLES / "faces" / "run.sh", "--output", output)
    assert f"output image: {output}" in stdout

    records = [json.loads(line) for line in (tmp_path / "faces.jsonl").read_text().splitlines()]
    assert len(records) == 1
    assert records[0]["resolution"] == {"width": 512, "height": 512}
    faces = records[0]["objects"]
    assert [face["roi_type"] for face in faces] == ["face"], faces
    face = faces[0]
    box = (face["x"], face["y"], face["w"], face["h"])
    # The detected box covers most of the known face area, and is not much larger than it.
    assert overlap(box, FACE) >= 0.7 * FACE[2] * FACE[3], box
    assert box[2] * box[3] <= 2.0 * FACE[2] * FACE[3], box
    assert 0.5 < face["detection"]["confidence"] <= 1.0
    assert f"face at x={box[0]} y={box[1]} w={box[2]} h={box[3]}" in stdout

    # The PNG is the photo with a green box drawn along the detected face's edges.
    pixels = decode_png(output)
    assert pixels.shape == (512, 512, 3)
    green = np.all(pixels == (0, 255, 0), axis=2)
    x, y, w, h = box
    assert green[y, x:x + w].all() and green[y + h - 1, x:x + w].all()  # top and bottom edges
    assert green[y:y + h, x].all() and green[y:y + h, x + w - 1].all()  # left and right edges
    assert not green[y + h // 2, x + w // 2]  # the face itself is untouched
    photo = decode_png(_astronaut())
    changed = np.any(pixels != photo, axis=2)
    assert 3 * 2 * (w + h) <= changed.sum() < 0.05 * changed.size  # the box (and label), nothing else


def _astronaut():
    out = subprocess.run(["dpkg", "-L", "python3-skimage"], capture_output=True, text=True, check=True).stdout
    return next(line for line in out.splitlines() if line.endswith("/astronaut.png"))


def test_postproc_example_logs_age_and_gender_per_frame(tmp_path):
    log = tmp_path / "age_log.txt"
    stdout = run_script(EXAMPLES / "postproc" / "run.sh", "--frames", 5, "--log", log)
    lines = log.read_text().splitlines()
    # Two detections pass the 0.5 threshold in every frame, the weak third one (0.2) never does.
    assert lines[0] == "frame 0: face#0 age=28 gender=F(0.80) face#1 age=51 gender=M(0.85)"
    assert [line.split(":")[0] for line in lines] == [f"frame {i}" for i in range(5)]
    for line in lines:
        assert line.count("face#") == 2 and "gender=F(0.80)" in line and "gender=M(0.85)" in line, line
    # The left face moves right with the frame number, and its fake age grows with it.
    assert lines[4].split()[3] == "age=30"
    assert stdout.rstrip().endswith(lines[-1])  # the script prints the log


def test_jsonl_logger_writes_all_metadata_per_frame(tmp_path):
    path = tmp_path / "meta.jsonl"
    postproc = EXAMPLES / "postproc"
    kwarg = json.dumps({"path": str(path)})
    error, _ = run_pipeline(
        "videotestsrc num-buffers=3 ! video/x-raw,format=BGRx,width=640,height=480,framerate=30/1 ! "
        f"gvarust module={postproc / 'fake_ssd.py'} ! "
        f"gvarust module={postproc / 'ssd_object_detection.py'} ! "
        f"gvarust module={postproc / 'age_gender_classification.py'} ! "
        f"gvarust module={EXAMPLES / 'jsonl_logger.py'} class=JsonlLogger kwarg={gst_quote(kwarg)} ! fakesink"
    )
    assert error is None, error
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["timestamp"] for r in records] == [0, 33333333, 66666666]
    first = records[0]
    assert first["resolution"] == {"width": 640, "height": 480}
    assert [(o["x"], o["y"], o["w"], o["h"]) for o in first["objects"]] == [(64, 96, 128, 192), (352, 72, 160, 192)]
    face = first["objects"][0]
    assert face["roi_type"] == "face"
    assert face["detection"]["confidence"] == pytest.approx(0.91, abs=1e-6)
    assert face["detection"]["label_id"] == 1
    assert face["age"] == {"label": "28", "model": {"name": "fake-age-gender"}, "confidence": 1.0, "label_id": 28}
    assert face["gender"]["label"] == "F" and face["gender"]["confidence"] == pytest.approx(0.8)
    # The raw SSD blob is a frame tensor.
    assert first["tensors"] == [
        {"precision": "FP32", "dims": [1, 1, 4, 7], "name": "meta", "model_name": "fake-ssd",
         "layer_name": "detection_out", "format": "ssd"}
    ]


def test_jsonl_logger_closes_its_file_at_stop(tmp_path):
    spec = importlib.util.spec_from_file_location("jsonl_logger_under_test", EXAMPLES / "jsonl_logger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    logger = module.JsonlLogger(str(tmp_path / "direct.jsonl"))
    file = logger.file
    logger.on_stop()  # the gvarust hook
    assert file.closed

    path = tmp_path / "meta.jsonl"
    kwarg = json.dumps({"path": str(path)})
    error, _ = run_pipeline(
        f"videotestsrc num-buffers=2 ! gvarust module={EXAMPLES / 'jsonl_logger.py'} class=JsonlLogger "
        f"kwarg={gst_quote(kwarg)} ! fakesink"
    )
    assert error is None, error
    assert len(path.read_text().splitlines()) == 2


def run_app(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, str(EXAMPLES / "pad_probe_app.py"), *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs,
    )


def test_pad_probe_app_prints_the_regions_it_reads():
    app = run_app("--frames", 4, "--plugin-dir", PLUGIN_DIR)
    stdout, stderr = app.communicate(timeout=120)
    assert app.returncode == 0, stderr
    lines = stdout.splitlines()
    assert lines[0] == (
        "frame 0 pts=0.000s 640x480: 2 regions: face (64, 96, 128, 192) 0.91; face (352, 72, 160, 192) 0.75"
    )
    assert lines[1].startswith("frame 1 pts=0.033s 640x480: 2 regions: face (70, 96, 128, 192) 0.91;")
    assert lines[-1] == "4 frames, 8 regions read in the pad probe"


def test_pad_probe_app_stops_cleanly_on_sigint():
    app = run_app("--frames", 0, "--plugin-dir", PLUGIN_DIR)
    try:
        # Wait for frames to flow (the source is live and runs until interrupted).
        ready, _, _ = select.select([app.stdout], [], [], 60)
        assert ready, "no output from the app within 60 s"
        first = app.stdout.readline()
        assert first.startswith("frame 0 "), first
        app.send_signal(signal.SIGINT)
        stdout, stderr = app.communicate(timeout=60)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode == 0, stderr
    assert "interrupted: sending end-of-stream" in stdout
    assert stdout.splitlines()[-1].endswith("regions read in the pad probe")
