#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test: the Rust unit
# and integration tests (real pipelines, real embedded interpreter, gst-launch-1.0
# runs), the pytest suite under Debian's Python with PyGObject, and the lints.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
# A stale registry entry (e.g. from a build that blacklisted the plugin) must not hide a fresh build.
export GST_REGISTRY="$PWD/target/test-registry.bin"
rm -f "$GST_REGISTRY"

echo "--- build"
cargo build --workspace --all-targets
echo "--- cargo test"
cargo test --workspace
echo "--- Python package: pip install ./python into a venv over Debian's Python (PyGObject, numpy)"
venv="$PWD/target/pyenv"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
# A target dir of its own: the extension build sets PYO3_BUILD_EXTENSION_MODULE,
# which must not mix with the plugin's build (that one links libpython).
CARGO_TARGET_DIR="$PWD/target/python-ext" "$venv/bin/pip" install -q --force-reinstall ./python
echo "--- pytest (the venv's Python is Debian's /usr/bin/python3 with PyGObject)"
"$venv/bin/python" -m pytest -q tests/python
echo "--- lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "--- all tests passed"
