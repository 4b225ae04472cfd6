# Shared set-up for the example scripts (sourced, not run).
#
#   examples_plugin_dir      prints the directory holding libgstgvarust.so: $GVARUST_PLUGIN_DIR
#                            when set, else a release build (cargo build --release).
#   examples_venv            prints the examples' virtual environment, creating it when needed:
#                            $GVARUST_EXAMPLES_VENV, default target/examples-venv, a venv over
#                            Debian's Python (it sees Debian's gi and numpy) with OpenCV.
#   examples_venv_package V  installs the gvarust Python package (./python) into venv V.

EXAMPLES_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# OpenCV 4.11 is the last release that works with Debian 12's numpy 1.24 and ships the
# Haar cascades (cv2.data.haarcascades); --no-deps keeps pip from pulling numpy 2.
OPENCV_PACKAGE="opencv-python-headless==4.11.0.86"

examples_plugin_dir() {
  if [ -n "${GVARUST_PLUGIN_DIR:-}" ]; then
    if [ ! -e "$GVARUST_PLUGIN_DIR/libgstgvarust.so" ]; then
      echo "no libgstgvarust.so in GVARUST_PLUGIN_DIR=$GVARUST_PLUGIN_DIR" >&2
      return 1
    fi
    (cd "$GVARUST_PLUGIN_DIR" && pwd)
    return
  fi
  export PATH="$HOME/.cargo/bin:$PATH"
  (cd "$EXAMPLES_REPO" && cargo build --release --quiet >&2)
  echo "${CARGO_TARGET_DIR:-$EXAMPLES_REPO/target}/release"
}

examples_venv() {
  local venv="${GVARUST_EXAMPLES_VENV:-$EXAMPLES_REPO/target/examples-venv}"
  if [ ! -x "$venv/bin/python" ]; then
    echo "Creating the examples' virtual environment $venv" >&2
    /usr/bin/python3 -m venv --system-site-packages "$venv" >&2
  fi
  if ! "$venv/bin/python" -c "import cv2, cv2.data" 2>/dev/null; then
    echo "Installing $OPENCV_PACKAGE into $venv (about 35 MB)" >&2
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "$OPENCV_PACKAGE" >&2
  fi
  echo "$venv"
}

examples_venv_package() {
  local venv="$1"
  if ! "$venv/bin/python" -c "import gstgva, gvarust" 2>/dev/null; then
    echo "Installing the gvarust Python package (./python) into $venv" >&2
    export PATH="$HOME/.cargo/bin:$PATH"
    # Its own target dir: the extension build must not share the plugin's (it drops the libpython link).
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$EXAMPLES_REPO/target}/python-ext" \
      "$venv/bin/pip" install -q --disable-pip-version-check "$EXAMPLES_REPO/python" >&2
  fi
}
