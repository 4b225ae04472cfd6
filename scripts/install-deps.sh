#!/usr/bin/env bash
# Installs what gvarust needs on Debian 12 (as root, or through sudo):
# GStreamer 1.22 development files and tools, Debian's Python 3.11 with
# PyGObject, numpy and pytest, and a Rust toolchain when none is present.
# Also python3-skimage, for the astronaut photo of the face-detection example
# (examples/faces/; its OpenCV comes from PyPI into a venv, see examples/common.sh),
# and valgrind, for scripts/valgrind.sh and its case in the test suite (tests/valgrind.rs).
set -euo pipefail

packages=(
  build-essential pkg-config curl ca-certificates
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  python3 python3-gi python3-gst-1.0 gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  python3-numpy python3-pytest python3-venv libpython3.11-dev
  gstreamer1.0-python3-plugin-loader
  python3-skimage
  valgrind
)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  # Debian 12's own rustc (1.63) is too old for the GStreamer bindings.
  echo "Installing Rust with rustup (https://rustup.rs)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
fi
