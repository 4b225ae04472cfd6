#!/usr/bin/env bash
# Face detection on a photograph: OpenCV's Haar cascade in one gvarust element
# (detect_faces.py adds a "face" region per face), boxes drawn into the pixels by a
# second one (draw_boxes.py), every frame's metadata logged as JSON by a third
# (../jsonl_logger.py), and the result written as a PNG.
#
#   bash examples/faces/run.sh [--input PNG] [--output PNG] [--kwarg JSON] [--plugin-dir DIR]
#
# --input       the photo (default: Debian python3-skimage's astronaut.png)
# --output      the PNG to write (default: target/examples/faces/faces.png); the JSON
#               lines go next to it (same name, .jsonl)
# --kwarg       FaceDetector's keyword arguments (default: {"scale_factor": 1.1, "min_neighbors": 5, "min_size": 40})
# --plugin-dir  a directory holding libgstgvarust.so (or set GVARUST_PLUGIN_DIR);
#               default: build the release plugin
# GVARUST_EXAMPLES_VENV: the virtual environment with OpenCV (default target/examples-venv).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../common.sh"
repo="$EXAMPLES_REPO"

input="" output="$repo/target/examples/faces/faces.png"
kwarg='{"scale_factor": 1.1, "min_neighbors": 5, "min_size": 40}'
while [ $# -gt 0 ]; do
  case "$1" in
    --input) input="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --kwarg) kwarg="$2"; shift 2 ;;
    --plugin-dir) export GVARUST_PLUGIN_DIR="$2"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -z "$input" ]; then
  input="$(dpkg -L python3-skimage 2>/dev/null | grep '/astronaut\.png$' | head -n1 || true)"
  if [ -z "$input" ]; then
    echo "The astronaut photo comes with Debian's python3-skimage; install it with" >&2
    echo "  bash scripts/install-deps.sh     (or: apt-get install python3-skimage)" >&2
    echo "or pass --input some.png" >&2
    exit 1
  fi
fi
[ -r "$input" ] || { echo "cannot read $input" >&2; exit 1; }

plugin_dir="$(examples_plugin_dir)"
venv="$(examples_venv)"
# gvarust's embedded Python imports the packages of the venv named by VIRTUAL_ENV.
export VIRTUAL_ENV="$venv"
export GST_PLUGIN_PATH="$plugin_dir${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

mkdir -p "$(dirname "$output")"
output="$(cd "$(dirname "$output")" && pwd)/$(basename "$output")"
jsonl="${output%.png}.jsonl"
rm -f "$output" "$jsonl"
logger_kwarg="$("$venv/bin/python" -c 'import json, sys; print(json.dumps({"path": sys.argv[1]}))' "$jsonl")"

echo "--- gst-launch-1.0 filesrc ! pngdec ! ... ! gvarust detect_faces.py ! gvarust draw_boxes.py ! gvarust jsonl_logger.py ! pngenc ! filesink"
gst-launch-1.0 -q \
  filesrc location="$input" ! pngdec ! videoconvert ! video/x-raw,format=BGRx ! imagefreeze num-buffers=1 ! \
  gvarust module="$here/detect_faces.py" class=FaceDetector kwarg="$kwarg" ! \
  gvarust module="$here/draw_boxes.py" ! \
  gvarust module="$repo/examples/jsonl_logger.py" class=JsonlLogger kwarg="$logger_kwarg" ! \
  videoconvert ! pngenc ! filesink location="$output"

echo "--- faces found (frame.to_json(), also in $jsonl):"
"$venv/bin/python" - "$jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    record = json.loads(line)
    print(json.dumps(record, indent=2))
    for face in record.get("objects", []):
        det = face["detection"]
        print(f"face at x={face['x']} y={face['y']} w={face['w']} h={face['h']}, confidence {det['confidence']:.3f}")
    if not record.get("objects"):
        print("no faces found")
PY
echo "--- output image: $output"
