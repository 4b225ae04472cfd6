#!/usr/bin/env python3
"""Per-call cost of the metadata object API inside a gvarust callback, in ns.

Frames carry 20 regions, each with a detection and two classification structures
(meta_write.py, as in scenario 2); meta_calls_cb.py times each call in a loop on
every frame and reports the median over frames. A Python no-op lambda is the floor.

    /usr/bin/python3 examples/bench/calls.py                   # target/release
    /usr/bin/python3 examples/bench/calls.py --plugin-dir DIR --frames 400
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugin-dir", type=pathlib.Path, default=REPO / "target" / "release")
    parser.add_argument("--frames", type=int, default=200, help="frames (default 200)")
    args = parser.parse_args()
    if not (args.plugin_dir / "libgstgvarust.so").exists():
        sys.exit(f"no libgstgvarust.so in {args.plugin_dir}: build it (cargo build --release) or pass --plugin-dir")
    pipeline = (
        f"videotestsrc pattern=black num-buffers={args.frames} ! video/x-raw,format=BGRx,width=320,height=240 ! "
        f"gvarust module={HERE / 'meta_write.py'} ! gvarust module={HERE / 'meta_calls_cb.py'} ! fakesink"
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GST_PLUGIN_PATH=str(args.plugin_dir), GST_REGISTRY=f"{tmp}/registry.bin")
        env.pop("GST_DEBUG", None)
        out = subprocess.run(
            ["gst-launch-1.0", "-q", *pipeline.split()], env=env, capture_output=True, text=True, timeout=600
        )
    line = next((l for l in out.stdout.splitlines() if l.startswith("META_CALLS ")), None)
    if out.returncode != 0 or line is None:
        sys.exit(f"the pipeline failed:\n{out.stdout}\n{out.stderr}")
    result = json.loads(line.split(" ", 1)[1])
    print(f"Per call, inside a gvarust callback, 20 regions x 3 structures; median over "
          f"{result['frames']} frames of the mean of {result['loops']} calls")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("| call | ns |")
    print("|---|---|")
    for name, ns in sorted(result["ns"].items(), key=lambda item: -item[1]):
        print(f"| `{name}` | {ns:.0f} |")


if __name__ == "__main__":
    main()
