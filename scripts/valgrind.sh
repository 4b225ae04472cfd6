#!/usr/bin/env bash
# Runs a few gvarust pipelines under valgrind (memcheck) and prints the summary
# and any invalid reads/writes. CPython's allocator and GLib's type system keep
# memory for the process's life and read uninitialized words on purpose, so
# scripts/valgrind.supp silences those; errors in gvarust code are not
# suppressed.
#
#   bash scripts/valgrind.sh            # every case
#   bash scripts/valgrind.sh frames     # only the named cases
#
# It exits non-zero when valgrind reports any error outside the suppressions in any
# case, or a pipeline fails. The test suite runs one small case (tests/valgrind.rs).
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
# Each case fails on any error valgrind reports outside the suppressions
# (--error-exitcode) and on a pipeline that does not end cleanly.
run() {
    local name="$1"; shift
    if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then return; fi
    local log="$plugins/$name.log" rc=0 started=$SECONDS
    valgrind --tool=memcheck --error-exitcode=99 --num-callers=30 \
        --suppressions=scripts/valgrind.supp --gen-suppressions=all \
        --leak-check=no --track-origins=no --log-file="$log" \
        gst-launch-1.0 -q "$@" >"$plugins/$name.out" 2>&1 || rc=$?
    local summary
    summary="$(grep -E "ERROR SUMMARY" "$log" | tail -1 | sed 's/^==[0-9]*== //')"
    printf '%-12s exit %s, %s (%d s)\n' "$name" "$rc" "$summary" $((SECONDS - started))
    if [ "$rc" != 0 ]; then
        # The errors with their stacks and ready-made suppressions, then the pipeline's output.
        sed -n '/^==[0-9]*== *$/,$p' "$log" | head -300
        tail -20 "$plugins/$name.out"
        status=1
    fi
}
only=("$@")
run frames    videotestsrc num-buffers=30 ! video/x-raw,format=BGRx,width=64,height=48 ! gvarust module=$cb/frames.py ! fakesink
run metadata  videotestsrc num-buffers=30 ! video/x-raw,format=GRAY8,width=64,height=48 ! gvarust module=$cb/bad_loop.py class=Loop ! fakesink
run pixels    videotestsrc num-buffers=30 ! video/x-raw,format=NV12,width=64,height=48 ! gvarust module=$cb/pixels_write.py function=paint ! gvarust module=$cb/pixels_write.py function=check ! fakesink
run keep      videotestsrc num-buffers=30 ! video/x-raw,format=BGRx,width=64,height=48 ! gvarust module=$cb/meta_keep.py ! fakesink
run errors    videotestsrc num-buffers=30 ! gvarust on-error=drop module=$cb/raises.py ! fakesink
run audio     audiotestsrc num-buffers=30 ! gvarust module=$cb/frames.py ! fakesink
exit $status
