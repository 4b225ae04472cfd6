#!/usr/bin/env bash
# Installs what is missing, builds the plugin and runs a demo.
#
#   bash scripts/demo.sh         face detection on a photograph (examples/faces/): OpenCV's
#                                Haar cascade in one gvarust element, boxes drawn into the
#                                pixels by a second, the result written as a PNG (its path
#                                is printed at the end, with the faces found as JSON)
#   bash scripts/demo.sh ball    videotestsrc's moving ball, analysed per frame with numpy
#                                by a Python class (examples/ball_tracker.py), one JSON line
#                                per frame (FRAMES=30 frames)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release --features "$(bash scripts/analytics-features.sh)"
export GVARUST_PLUGIN_DIR="${CARGO_TARGET_DIR:-$PWD/target}/release"

case "${1:-faces}" in
  faces)
    bash examples/faces/run.sh
    ;;
  ball)
    echo "--- gst-launch-1.0 ... ! gvarust module=examples/ball_tracker.py class=BallTracker ! fakesink"
    GST_PLUGIN_PATH="$GVARUST_PLUGIN_DIR" gst-launch-1.0 -q \
      videotestsrc pattern=ball num-buffers="${FRAMES:-30}" ! video/x-raw,format=BGRx,width=320,height=240 ! \
      gvarust module=examples/ball_tracker.py class=BallTracker kwarg='{"threshold": 128}' ! fakesink
    ;;
  *)
    echo "usage: bash scripts/demo.sh [faces|ball]" >&2
    exit 2
    ;;
esac
