#!/usr/bin/env bash
# Runs examples/pad_probe_app.py with what it needs: the gvarust plugin (a release build,
# or --plugin-dir DIR / GVARUST_PLUGIN_DIR) and a venv over Debian's Python with the
# gvarust Python package (target/examples-venv, or GVARUST_EXAMPLES_VENV).
#
#   bash examples/pad_probe_app.sh [--frames N] [--plugin-dir DIR]    (--frames 0: until Ctrl-C)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --plugin-dir) export GVARUST_PLUGIN_DIR="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
plugin_dir="$(examples_plugin_dir)"
venv="$(examples_venv)"
examples_venv_package "$venv"
export GST_PLUGIN_PATH="$plugin_dir${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
exec "$venv/bin/python" "$here/pad_probe_app.py" "${args[@]}"
