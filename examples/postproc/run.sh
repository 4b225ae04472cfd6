#!/usr/bin/env bash
# DL Streamer-style post-processing, written only against the gstgva API: a fake SSD
# "inference" stage adds a raw [1,1,N,7] tensor per frame (fake_ssd.py), SSD
# post-processing turns it into regions (ssd_object_detection.py), fake age/gender
# classification labels each region (age_gender_classification.py), and AgeLogger
# writes the labels per frame to a log file (age_logger.py), which is then printed.
#
#   bash examples/postproc/run.sh [--frames N] [--log PATH] [--plugin-dir DIR]
#
# --frames      number of video frames (default 10)
# --log         AgeLogger's log file (default /tmp/age_log.txt; emptied first)
# --plugin-dir  a directory holding libgstgvarust.so (or set GVARUST_PLUGIN_DIR);
#               default: build the release plugin
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"

frames=10 log=/tmp/age_log.txt
while [ $# -gt 0 ]; do
  case "$1" in
    --frames) frames="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    --plugin-dir) export GVARUST_PLUGIN_DIR="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

plugin_dir="$(examples_plugin_dir)"
export GST_PLUGIN_PATH="$plugin_dir${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
mkdir -p "$(dirname "$log")"
log="$(cd "$(dirname "$log")" && pwd)/$(basename "$log")"
rm -f "$log"  # AgeLogger appends, like DL Streamer's sample
kwarg="$(/usr/bin/python3 -c 'import json, sys; print(json.dumps({"log_file_path": sys.argv[1]}))' "$log")"

# Run from the example's folder so that the module paths read like DL Streamer's samples.
cd "$here"
echo "--- gst-launch-1.0 videotestsrc num-buffers=$frames ! ... ! gvarust module=fake_ssd.py ! gvarust module=ssd_object_detection.py ! gvarust module=age_gender_classification.py ! gvarust module=age_logger.py class=AgeLogger function=log_age kwarg='$kwarg' ! fakesink"
gst-launch-1.0 -q \
  videotestsrc num-buffers="$frames" ! video/x-raw,format=BGRx,width=640,height=480 ! \
  gvarust module=fake_ssd.py ! \
  gvarust module=ssd_object_detection.py ! \
  gvarust module=age_gender_classification.py ! \
  gvarust module=age_logger.py class=AgeLogger function=log_age kwarg="$kwarg" ! \
  fakesink
echo "--- $log:"
cat "$log"
