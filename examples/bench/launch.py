#!/usr/bin/env python3
"""Per-buffer cost of gvarust as `gst-launch-1.0` users see it, split into a fixed
start-up cost and a per-buffer slope.

Wall time of a whole `gst-launch-1.0` run includes what the in-process bench
(bench.py, scenario 1) leaves out on purpose: starting the process, the
registry, and, for gvarust, starting the embedded interpreter and loading the
module. This runs `identity` and `gvarust module=trivial.py` at two run lengths,
interleaved, and separates the two parts from the medians:

    start-up = T(short) ... per buffer = (T(long) - T(short)) / (long - short)

    /usr/bin/python3 examples/bench/launch.py                      # release build in target/release
    /usr/bin/python3 examples/bench/launch.py --plugin-dir DIR --rounds 7 --long 200000
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent


def run_once(env, buffers, element, pattern="smpte"):
    pipeline = (
        f"videotestsrc pattern={pattern} num-buffers={buffers} ! "
        f"video/x-raw,format=BGRx,width=320,height=240 ! {element} ! fakesink"
    )
    started = time.perf_counter()
    subprocess.run(
        ["gst-launch-1.0", "-q", *pipeline.split()],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugin-dir", type=pathlib.Path, default=REPO / "target" / "release")
    parser.add_argument("--short", type=int, default=1, help="buffers of the short run (default 1)")
    parser.add_argument("--long", type=int, default=100_000, help="buffers of the long run (default 100000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--pattern", default="smpte", help="videotestsrc pattern (default smpte, as in a plain "
                        "gst-launch line; bench.py uses black)")
    args = parser.parse_args()
    plugin = args.plugin_dir / "libgstgvarust.so"
    if not plugin.exists():
        sys.exit(f"no {plugin}: build it (cargo build --release) or pass --plugin-dir")

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GST_PLUGIN_PATH=str(args.plugin_dir), GST_REGISTRY=f"{tmp}/registry.bin")
        env.pop("GST_DEBUG", None)
        variants = {
            "identity": "identity",
            "gvarust": f"gvarust module={HERE / 'trivial.py'}",
        }
        run_once(env, 1, variants["gvarust"])  # fills the registry
        times = {(name, n): [] for name in variants for n in (args.short, args.long)}
        for _ in range(args.rounds):
            for n in (args.short, args.long):
                for name, element in variants.items():
                    times[(name, n)].append(run_once(env, n, element, args.pattern))

    median = {key: statistics.median(values) for key, values in times.items()}
    span = args.long - args.short
    rows = []
    for name in variants:
        start_up = median[(name, args.short)]
        per_buffer_us = (median[(name, args.long)] - start_up) / span * 1e6
        whole_us = median[(name, args.long)] / args.long * 1e6
        rows.append((name, start_up * 1e3, per_buffer_us, whole_us))
    print(f"gst-launch-1.0, videotestsrc pattern={args.pattern}, 320x240 BGRx, {args.short} and {args.long} buffers, "
          f"medians of {args.rounds} interleaved rounds")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("| variant  | run of 1 buffer (ms) | per buffer, slope (us) | whole run / buffers (us) |")
    print("|----------|----------------------|------------------------|--------------------------|")
    for name, start_ms, slope_us, whole_us in rows:
        print(f"| {name:<8} | {start_ms:20.1f} | {slope_us:22.2f} | {whole_us:24.2f} |")
    (_, id_start, id_slope, id_whole), (_, gv_start, gv_slope, gv_whole) = rows
    print()
    print(f"gvarust over identity: start-up {gv_start - id_start:.1f} ms, per buffer {gv_slope - id_slope:.2f} us "
          f"(whole-run figure {gv_whole - id_whole:.2f} us, of which start-up spread over the run "
          f"{(gv_start - id_start) * 1e3 / args.long:.2f} us)")


if __name__ == "__main__":
    main()
