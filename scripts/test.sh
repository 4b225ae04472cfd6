#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test: the Rust unit
# and integration tests (real pipelines, real embedded interpreter, gst-launch-1.0
# runs), the pytest suite under Debian's Python with PyGObject, and the lints.
#
# Everything it builds goes under CARGO_TARGET_DIR (default target/), so a second
# lane (scripts/test-debian13.sh: target/debian13) does not overwrite this one.
# GVARUST_SKIP_INSTALL=1 skips scripts/install-deps.sh (Debian 12 package names),
# for a lane that installed its own packages.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${GVARUST_SKIP_INSTALL:-0}" != 1 ]; then
  bash scripts/install-deps.sh
fi
export PATH="$HOME/.cargo/bin:$PATH"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
export CARGO_TARGET_DIR="$target"
# pytest and the example scripts take the plugin from here (not from ./target/debug).
export GVARUST_PLUGIN_DIR="$target/debug"
export GVARUST_EXAMPLES_VENV="$target/examples-venv"
# A stale registry entry (e.g. from a build that blacklisted the plugin) must not hide a fresh build.
export GST_REGISTRY="$target/test-registry.bin"
mkdir -p "$target"
rm -f "$GST_REGISTRY"
# GstAnalytics interop where the GStreamer at build time has it (>= 1.24).
features="$(bash scripts/analytics-features.sh)"
echo "--- cargo features: ${features:-(none)}"

timings=()
phase_start=$SECONDS
phase_name=""
phase() {
  [ -z "$phase_name" ] || timings+=("$(printf '%-16s %4d s' "$phase_name" $((SECONDS - phase_start)))")
  phase_name="$1"
  phase_start=$SECONDS
  [ -z "$1" ] || echo "--- $1"
}

phase build
cargo build --workspace --all-targets --features "$features"
phase "cargo test"
cargo test --workspace --features "$features"
phase "python package"
echo "(pip install ./python into a venv over Debian's Python with PyGObject and numpy)"
venv="$target/pyenv"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
# A target dir of its own: the extension build sets PYO3_BUILD_EXTENSION_MODULE,
# which must not mix with the plugin's build (that one links libpython).
# --no-deps: --force-reinstall would reinstall numpy from PyPI too, over Debian's.
CARGO_TARGET_DIR="$target/python-ext" MATURIN_PEP517_ARGS="${features:+--features python,$features}" \
  "$venv/bin/pip" install -q --force-reinstall --no-deps ./python
phase pytest
echo "(the venv's Python is Debian's /usr/bin/python3 with PyGObject)"
"$venv/bin/python" -m pytest -q tests/python
phase lints
cargo fmt --all --check
cargo clippy --workspace --all-targets --features "$features" -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet --features "$features"
phase ""
echo "--- timings${GVARUST_TIMINGS_LANE:+ ($GVARUST_TIMINGS_LANE)}"
printf '  %s\n' "${timings[@]}"
echo "--- all tests passed"
