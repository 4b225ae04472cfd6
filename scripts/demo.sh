#!/usr/bin/env bash
# Installs what is missing, builds the plugin and runs the demo pipeline:
# videotestsrc's moving ball, analysed per frame with numpy by a Python class
# (examples/ball_tracker.py), one JSON line per frame.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release
echo "--- gst-launch-1.0 ... ! gvarust module=examples/ball_tracker.py class=BallTracker ! fakesink"
GST_PLUGIN_PATH="$PWD/target/release" gst-launch-1.0 -q \
  videotestsrc pattern=ball num-buffers="${FRAMES:-30}" ! video/x-raw,format=BGRx,width=320,height=240 ! \
  gvarust module=examples/ball_tracker.py class=BallTracker kwarg='{"threshold": 128}' ! fakesink
