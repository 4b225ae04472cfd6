#!/usr/bin/python3
"""How long gvarust's callback waits for the GIL while a Python thread of the host
application keeps it busy, per `sys.setswitchinterval` value.

    /usr/bin/python3 examples/bench/gil_wait.py --plugin-dir target/release
    /usr/bin/python3 examples/bench/gil_wait.py --plugin-dir target/debug --buffers 50 --intervals 0.005 0.0005

For each switch interval a fresh /usr/bin/python3 process (PyGObject) starts a thread that
spins on pure Python work, then plays `videotestsrc num-buffers=N ! 64x48 ! gvarust
module=trivial.py ! fakesink` to EOS and reports gvarust's `stats` (`gil-wait-mean-us`,
`gil-wait-max-us`). The streaming thread gets the GIL when the busy thread reaches a switch
point, so the wait follows the switch interval (Python's default: 5 ms).
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]


def worker(interval, buffers):
    import threading

    import gi

    gi.require_version("Gst", "1.0")
    from gi.repository import Gst

    sys.setswitchinterval(interval)
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"videotestsrc pattern=black num-buffers={buffers} ! video/x-raw,width=64,height=48 ! "
        f"gvarust name=g module={HERE / 'trivial.py'} ! fakesink"
    )
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            sum(range(200))

    thread = threading.Thread(target=busy, daemon=True)
    thread.start()
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(600 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    stop.set()
    thread.join()
    stats = pipeline.get_by_name("g").get_property("stats")
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        sys.exit(f"the pipeline did not reach EOS: {msg.parse_error() if msg else 'timeout'}")
    keys = ("calls", "gil-wait-mean-us", "gil-wait-max-us", "callback-mean-us")
    print(json.dumps({key: stats.get_value(key) for key in keys}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plugin-dir", type=pathlib.Path, default=REPO / "target" / "release",
                        help="directory of libgstgvarust.so (default: target/release; build it with cargo build --release)")
    parser.add_argument("--buffers", type=int, default=300, help="buffers per run (default 300)")
    parser.add_argument("--intervals", type=float, nargs="+", default=[0.005, 0.001, 0.0005],
                        help="switch intervals in seconds (default: 0.005 (Python's default), 0.001, 0.0005)")
    parser.add_argument("--python", default="/usr/bin/python3", help="interpreter of the host processes")
    parser.add_argument("--worker", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.buffers)
        return
    plugin = args.plugin_dir.resolve() / "libgstgvarust.so"
    if not plugin.exists():
        sys.exit(f"{plugin} not found (cargo build --release, or --plugin-dir target/debug)")
    print(f"GIL wait of a trivial callback with a busy Python thread ({args.buffers} buffers, {plugin})")
    print(f"{'switch interval':>16} {'calls':>6} {'wait mean us':>13} {'wait max us':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, GST_PLUGIN_PATH=str(plugin.parent), GST_REGISTRY=str(pathlib.Path(tmp) / "registry.bin"))
        for interval in args.intervals:
            out = subprocess.run(
                [args.python, __file__, "--worker", str(interval), "--buffers", str(args.buffers)],
                env=env, capture_output=True, text=True, timeout=900,
            )
            if out.returncode != 0:
                sys.exit(f"switch interval {interval}: exit {out.returncode}\n{out.stdout}{out.stderr}")
            stats = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{interval * 1000:>13.2f} ms {stats['calls']:>6} {stats['gil-wait-mean-us']:>13.0f} "
                  f"{stats['gil-wait-max-us']:>12.0f}")


if __name__ == "__main__":
    main()
