#!/usr/bin/env python3
"""Instructions per frame spent in gvarust callbacks, counted by valgrind's callgrind.

Wall-clock timings on a shared virtual machine swing by 10-20% between runs; instruction
counts move far less. This counts the instructions executed inside the element's callback
(`Callback::process_buffer`: the frame object, the Python code and every metadata call)
for the metadata scenarios of bench.py, so two builds compare almost to the instruction:

    /usr/bin/python3 examples/bench/instructions.py                       # target/release
    /usr/bin/python3 examples/bench/instructions.py --plugin-dir A --plugin-dir B   # B as a ratio of A

Each case runs `gst-launch-1.0` once under callgrind, which writes one count per callback
call. Per element it reports the least and the median count over the frames. The least is
the steady figure: glibc's allocator sometimes settles into a slower state for a whole run
(a few percent more on most frames), which moves the median between runs but rarely the
least. Readers run behind the scenario-2 writer (meta_write.py), and only the reader's
calls are counted. Instructions are not time (a cache miss costs more than an add), so the
wall-clock bench stays the measure of speed; this one shows what a change did to the work.
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
CALLBACK = "gstgvarust::pyhost::callback::Callback::process_buffer"

# (label, modules of the gvarust elements in pipeline order); the last element is the one measured
CASES = [
    ("trivial callback (`trivial.py`)", ["trivial.py"]),
    ("writer, object API, 20 regions x 2 tensors (`meta_write_api.py`)", ["meta_write_api.py"]),
    ("writer, object API, 20 plain regions (`meta_write_plain.py`)", ["meta_write_plain.py"]),
    ("writer, one `add_regions()`, 20 plain regions (`meta_write_bulk.py`)", ["meta_write_bulk.py"]),
    (
        "writer, one `add_regions(..., tensors=...)` (`meta_write_bulk_tensors.py`)",
        ["meta_write_bulk_tensors.py"],
    ),
    ("reader, object API (`meta_read.py`)", ["meta_write.py", "meta_read.py"]),
    ("reader, `regions_array()` (`meta_read_bulk.py`)", ["meta_write.py", "meta_read_bulk.py"]),
]


def counts(plugin_dir, registry, modules, frames):
    """Instructions of each callback call of the last element of a pipeline of `modules`."""
    elements = " ! ".join(f"gvarust module={HERE / m}" for m in modules)
    pipeline = (
        f"videotestsrc pattern=black num-buffers={frames} ! video/x-raw,format=BGRx,width=320,height=240 ! "
        f"{elements} ! fakesink"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out_file = pathlib.Path(tmp) / "callgrind.out"
        env = dict(os.environ, GST_PLUGIN_PATH=str(plugin_dir), GST_REGISTRY=str(registry))
        env.pop("GST_DEBUG", None)
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out_file}",
            # Count only inside callbacks, and write the count after each one.
            f"--toggle-collect={CALLBACK}",
            f"--dump-after={CALLBACK}",
            "gst-launch-1.0",
            "-q",
            *pipeline.split(),
        ]
        try:
            run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired as err:
            raise RuntimeError(f"no end after {err.timeout} s") from None
        if run.returncode != 0:
            raise RuntimeError(run.stdout[-2000:] + run.stderr[-2000:])
        # Dumps are numbered in call order; one streaming thread calls the elements
        # in pipeline order for each buffer.
        dumps = sorted(pathlib.Path(tmp).glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
        totals = []
        for dump in dumps:
            total = re.search(r"^totals:\s+(\d+)", dump.read_text(), re.M)
            totals.append(int(total.group(1)) if total else 0)
        measured = totals[len(modules) - 1 :: len(modules)]
        if len(measured) != frames:
            raise RuntimeError(f"expected {frames} callback counts, found {len(measured)}")
        return measured


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--plugin-dir",
        type=pathlib.Path,
        action="append",
        help="directory of libgstgvarust.so; repeat to compare builds (default: target/release)",
    )
    parser.add_argument("--frames", type=int, default=100, help="frames per run (default 100)")
    parser.add_argument("--case", action="append", help="only cases whose label contains this text")
    args = parser.parse_args()
    dirs = args.plugin_dir or [REPO / "target" / "release"]
    for d in dirs:
        if not (d / "libgstgvarust.so").exists():
            sys.exit(f"no libgstgvarust.so in {d}: build it (cargo build --release) or pass --plugin-dir")
    if subprocess.run(["valgrind", "--version"], capture_output=True).returncode != 0:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    cases = [c for c in CASES if not args.case or any(text in c[0] for text in args.case)]
    print(f"Instructions per frame inside gvarust callbacks (callgrind), 320x240, {args.frames} frames: "
          "the least over the frames, and the median in brackets")
    print()
    print("| case | " + " | ".join(str(d) for d in dirs) + " |")
    print("|---" * (len(dirs) + 1) + "|")
    with tempfile.TemporaryDirectory() as tmp:
        registries = [pathlib.Path(tmp) / f"registry-{i}.bin" for i in range(len(dirs))]
        for label, modules in cases:
            cells = []
            first = None
            for d, registry in zip(dirs, registries):
                try:
                    measured = sorted(counts(d, registry, modules, args.frames))
                except RuntimeError as err:
                    print(f"{label} with {d}: the pipeline failed: {str(err).strip()[-300:]}", file=sys.stderr)
                    cells.append("n/a")
                    continue
                least, median = measured[0], measured[len(measured) // 2]
                cell = f"{least:,} ({median:,})"
                if first is None:
                    first = least
                else:
                    cell += f", {least / first:.2f}x"
                cells.append(cell)
            print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
