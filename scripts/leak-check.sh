#!/usr/bin/env bash
# The long leak run: 1,000,000 buffers (or $1) through gvarust with a callback
# that adds and reads regions, tensors and messages on every frame, on a release
# build. Prints malloc's bytes in use and Python's allocated blocks after the
# warm-up and at the end, and their growth per buffer (a least-squares slope).
# The test suite runs the same test with 40,000 buffers; the run's deadline
# grows with the number of buffers.
#
#   bash scripts/leak-check.sh            # 1,000,000 buffers
#   bash scripts/leak-check.sh 200000     # shorter
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export GVARUST_LEAK_BUFFERS="${1:-1000000}"
export GST_DEBUG="${GST_DEBUG:-0}"
echo "--- leak check: $GVARUST_LEAK_BUFFERS buffers (release build)"
cargo test --release --test leak -- --nocapture 2>&1 | grep -E "^leak|test result|panicked|grows"
