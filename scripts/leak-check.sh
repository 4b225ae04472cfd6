#!/usr/bin/env bash
# The long leak run: 1,000,000 buffers (or $1) through gvarust with a callback
# that adds and reads regions, tensors and messages on every frame, on a release
# build. Prints the RSS after warm-up, at ten points, and the growth per million
# buffers. The test suite runs the same test with 20,000 buffers.
#
#   bash scripts/leak-check.sh            # 1,000,000 buffers
#   bash scripts/leak-check.sh 200000     # shorter
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export GVARUST_LEAK_BUFFERS="${1:-1000000}"
export GST_DEBUG="${GST_DEBUG:-0}"
echo "--- leak check: $GVARUST_LEAK_BUFFERS buffers (release build)"
cargo test --release --test leak -- --nocapture 2>&1 | grep -E "^leak|test result|panicked|RSS grows"
