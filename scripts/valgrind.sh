#!/usr/bin/env bash
# Runs a few gvarust pipelines under valgrind (memcheck) and prints the summary
# and any invalid reads/writes. CPython's allocator and GLib's type system keep
# memory for the process's life and read uninitialized words on purpose, so
# scripts/valgrind.supp silences those; errors in gvarust code are not
# suppressed.
#
#   bash scripts/valgrind.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 1; }
cargo build
plugins="$(mktemp -d)"
trap 'rm -rf "$plugins"' EXIT
cp "${CARGO_TARGET_DIR:-target}/debug/libgstgvarust.so" "$plugins/"
export GST_PLUGIN_PATH="$plugins" GST_REGISTRY="$plugins/registry.bin" GST_DEBUG=0
# pymalloc hides Python's own allocations from valgrind: use malloc directly.
export PYTHONMALLOC=malloc G_SLICE=always-malloc
gst-inspect-1.0 gvarust >/dev/null   # build the registry outside valgrind
cb=tests/callbacks
status=0
run() {
    local name="$1"; shift
    local log="$plugins/$name.log"
    valgrind --tool=memcheck --error-exitcode=99 --num-callers=30 \
        --suppressions=scripts/valgrind.supp --gen-suppressions=no \
        --leak-check=no --track-origins=no --log-file="$log" \
        gst-launch-1.0 -q "$@" >/dev/null 2>&1 || true
    local summary invalid
    summary="$(grep -E "ERROR SUMMARY" "$log" | tail -1 | sed 's/^==[0-9]*== //')"
    invalid="$(grep -cE "Invalid (read|write|free)|uninitialised|Mismatched free" "$log" || true)"
    printf '%-12s %s (invalid accesses: %s)\n' "$name" "$summary" "$invalid"
    if [ "$invalid" != "0" ]; then
        grep -A25 -E "Invalid (read|write|free)|uninitialised|Mismatched free" "$log" | head -80
        status=1
    fi
}
run frames    videotestsrc num-buffers=30 ! video/x-raw,format=BGRx,width=64,height=48 ! gvarust module=$cb/frames.py ! fakesink
run metadata  videotestsrc num-buffers=30 ! video/x-raw,format=GRAY8,width=64,height=48 ! gvarust module=$cb/bad_loop.py class=Loop ! fakesink
run pixels    videotestsrc num-buffers=30 ! video/x-raw,format=NV12,width=64,height=48 ! gvarust module=$cb/pixels_write.py ! fakesink
run keep      videotestsrc num-buffers=30 ! video/x-raw,format=BGRx,width=64,height=48 ! gvarust module=$cb/meta_keep.py ! fakesink
run errors    videotestsrc num-buffers=30 ! gvarust on-error=drop module=$cb/raises.py ! fakesink
run audio     audiotestsrc num-buffers=30 ! gvarust module=$cb/frames.py ! fakesink
exit $status
