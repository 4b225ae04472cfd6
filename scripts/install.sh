#!/usr/bin/env bash
# Builds the release plugin and installs it where GStreamer finds it without
# GST_PLUGIN_PATH: the user's plugin directory (default), or with --system the
# system plugin directory (needs root). Pass --no-build to install an existing build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

target=user
build=yes
for arg in "$@"; do
  case "$arg" in
    --system) target=system ;;
    --user) target=user ;;
    --no-build) build=no ;;
    *) echo "usage: $0 [--user|--system] [--no-build]" >&2; exit 2 ;;
  esac
done

[ "$build" = yes ] && cargo build --release --features "$(bash scripts/analytics-features.sh)"
plugin="${GVARUST_PLUGIN:-target/release/libgstgvarust.so}"
[ -f "$plugin" ] || { echo "no plugin at $plugin: run cargo build --release" >&2; exit 1; }

if [ "$target" = system ]; then
  dir="$(pkg-config --variable=pluginsdir gstreamer-1.0)"
else
  dir="${XDG_DATA_HOME:-$HOME/.local/share}/gstreamer-1.0/plugins"
fi
mkdir -p "$dir"
install -m 0755 "$plugin" "$dir/libgstgvarust.so"
# isolation=process runs the callback in this program, found next to the plugin
# (GStreamer loads only shared libraries from the directory, so it is ignored there).
worker="$(dirname "$plugin")/gvarust-worker"
[ -f "$worker" ] || { echo "no worker program at $worker: run cargo build --release" >&2; exit 1; }
install -m 0755 "$worker" "$dir/gvarust-worker"
echo "installed $dir/libgstgvarust.so and $dir/gvarust-worker"
echo "check with: gst-inspect-1.0 gvarust"
