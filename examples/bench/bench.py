#!/usr/bin/python3
"""Benchmark of the gvarust element against identity, gst-python and a PyGObject pad probe.

    /usr/bin/python3 examples/bench/bench.py            # cargo build --release, then every scenario
    /usr/bin/python3 examples/bench/bench.py --quick    # tiny N, one repeat (structure check only)
    /usr/bin/python3 examples/bench/bench.py --help

Every pipeline is `videotestsrc pattern=black num-buffers=N ! video/x-raw,format=BGRx,WxH ! X ! fakesink`.
Each scenario runs in its own Debian /usr/bin/python3 subprocess (PyGObject; `--python PATH` for another, e.g. a venv with the gvarust package), with a fresh
GStreamer registry, GST_PLUGIN_PATH = the plugin directory plus a temporary directory holding the
gst-python plugin-loader baseline element (python/identity_py.py). A pipeline is prerolled in PAUSED
(so module loading and the first buffer are outside the measurement), then timed from the switch to
PLAYING to the EOS message: N - 1 buffers. Variants of a scenario are interleaved, repeat after
repeat, and the tables show medians.

To add a scenario: subclass Scenario (key, title, config(), measure() in the worker, tables() in the
parent) and append an instance to SCENARIOS.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]

SOURCE = "videotestsrc pattern=black num-buffers={n} ! video/x-raw,format=BGRx,width={width},height={height}"
SINK = "fakesink"

# The gst-python plugin-loader baseline: a BaseTransform calling the same trivial Python function in
# do_transform_ip. Written to <tmp>/python/identity_py.py; <tmp> goes on GST_PLUGIN_PATH.
IDENTITY_PY = '''\
import importlib.util

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstBase", "1.0")
from gi.repository import GObject, Gst, GstBase  # noqa: E402

Gst.init(None)

_spec = importlib.util.spec_from_file_location("gvarust_bench_trivial_gstpython", {callback!r})
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
process_frame = _module.process_frame


class IdentityPy(GstBase.BaseTransform):
    __gstmetadata__ = ("identity_py", "Filter", "Calls a Python function on every buffer", "gvarust bench")
    __gsttemplates__ = (
        Gst.PadTemplate.new("src", Gst.PadDirection.SRC, Gst.PadPresence.ALWAYS, Gst.Caps.new_any()),
        Gst.PadTemplate.new("sink", Gst.PadDirection.SINK, Gst.PadPresence.ALWAYS, Gst.Caps.new_any()),
    )

    def do_transform_ip(self, buf):
        if process_frame(buf):
            return Gst.FlowReturn.OK
        return GstBase.BASE_TRANSFORM_FLOW_DROPPED


GObject.type_register(IdentityPy)
__gstelementfactory__ = ("identity_py", Gst.Rank.NONE, IdentityPy)
'''


# --------------------------------------------------------------------------------------------------
# Worker side: runs pipelines (imported only inside the scenario subprocess).


class Runner:
    """Builds, prerolls, times and tears down pipelines; one instance per worker process."""

    def __init__(self, timeout_s=600):
        import gi

        gi.require_version("Gst", "1.0")
        from gi.repository import Gst

        Gst.init(None)
        self.Gst = Gst
        self.timeout_s = timeout_s
        # Load the gst-python baseline's plugin before any pipeline runs. Seen with gst-python 1.22
        # and PyGObject 3.42: when the python plugin was first loaded by a parse_launch after another
        # pipeline had run in the process, the element was created but its do_transform_ip was
        # never called (it measured as fast as identity).
        factory = Gst.ElementFactory.find("identity_py")
        if factory is not None:
            factory.load()

    def has_element(self, name):
        return self.Gst.ElementFactory.find(name) is not None

    def run(self, middles, n, width=320, height=240, setup=None):
        """Run one pipeline per entry of `middles` at the same time, each `SOURCE ! middle ! SINK`.

        Returns {"seconds": wall time PLAYING -> last EOS, "buffers": timed buffers per pipeline,
        "stats": [gvarust stats dicts, one per gvarust element]}.
        """
        Gst = self.Gst
        pipelines = []
        for middle in middles:
            description = f"{SOURCE.format(n=n, width=width, height=height)} ! {middle} ! {SINK}"
            pipeline = Gst.parse_launch(description)
            if setup is not None:
                setup(pipeline)
            pipelines.append(pipeline)
        try:
            for pipeline in pipelines:
                pipeline.set_state(Gst.State.PAUSED)
            for pipeline in pipelines:
                result, _, _ = pipeline.get_state(self.timeout_s * Gst.SECOND)
                if result != Gst.StateChangeReturn.SUCCESS:
                    self._raise_bus_error(pipeline, f"preroll failed ({result.value_nick})")
            start = time.perf_counter()
            for pipeline in pipelines:
                pipeline.set_state(Gst.State.PLAYING)
            for pipeline in pipelines:
                msg = pipeline.get_bus().timed_pop_filtered(
                    self.timeout_s * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR
                )
                if msg is None:
                    raise RuntimeError(f"timeout after {self.timeout_s} s")
                if msg.type == Gst.MessageType.ERROR:
                    err, debug = msg.parse_error()
                    raise RuntimeError(f"{err.message}\n{debug}")
            seconds = time.perf_counter() - start
            stats = []
            for pipeline in pipelines:
                for element in self._gvarust_elements(pipeline):
                    stats.append(self._stats(element))
            for item in stats:
                # Every buffer, the prerolled one included, went through the callback.
                if (item.get("calls"), item.get("dropped"), item.get("errors")) != (n, 0, 0):
                    raise RuntimeError(f"gvarust stats {item} do not match {n} buffers")
        finally:
            for pipeline in pipelines:
                pipeline.set_state(Gst.State.NULL)
        return {"seconds": seconds, "buffers": n - 1, "pipelines": len(pipelines), "stats": stats}

    def _raise_bus_error(self, pipeline, what):
        Gst = self.Gst
        msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
        if msg is not None:
            err, debug = msg.parse_error()
            raise RuntimeError(f"{what}: {err.message}\n{debug}")
        raise RuntimeError(what)

    def _gvarust_elements(self, pipeline):
        iterator = pipeline.iterate_elements()
        found = []
        while True:
            result, element = iterator.next()
            if result != self.Gst.IteratorResult.OK:
                break
            factory = element.get_factory()
            if factory is not None and factory.get_name() == "gvarust":
                found.append(element)
        return found

    @staticmethod
    def _stats(element):
        structure = element.get_property("stats")
        fields = ("calls", "dropped", "errors", "callback-mean-us", "callback-max-us", "gil-wait-mean-us", "gil-wait-max-us", "ipc-mean-us", "worker-restarts")
        stats = {name: structure.get_value(name) for name in fields if structure.has_field(name)}
        stats["name"] = element.get_name()
        return stats


def load_callback(path, name):
    """Import a callback file under its own module name (for the PyGObject probe baseline)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_classic_gstgva(directory):
    """DL Streamer's own `gstgva` package from `directory`, imported as `gstgva_classic` so
    that it does not collide with the gvarust package's `gstgva`."""
    import importlib.util

    init = pathlib.Path(directory) / "gstgva" / "__init__.py"
    spec = importlib.util.spec_from_file_location(
        "gstgva_classic", init, submodule_search_locations=[str(init.parent)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["gstgva_classic"] = module
    spec.loader.exec_module(module)
    return module


def gvarust(module, **props):
    parts = [f"gvarust module={HERE / module}"]
    for key, value in props.items():
        value = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'{key}="{quoted}"')
    return " ".join(parts)


def interleaved(runner, variants, repeats, warmup_n, only=None):
    """variants: {label: (callable(n) -> run result, n)}. Returns {label: [per-run records]}.

    One short warm-up run per variant, then `repeats` rounds, each running every variant once.
    `only` restricts the run to one label (isolated scenarios run one variant per process).
    """
    if only is not None:
        variants = {label: v for label, v in variants.items() if label == only}
    results = {label: [] for label in variants}
    for label, (fn, _) in variants.items():
        fn(warmup_n)
    for _ in range(repeats):
        for label, (fn, n) in variants.items():
            results[label].append(record(fn(n)))
    return results


def record(run):
    """One timed run reduced to what the tables use."""
    out = {
        "us_per_buffer": run["seconds"] / run["buffers"] * 1e6,
        "buffers_per_s": run["pipelines"] * run["buffers"] / run["seconds"],
        "seconds": run["seconds"],
    }
    for field in ("callback-mean-us", "gil-wait-mean-us", "ipc-mean-us"):
        if run["stats"] and all(field in s for s in run["stats"]):
            out[field] = statistics.mean(s[field] for s in run["stats"])
    out.update(run.get("extra", {}))
    return out


def median(values):
    return statistics.median(values) if values else float("nan")


def summarize(records):
    """Medians over the per-run records of one variant."""
    keys = sorted({key for r in records for key in r})
    return {key: median([r[key] for r in records if key in r]) for key in keys}


# --------------------------------------------------------------------------------------------------
# Scenarios. Each one: config(args) in the parent, measure(runner, cfg) in the worker (returns a
# JSON-able dict), tables(result, cfg) in the parent (returns [(title, header, rows, notes)]).


class Scenario:
    key = ""
    title = ""
    # Variant labels to run each in its own process, one process per variant and repeat (empty:
    # the whole scenario runs in one process). Needed when variants would change each other's cost.
    isolated = ()

    def config(self, args):
        raise NotImplementedError

    def measure(self, runner, cfg):
        raise NotImplementedError

    def tables(self, result, cfg):
        raise NotImplementedError


def fmt(value, digits=2):
    if value is None:
        return "n/a"
    if isinstance(value, float) and value != value:
        return "n/a"
    return f"{value:.{digits}f}"


class TrivialCallback(Scenario):
    key = "1"
    title = "Per-buffer overhead of a trivial callback (`return True`)"
    # One process per variant: gvarust keeps a Python thread state on each streaming thread, and
    # GStreamer reuses streaming threads from a pool, so after a gvarust run the gst-python and
    # pad-probe baselines in the same process skip the PyGILState_Ensure set-up and look faster
    # than they are for an application without gvarust (measured: gst-python 22 -> 10 us/buffer).
    isolated = ("identity", "gvarust-function", "gvarust-class", "gst-python", "pad-probe")

    def config(self, args):
        return {"n": args.n1 or (300 if args.quick else 20000), "width": 320, "height": 240}

    def measure(self, runner, cfg):
        n, w, h = cfg["n"], cfg["width"], cfg["height"]
        trivial = HERE / "trivial.py"
        probe_module = load_callback(trivial, "gvarust_bench_trivial_probe")
        Gst = runner.Gst

        def add_probe(pipeline):
            process_frame = probe_module.process_frame

            def probe(pad, info):
                if process_frame(info.get_buffer()):
                    return Gst.PadProbeReturn.OK
                return Gst.PadProbeReturn.DROP

            pipeline.get_by_name("probed").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, probe)

        def variant(middle, setup=None):
            return lambda count: runner.run([middle], count, w, h, setup)

        variants = {
            "identity": (variant("identity"), n),
            "gvarust-function": (variant(gvarust("trivial.py")), n),
            "gvarust-class": (variant(gvarust("trivial.py", **{"class": "Trivial"})), n),
        }
        missing = []
        if runner.has_element("identity_py"):
            variants["gst-python"] = (variant("identity_py"), n)
        else:
            missing.append("gst-python")
        variants["pad-probe"] = (variant("identity name=probed", add_probe), n)
        runs = interleaved(runner, variants, cfg["repeats"], min(200, n), cfg.get("only"))

        # Check that the Python baselines really called the function on every buffer (a counting
        # stand-in for one short run after the measurements).
        def counted(install, label, middle, setup=None):
            calls = []

            def process_frame(frame):
                calls.append(1)
                return True

            restore = install(process_frame)
            try:
                runner.run([middle], 50, w, h, setup)
            finally:
                install(restore)
            if len(calls) != 50:
                raise RuntimeError(f"{label}: the Python function ran {len(calls)} times for 50 buffers")

        def swap(module):
            def install(fn):
                old, module.process_frame = module.process_frame, fn
                return old

            return install

        if "gst-python" in runs:
            counted(swap(sys.modules["identity_py"]), "gst-python", "identity_py")
        if "pad-probe" in runs:
            counted(swap(probe_module), "pad probe", "identity name=probed", add_probe)
        return {"variants": runs, "missing": missing}

    def tables(self, result, cfg):
        v = {label: summarize(records) for label, records in result["variants"].items()}
        base = v["identity"]["us_per_buffer"]
        fn_over = v["gvarust-function"]["us_per_buffer"] - base
        labels = {
            "identity": "identity (baseline)",
            "gvarust-function": "gvarust, function mode",
            "gvarust-class": "gvarust, class mode",
            "gst-python": "gst-python BaseTransform (plugin loader)",
            "pad-probe": "PyGObject pad probe on identity",
        }
        rows = []
        for key, label in labels.items():
            if key not in v:
                rows.append([label, "n/a", "n/a", "n/a", "n/a", "n/a"])
                continue
            us = v[key]["us_per_buffer"]
            over = us - base
            ratio = over / fn_over if key != "identity" and fn_over > 0 else None
            rows.append([
                label,
                fmt(us),
                fmt(us / base),
                fmt(over),
                fmt(ratio, 1) if ratio is not None else ("-" if key == "identity" else "n/a"),
                fmt(v[key].get("callback-mean-us")) if "callback-mean-us" in v[key] else "-",
            ])
        header = ["variant", "us/buffer", "x identity", "over identity (us/buffer)", "overhead x gvarust fn", "gvarust callback-mean-us"]
        notes = [
            f"{cfg['width']}x{cfg['height']} BGRx, {cfg['n']} buffers per run ({cfg['n'] - 1} timed), medians of {cfg['repeats']} runs.",
            "gst-python and the pad probe call the same process_frame() with the Gst.Buffer; gvarust builds a VideoFrame.",
            "Each variant runs in its own process (a warm-up run, then one timed run; rounds interleave the variants).",
        ]
        if result["missing"]:
            notes.append("not available: " + ", ".join(result["missing"]) + " (is gstreamer1.0-python3-plugin-loader installed?)")
        return [(f"Scenario 1: {self.title}", header, rows, notes)]


class MetadataHeavy(Scenario):
    key = "2"
    title = "Metadata-heavy callback: reading 20 regions with 3 parameter structures each"
    WRITER = "writer"
    VARIANTS = {
        "baseline": "writer + identity, no reader (baseline)",
        "gvarust": "gvarust callback (`meta_read.py`)",
        "gvarust-bulk": "gvarust callback, bulk: `frame.regions_array()` only (`meta_read_bulk.py`)",
        "probe-introspection": "PyGObject pad probe, GstVideo introspection",
        "probe-package": "PyGObject pad probe, gvarust package (`VideoFrame`)",
        "probe-classic": "PyGObject pad probe, DL Streamer's classic gstgva (ctypes, `--classic-gstgva`)",
    }

    def config(self, args):
        return {
            "n": args.n2 or (100 if args.quick else 5000),
            "calls_n": 20 if args.quick else 200,
            "width": 320,
            "height": 240,
            "package_path": args.package_path,
            "classic_path": args.classic_gstgva,
        }

    def measure(self, runner, cfg):
        sys.path.insert(0, str(HERE))
        import meta_common

        n, w, h = cfg["n"], cfg["width"], cfg["height"]
        Gst = runner.Gst
        writer = gvarust("meta_write.py", name=self.WRITER)
        missing = {}
        package = None
        try:
            import gstgva as package
        except ImportError as error:
            if cfg.get("package_path"):
                sys.path.insert(0, cfg["package_path"])
                try:
                    import gstgva as package
                except ImportError as error2:
                    missing["probe-package"] = f"`import gstgva` failed ({error2}) with {cfg['package_path']} on sys.path"
            else:
                missing["probe-package"] = (
                    f"`import gstgva` failed in {sys.executable} ({error}); install the package (`pip install "
                    "./python` into a venv) and pass --python VENV/bin/python or --package-python VENV/bin/python"
                )
        package_origin = getattr(package, "__file__", None) if package is not None else None

        read_introspection = meta_common.make_introspection_reader()
        classic = None
        if cfg.get("classic_path"):
            classic = load_classic_gstgva(cfg["classic_path"])
        else:
            missing["probe-classic"] = (
                "no --classic-gstgva DIR (a directory holding DL Streamer's `gstgva` package, e.g. "
                "`python/` of a DL Streamer checkout up to 2024.x); the bench installs nothing"
            )

        def introspection_probe(pad, info):
            read_introspection(info.get_buffer())
            return Gst.PadProbeReturn.OK

        def package_probe(pad, info):
            meta_common.read_frame(package.VideoFrame(info.get_buffer(), caps=pad.get_current_caps()))
            return Gst.PadProbeReturn.OK

        def on_probed(probe):
            def setup(pipeline):
                pipeline.get_by_name("probed").get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, probe)

            return setup

        def variant(middle, setup=None):
            def run(count):
                result = runner.run([f"{writer} ! {middle}"], count, w, h, setup)
                stats = {s["name"]: s for s in result["stats"]}
                result["extra"] = {"writer-callback-mean-us": stats[self.WRITER]["callback-mean-us"]}
                result["stats"] = [s for name, s in stats.items() if name != self.WRITER]
                return result

            return run

        variants = {
            "baseline": (variant("identity"), n),
            "gvarust": (variant(gvarust("meta_read.py", name="reader")), n),
            "gvarust-bulk": (variant(gvarust("meta_read_bulk.py", name="reader")), n),
            "probe-introspection": (variant("identity name=probed", on_probed(introspection_probe)), n),
        }
        if package is not None:
            variants["probe-package"] = (variant("identity name=probed", on_probed(package_probe)), n)
        if classic is not None:

            def classic_probe(pad, info):
                meta_common.read_frame(classic.VideoFrame(info.get_buffer(), caps=pad.get_current_caps()))
                return Gst.PadProbeReturn.OK

            variants["probe-classic"] = (variant("identity name=probed", on_probed(classic_probe)), n)

        # Correctness first: every reader reads the same values, and the values the writer wrote.
        check_n = min(n, 30)
        checks = {}
        for label, (fn, _) in variants.items():
            if label == "baseline":
                continue
            meta_common.RECORD = []
            try:
                fn(check_n)
            finally:
                checks[label], meta_common.RECORD = meta_common.RECORD, None
        for label, got in checks.items():
            expected = meta_common.expected_regions if label == "gvarust-bulk" else meta_common.expected
            want = [expected(i) for i in range(check_n)]
            if got != want:
                bad = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
                raise RuntimeError(
                    f"scenario 2: {label} read {len(got)} frames; frame {bad}: "
                    f"{got[bad] if bad < len(got) else None} != expected {want[bad] if bad < len(want) else None}"
                )

        runs = interleaved(runner, variants, cfg["repeats"], min(50, n))
        # The per-call table: meta_calls_cb.py times each call of the object and bulk API in a
        # loop on every frame and leaves the medians in this process's shared namespace.
        shared = types.SimpleNamespace(calls=None)
        sys.modules["gvarust_bench_calls"] = shared
        runner.run([f"{writer} ! {gvarust('meta_calls_cb.py', name='calls')}"], cfg["calls_n"], w, h)
        return {
            "calls": shared.calls,
            "variants": runs,
            "missing": missing,
            "checked_frames": check_n,
            "checked": sorted(checks),
            "package": package_origin,
            "python": sys.executable,
        }

    def tables(self, result, cfg):
        v = {label: summarize(records) for label, records in result["variants"].items()}
        base = v["baseline"]["us_per_buffer"]
        cost = {label: s["us_per_buffer"] - base for label, s in v.items()}
        ours = cost.get("gvarust")
        rows = []
        for key, label in self.VARIANTS.items():
            if key not in v:
                rows.append([label, "n/a", "n/a", "n/a", "n/a", "n/a"])
                continue
            us = v[key]["us_per_buffer"]
            if key == "baseline":
                ratio = "-"
            elif ours is not None and ours > 0:
                ratio = fmt(cost[key] / ours, 1)
            else:
                ratio = "n/a"
            rows.append([
                label,
                fmt(us),
                fmt(cost[key]) if key != "baseline" else "0.00",
                ratio,
                fmt(v[key]["callback-mean-us"]) if "callback-mean-us" in v[key] else "-",
                fmt(v[key].get("writer-callback-mean-us")),
            ])
        header = [
            "reader",
            "us/frame",
            "reader cost over baseline (us/frame)",
            "cost x gvarust",
            "reader callback-mean-us",
            "writer callback-mean-us",
        ]
        notes = [
            f"{cfg['width']}x{cfg['height']} BGRx, {cfg['n']} frames per run ({cfg['n'] - 1} timed), medians of "
            f"{cfg['repeats']} runs, all variants in one process, interleaved. Pipeline: `videotestsrc ! caps ! "
            f"gvarust module=meta_write.py ! READER ! fakesink`; the writer (not a reader cost: it is in the "
            f"baseline too) adds 20 regions per frame, each with `detection`, `age` and `gender` structures, "
            f"and sets the region ids to 1..20.",
            "Each reader reads rect, label and confidence of every region and label and confidence of `age` and "
            "`gender`. The introspection probe finds regions with "
            "`GstVideo.buffer_get_video_region_of_interest_meta_id(buffer, id)` for the known ids 1..20 and "
            "structures with `get_param(name)` (PyGObject 3.42 cannot list either); the package probe builds "
            "`VideoFrame(info.get_buffer(), caps=pad.get_current_caps())` and runs the gvarust callback's code.",
            f"Checked before timing: the readers ({', '.join(result['checked'])}) read the same per-frame checksum "
            f"(sum of confidences, sum of rect coordinates, total label length) as the writer wrote, "
            f"{result['checked_frames']} frames each.",
            f"scenario interpreter: {result['python']}; package: {result['package'] or 'not importable'}.",
        ]
        for key, reason in result["missing"].items():
            notes.append(f"skipped: {self.VARIANTS[key]}: {reason}")
        probe = cost.get("probe-introspection")
        bulk_callback = v.get("gvarust-bulk", {}).get("callback-mean-us")
        if probe and bulk_callback:
            notes.append(
                f"The bulk reader reads only the region rows (its checksum covers confidences and rects). "
                f"Its cost is within the noise of the wall-clock difference ({fmt(cost['gvarust-bulk'])} us/frame "
                f"over baseline), so it is compared by its callback-mean-us ({fmt(bulk_callback)} us, frame object "
                f"included): the introspection probe's cost over baseline is {probe / bulk_callback:.0f}x that"
                + (
                    f", DL Streamer's classic gstgva's {cost['probe-classic'] / bulk_callback:.0f}x."
                    if cost.get("probe-classic")
                    else "."
                )
            )
        tables = [(f"Scenario 2: {self.title}", header, rows, notes)]
        calls = result.get("calls")
        if calls:
            floor = calls["ns"].get("a Python no-op lambda (the floor)")
            call_rows = [
                [f"`{name}`", f"{ns:.0f}", fmt(ns / floor, 1) if floor else "n/a"]
                for name, ns in calls["ns"].items()
            ]
            tables.append((
                "Scenario 2b: per call, inside a gvarust callback",
                ["call", "ns", "x the no-op lambda"],
                call_rows,
                [
                    f"Frames as in scenario 2 (20 regions, each with `detection`, `age` and `gender`); each call "
                    f"runs {calls['loops']} times in a loop on every frame ([`meta_calls_cb.py`](meta_calls_cb.py)); "
                    f"median over {calls['frames']} frames of the per-frame mean. `t` is the `age` tensor of the "
                    f"first region. The same table alone: `examples/bench/calls.py`."
                ],
            ))
        return tables


class PixelAccess(Scenario):
    key = "3"
    title = "Pixel access (`with frame.data() as a: a[0, 0]`) at two frame sizes"
    SIZES = ((320, 240), (1920, 1080))
    MODULES = ("trivial.py", "pixels.py", "pixels_read.py")
    # "own": the element gets the only reference to the buffer (the scenario as specified).
    # "shared": a tee feeds a second queue-fakesink branch, so the memory is shared while the
    # callback runs (the README's "writable without copying the pixel memory" case).
    # "frozen": imagefreeze repeats one frame, so nothing rewrites 8 MB between calls and the
    # callback runs with warm caches: this isolates what data() itself costs at each size. Its
    # buffers share one memory, so only the READ mapping avoids a copy there.
    UPSTREAM = {
        "own": "{element}",
        "shared": "tee name=t ! queue ! {element} ! fakesink t. ! queue",
        "frozen": "imagefreeze num-buffers={n} ! {element}",
    }

    def config(self, args):
        return {
            "n_small": args.n3_small or (200 if args.quick else 20000),
            "n_large": args.n3_large or (30 if args.quick else 1000),
        }

    def measure(self, runner, cfg):
        variants = {}
        for upstream, template in self.UPSTREAM.items():
            for (w, h), n in zip(self.SIZES, (cfg["n_small"], cfg["n_large"])):
                for module in self.MODULES:
                    element = gvarust(module)
                    variants[f"{upstream}/{w}x{h}/{module}"] = (
                        (
                            lambda count, t=template, e=element, w=w, h=h: runner.run(
                                [t.format(element=e, n=count)], count, w, h
                            )
                        ),
                        n,
                    )
        return {"variants": interleaved(runner, variants, cfg["repeats"], 20)}

    def tables(self, result, cfg):
        v = {label: summarize(records) for label, records in result["variants"].items()}
        rows = []
        for upstream in self.UPSTREAM:
            costs = []
            for (w, h), n in zip(self.SIZES, (cfg["n_small"], cfg["n_large"])):
                trivial, pixels, read = (v[f"{upstream}/{w}x{h}/{m}"] for m in self.MODULES)
                wall = pixels["us_per_buffer"] - trivial["us_per_buffer"]
                inside = pixels["callback-mean-us"] - trivial["callback-mean-us"]
                inside_read = read["callback-mean-us"] - trivial["callback-mean-us"]
                costs.append((wall, inside, inside_read))
                rows.append([
                    f"{w}x{h}, {upstream} buffer",
                    str(n),
                    fmt(trivial["us_per_buffer"]),
                    fmt(pixels["us_per_buffer"]),
                    fmt(wall),
                    fmt(trivial["callback-mean-us"]),
                    fmt(pixels["callback-mean-us"]),
                    fmt(inside),
                    fmt(inside_read),
                ])
            ratios = [fmt(large / small) if small > 0 else "n/a" for small, large in zip(costs[0], costs[1])]
            rows.append([f"ratio large/small, {upstream} buffer", "-", "-", "-", ratios[0], "-", "-", ratios[1], ratios[2]])
        header = [
            "size",
            "buffers",
            "trivial us/buffer",
            "data() us/buffer",
            "data() cost (wall, us)",
            "trivial callback-mean-us",
            "data() callback-mean-us",
            "data() cost (callback, us)",
            "data(READ) cost (callback, us)",
        ]
        notes = [
            f"gvarust function mode, medians of {cfg['repeats']} runs. Costs are differences against the trivial "
            "callback. The wall-clock difference at 1920x1080 is noisy (videotestsrc copies 8 MB per buffer); the "
            "callback columns come from the element's own `stats` (callback-mean-us) and isolate the callback.",
            "own buffer: `... ! gvarust ! fakesink` as specified. shared buffer: `... ! tee name=t ! queue ! gvarust "
            "! fakesink t. ! queue ! fakesink`, so the pixel memory has a second owner while the callback runs. "
            "data() maps READ|WRITE by default; data(READ) is `frame.data(1)`. frozen buffer: `... ! imagefreeze "
            "num-buffers=N ! gvarust ! fakesink` repeats one frame, so no 8 MB rewrite evicts the caches between "
            "calls: the data(READ) column there is what mapping and wrapping cost at each size (its buffers share "
            "one memory, so the default READ|WRITE mapping copies).",
        ]
        return [(f"Scenario 3: {self.title}", header, rows, notes)]


class TwoStreams(Scenario):
    key = "4"
    title = "Two streams in one process (two pipelines, one gvarust each): the GIL ceiling"

    def config(self, args):
        return {
            "n_trivial": args.n4_trivial or (300 if args.quick else 20000),
            "n_heavy": args.n4_heavy or (30 if args.quick else 2000),
            "heavy_us": args.heavy_us,
        }

    def measure(self, runner, cfg):
        iterations = calibrated_heavy(cfg["heavy_us"])
        kinds = {
            "identity": ("identity", cfg["n_trivial"]),
            "trivial": (gvarust("trivial.py"), cfg["n_trivial"]),
            "heavy": (gvarust("heavy.py", **{"class": "Heavy", "kwarg": {"iterations": iterations}}), cfg["n_heavy"]),
        }
        variants = {}
        for kind, (middle, n) in kinds.items():
            for streams in (1, 2):
                variants[f"{kind}/{streams}"] = ((lambda count, m=middle, s=streams: runner.run([m] * s, count)), n)
        return {"variants": interleaved(runner, variants, cfg["repeats"], 20), "iterations": iterations}

    def tables(self, result, cfg):
        v = {label: summarize(records) for label, records in result["variants"].items()}
        rows = []
        labels = {
            "identity": "identity, no Python (machine's ceiling)",
            "trivial": "gvarust trivial (`return True`)",
            "heavy": f"gvarust heavy (pure Python, {result['iterations']} iterations)",
        }
        for kind, n in (("identity", cfg["n_trivial"]), ("trivial", cfg["n_trivial"]), ("heavy", cfg["n_heavy"])):
            one, two = v[f"{kind}/1"], v[f"{kind}/2"]
            rows.append([
                labels[kind],
                str(n),
                fmt(one["buffers_per_s"], 0),
                fmt(two["buffers_per_s"], 0),
                fmt(two["buffers_per_s"] / one["buffers_per_s"]),
                fmt(one["callback-mean-us"]) if "callback-mean-us" in one else "-",
                fmt(two["callback-mean-us"]) if "callback-mean-us" in two else "-",
                fmt(two["gil-wait-mean-us"]) if "gil-wait-mean-us" in two else "-",
            ])
        header = [
            "callback",
            "buffers/stream",
            "1 stream buffers/s",
            "2 streams buffers/s (sum)",
            "scaling (2 vs 1)",
            "callback-mean-us (1)",
            "callback-mean-us (2)",
            "gil-wait-mean-us (2)",
        ]
        notes = [
            f"320x240, medians of {cfg['repeats']} runs; two pipelines started together, timed to the later EOS. "
            f"A scaling of 2.00 is perfect; the identity row is what this machine gives without Python "
            f"({os.cpu_count()} cores, shared with anything else running). The heavy callback holds the GIL, "
            f"so its ceiling is 1.00 whatever the core count.",
        ]
        return [(f"Scenario 4: {self.title}", header, rows, notes)]


def calibrated_heavy(target_us):
    """Iterations of heavy.py's work that take about target_us microseconds here."""
    heavy = load_callback(HERE / "heavy.py", "gvarust_bench_heavy_calibration")
    return calibrate(heavy.work, target_us)


def calibrate(work, target_us):
    """Iterations of work() that take about target_us microseconds in this interpreter."""
    iterations = 1000
    while True:
        start = time.perf_counter()
        work(iterations)
        elapsed_us = (time.perf_counter() - start) * 1e6
        if elapsed_us > 2000 or iterations > 10_000_000:
            break
        iterations *= 2
    per_iteration = []
    for _ in range(5):
        start = time.perf_counter()
        work(iterations)
        per_iteration.append((time.perf_counter() - start) * 1e6 / iterations)
    return max(1, round(target_us / min(per_iteration)))


class Writers(Scenario):
    key = "5"
    title = "Writing metadata: 20 regions per frame through the object API and the bulk API"
    VARIANTS = {
        "baseline": "identity (baseline)",
        "object": "object API: `add_region()` + 2 x `add_tensor()` with label and confidence (`meta_write_api.py`)",
        "plain": "object API: `add_region()` only, 20 plain regions (`meta_write_plain.py`)",
        "bulk": "bulk API: one `add_regions()` call, the same 20 plain regions (`meta_write_bulk.py`)",
        "bulk-tensors": "bulk API: one `add_regions(..., tensors=...)` call, the object API's regions and tensors (`meta_write_bulk_tensors.py`)",
    }

    def config(self, args):
        return {"n": args.n5 or (100 if args.quick else 3000), "width": 320, "height": 240}

    def measure(self, runner, cfg):
        n, w, h = cfg["n"], cfg["width"], cfg["height"]

        def variant(middle):
            return lambda count: runner.run([middle], count, w, h)

        variants = {
            "baseline": (variant("identity"), n),
            "object": (variant(gvarust("meta_write_api.py", name="writer")), n),
            "plain": (variant(gvarust("meta_write_plain.py", name="writer")), n),
            "bulk": (variant(gvarust("meta_write_bulk.py", name="writer")), n),
            "bulk-tensors": (variant(gvarust("meta_write_bulk_tensors.py", name="writer")), n),
        }
        return {"variants": interleaved(runner, variants, cfg["repeats"], min(50, n))}

    def tables(self, result, cfg):
        v = {label: summarize(records) for label, records in result["variants"].items()}
        base = v["baseline"]["us_per_buffer"]
        rows = []
        for key, label in self.VARIANTS.items():
            us = v[key]["us_per_buffer"]
            rows.append([
                label,
                fmt(us),
                fmt(us - base) if key != "baseline" else "0.00",
                fmt(v[key]["callback-mean-us"]) if "callback-mean-us" in v[key] else "-",
            ])
        plain, bulk = v["plain"].get("callback-mean-us"), v["bulk"].get("callback-mean-us")
        notes = [
            f"{cfg['width']}x{cfg['height']} BGRx, {cfg['n']} frames per run, medians of {cfg['repeats']} runs, "
            f"interleaved. The writers take their values from tables computed at import "
            f"([`meta_common.py`](meta_common.py)), so `callback-mean-us` is the API's cost plus the callback's "
            f"loop, not arithmetic.",
        ]
        if plain and bulk:
            notes.append(f"`add_regions()` writes the 20 plain regions {plain / bulk:.1f}x faster than 20 `add_region()` calls.")
        objects, bulk_tensors = v["object"].get("callback-mean-us"), v["bulk-tensors"].get("callback-mean-us")
        if objects and bulk_tensors:
            notes.append(
                f"With `tensors=`, one `add_regions()` call writes the regions with their age and gender tensors "
                f"{objects / bulk_tensors:.1f}x faster than the object API."
            )
        return [(f"Scenario 5: {self.title}", ["writer", "us/frame", "cost over baseline (us/frame)", "writer callback-mean-us"], rows, notes)]


def launch_seconds(chains, n):
    """Wall time of one gst-launch-1.0 run of `chains` (each "middle", fed by SOURCE with n
    buffers into SINK, all in one pipeline), from start to exit."""
    words = []
    for middle in chains:
        words.append(f"{SOURCE.format(n=n, width=320, height=240)} ! {middle} ! {SINK}")
    command = ["gst-launch-1.0", "-q"] + " ".join(words).split()
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{proc.stdout}{proc.stderr}")
    return seconds


class Isolation(Scenario):
    key = "6"
    title = "isolation=process: the callback in a worker process"

    def config(self, args):
        return {
            "n_small": args.n6_small or (200 if args.quick else 5000),
            "n_large": args.n6_large or (20 if args.quick else 300),
            "n_heavy": args.n6_heavy or (10 if args.quick else 250),
            "heavy_us": args.n6_heavy_us,
        }

    def measure(self, runner, cfg):
        variants = {}
        for size, (w, h), n in (("small", (320, 240), cfg["n_small"]), ("large", (1920, 1080), cfg["n_large"])):
            for label, middle in (
                ("identity", "identity"),
                ("none", gvarust("trivial.py")),
                ("process", gvarust("trivial.py", isolation="process")),
            ):
                variants[f"{size}/{label}"] = ((lambda count, m=middle, w=w, h=h: runner.run([m], count, w, h)), n)
        results = interleaved(runner, variants, cfg["repeats"], 5)
        # The streams run in gst-launch-1.0, where both isolation modes run Python from the
        # shared libpython, as in a C or Rust application. In this bench process, isolation=none
        # would run on the interpreter executing the bench (Debian's python3, with libpython
        # linked in statically and faster) while a worker runs the shared one.
        iterations = calibrated_heavy(cfg["heavy_us"])
        heavy_props = {"class": "Heavy", "kwarg": {"iterations": iterations}}
        streams = {f"heavy/{isolation}/{count}": [] for isolation in ("none", "process") for count in (1, 2)}
        n = cfg["n_heavy"]
        for _ in range(cfg["repeats"]):
            for isolation in ("none", "process"):
                middle = gvarust("heavy.py", isolation=isolation, **heavy_props)
                for count in (1, 2):
                    # A one-buffer run of the same pipeline measures start-up and stop.
                    base = launch_seconds([middle] * count, 1)
                    seconds = launch_seconds([middle] * count, n) - base
                    streams[f"heavy/{isolation}/{count}"].append(
                        {"buffers_per_s": count * (n - 1) / seconds, "seconds": seconds}
                    )
        results.update(streams)
        return {"variants": results, "iterations": iterations}

    def tables(self, result, cfg):
        v = {label: summarize(records) for label, records in result["variants"].items()}
        rows = []
        for size, title in (("small", "320x240"), ("large", "1920x1080")):
            base = v[f"{size}/identity"]["us_per_buffer"]
            for label in ("none", "process"):
                item = v[f"{size}/{label}"]
                rows.append([
                    f"{title}, isolation={label}",
                    fmt(item["us_per_buffer"] - base),
                    fmt(item.get("callback-mean-us", 0.0)),
                    fmt(item.get("ipc-mean-us", 0.0)) if label == "process" else "-",
                ])
        ipc_ratio = v["large/process"].get("ipc-mean-us", 0.0) / max(v["small/process"].get("ipc-mean-us", 0.0), 1e-9)
        overhead = (
            f"Scenario 6a: {self.title}, per-buffer overhead of a trivial callback",
            ["variant", "over identity (us/buffer)", "callback-mean-us", "ipc-mean-us"],
            rows,
            [
                f"BGRx frames from videotestsrc, {cfg['n_small']} (320x240) and {cfg['n_large']} (1920x1080) "
                f"buffers per run, medians of {cfg['repeats']} runs. With isolation=process videotestsrc "
                f"writes into the memfd pool the element proposes, so the worker maps each frame without "
                f"a copy. The worker polls for the next frame about as long as frames take to come (at "
                f"most 2 ms), so at 1920x1080, where the source takes about 1 ms per frame, it is awake "
                f"when the frame arrives. ipc-mean-us at 1920x1080 is {ipc_ratio:.2f}x that at 320x240; "
                f"the wall-clock figures at 1920x1080 swing by tens of us with the source's 8 MB writes.",
            ],
        )
        rows = []
        for isolation in ("none", "process"):
            one, two = v[f"heavy/{isolation}/1"], v[f"heavy/{isolation}/2"]
            rows.append([
                f"isolation={isolation}",
                fmt(one["buffers_per_s"], 0),
                fmt(two["buffers_per_s"], 0),
                fmt(two["buffers_per_s"] / one["buffers_per_s"]),
            ])
        gain = v["heavy/process/2"]["buffers_per_s"] / v["heavy/none/2"]["buffers_per_s"]
        streams = (
            f"Scenario 6b: two streams in one gst-launch-1.0 pipeline, each with a pure-Python callback of about {cfg['heavy_us'] / 1000:g} ms",
            ["isolation", "1 stream buffers/s", "2 streams buffers/s (sum)", "scaling (2 vs 1)"],
            rows,
            [
                f"{cfg['n_heavy']} buffers per stream, medians of {cfg['repeats']} runs, {result['iterations']} "
                f"iterations of heavy.py's work (calibrated in this process; in gst-launch-1.0 they take longer, "
                f"on the shared libpython). Wall time minus that of a one-buffer run of the same pipeline. "
                f"Two streams with isolation=process move {fmt(gain)}x the buffers of isolation=none "
                f"({os.cpu_count()} cores here; the ceiling is min(streams, cores)).",
            ],
        )
        return [overhead, streams]


SCENARIOS = [TrivialCallback(), MetadataHeavy(), PixelAccess(), TwoStreams(), Writers(), Isolation()]


# --------------------------------------------------------------------------------------------------
# Parent side.


def worker_main(key, cfg_json, out_path):
    cfg = json.loads(cfg_json)
    scenario = next(s for s in SCENARIOS if s.key == key)
    runner = Runner()
    result = scenario.measure(runner, cfg)
    result["gstreamer"] = ".".join(map(str, runner.Gst.version()))
    pathlib.Path(out_path).write_text(json.dumps(result))


def machine_header(args, plugin, gstreamer, loadavg):
    cpu = "unknown CPU"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    versions = {"Python": platform.python_version()}
    versions["GStreamer"] = gstreamer or "unknown"
    try:
        import gi

        versions["PyGObject"] = gi.__version__
    except ImportError:
        pass
    try:
        import numpy

        versions["numpy"] = numpy.__version__
    except ImportError:
        pass
    rustc = shutil.which("rustc") or str(pathlib.Path.home() / ".cargo" / "bin" / "rustc")
    try:
        versions["rustc"] = subprocess.run([rustc, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    except (OSError, subprocess.CalledProcessError, IndexError):
        pass
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    lines = [
        "# gvarust benchmark",
        "",
        f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {cpu}, {os.cpu_count()} cores ({usable} usable), {platform.system()} {platform.release()}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- plugin: {plugin}" + (f" (commit {commit})" if commit else ""),
        f"- scenario interpreter: {args.python}",
        f"- load average at start: {' '.join(f'{x:.2f}' for x in loadavg)}",
        f"- repeats: {args.repeats}{' (quick mode)' if args.quick else ''}",
    ]
    return lines


def markdown_table(header, rows):
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    out = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(header, widths)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        out.append("| " + " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))) + " |")
    return out


def build_release():
    cargo = shutil.which("cargo") or str(pathlib.Path.home() / ".cargo" / "bin" / "cargo")
    print(f"$ cargo build --release  (in {REPO})", file=sys.stderr, flush=True)
    subprocess.run([cargo, "build", "--release"], cwd=REPO, check=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny N and one repeat: checks that everything runs, measures nothing")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per variant (default 5; 1 with --quick)")
    parser.add_argument("--plugin-dir", type=pathlib.Path, default=None, help="directory of libgstgvarust.so; skips the cargo build (default: cargo build --release, target/release)")
    parser.add_argument("--no-build", action="store_true", help="use target/release as it is")
    parser.add_argument("--scenario", action="append", choices=[s.key for s in SCENARIOS], help="run only this scenario (repeatable)")
    parser.add_argument("--n1", type=int, help="buffers per run, scenario 1 (default 20000)")
    parser.add_argument("--n2", type=int, help="frames per run, scenario 2 (default 5000)")
    parser.add_argument("--n5", type=int, help="frames per run, scenario 5 (default 3000)")
    parser.add_argument("--n6-small", type=int, help="buffers per run at 320x240, scenario 6 (default 5000)")
    parser.add_argument("--n6-large", type=int, help="buffers per run at 1920x1080, scenario 6 (default 300)")
    parser.add_argument("--n6-heavy", type=int, help="buffers per stream, scenario 6 two-stream runs (default 250)")
    parser.add_argument("--n6-heavy-us", type=float, default=4000.0, help="pure-Python work per buffer of scenario 6's heavy callback (default 4000)")
    parser.add_argument("--n3-small", type=int, help="buffers per run at 320x240, scenario 3 (default 20000)")
    parser.add_argument("--n3-large", type=int, help="buffers per run at 1920x1080, scenario 3 (default 1000)")
    parser.add_argument("--n4-trivial", type=int, help="buffers per stream, scenario 4 trivial callback (default 20000)")
    parser.add_argument("--n4-heavy", type=int, help="buffers per stream, scenario 4 heavy callback (default 2000)")
    parser.add_argument("--heavy-us", type=float, default=200.0, help="target pure-Python work per buffer of the heavy callback (default 200)")
    parser.add_argument("--python", default=sys.executable, help="interpreter of the scenario subprocesses (default: the one running the bench, /usr/bin/python3 as documented); e.g. target/pyenv/bin/python, a venv over Debian's Python with the gvarust package, for scenario 2's package pad probe")
    parser.add_argument("--classic-gstgva", metavar="DIR", help="scenario 2: also time DL Streamer's classic gstgva package (pure Python over ctypes) in a pad probe, imported from DIR/gstgva (for example python/ of a DL Streamer checkout up to 2024.x)")
    parser.add_argument("--package-python", help="scenario 2: when `import gstgva` fails in the scenario interpreter, take the gvarust package from this interpreter's site-packages (e.g. target/pyenv/bin/python)")
    parser.add_argument("--json", type=pathlib.Path, help="also write the raw results to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.package_path = None
    # Absolute but not resolved: a venv's bin/python is a symlink, and the venv is in its path.
    if os.sep in args.python:
        args.python = os.path.abspath(args.python)
    if args.package_python and os.sep in args.package_python:
        args.package_python = os.path.abspath(args.package_python)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.worker:
        worker_main(args.worker, args.config, args.out)
        return 0

    if args.plugin_dir is None:
        if not args.no_build:
            build_release()
        plugin_dir = REPO / "target" / "release"
    else:
        plugin_dir = args.plugin_dir.resolve()
    plugin = plugin_dir / "libgstgvarust.so"
    if not plugin.exists():
        sys.exit(f"{plugin} not found")

    if args.package_python:
        # The directory holding the gvarust and gstgva packages of that interpreter (same Python
        # version expected: a venv over Debian's Python).
        probe = subprocess.run(
            [args.package_python, "-c", "import gstgva, os; print(os.path.dirname(os.path.dirname(os.path.abspath(gstgva.__file__))))"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0:
            args.package_path = probe.stdout.strip()
        else:
            print(f"--package-python: `import gstgva` failed in {args.package_python}: {probe.stderr.strip()}", file=sys.stderr)

    started = time.monotonic()
    loadavg = os.getloadavg()
    output = []
    raw = {}
    failed = []
    with tempfile.TemporaryDirectory(prefix="gvarust-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "python").mkdir()
        # Only the element's library goes on the plugin path (not the whole target directory, which
        # holds other shared objects the plugin scanner would try to load).
        (tmp / plugin.name).symlink_to(plugin)
        # isolation=process (scenario 6) finds its worker program next to the plugin.
        (tmp / "gvarust-worker").symlink_to(plugin.with_name("gvarust-worker"))
        (tmp / "python" / "identity_py.py").write_text(IDENTITY_PY.format(callback=str(HERE / "trivial.py")))
        env = dict(os.environ)
        env["GST_PLUGIN_PATH"] = str(tmp)
        env["GST_REGISTRY"] = str(tmp / "registry.bin")
        env.pop("GST_PLUGIN_PATH_1_0", None)
        env.pop("GST_REGISTRY_1_0", None)
        for scenario in SCENARIOS:
            if args.scenario and scenario.key not in args.scenario:
                continue
            cfg = scenario.config(args)
            cfg["repeats"] = args.repeats
            print(f"running scenario {scenario.key}: {scenario.title} ...", file=sys.stderr, flush=True)
            t0 = time.monotonic()
            if scenario.isolated:
                # Round after round, each variant once, each run in a fresh process.
                jobs = [dict(cfg, repeats=1, only=label) for _ in range(args.repeats) for label in scenario.isolated]
            else:
                jobs = [cfg]
            result = None
            for index, job in enumerate(jobs):
                out_path = tmp / f"scenario-{scenario.key}-{index}.json"
                proc = subprocess.run(
                    [args.python, str(pathlib.Path(__file__).resolve()), "--worker", scenario.key, "--config", json.dumps(job), "--out", str(out_path)],
                    env=env,
                    cwd=str(HERE),
                )
                if proc.returncode != 0 or not out_path.exists():
                    result = None
                    break
                part = json.loads(out_path.read_text())
                if result is None:
                    result = part
                else:
                    for label, records in part["variants"].items():
                        result["variants"].setdefault(label, []).extend(records)
            if result is None:
                failed.append(scenario.key)
                output += ["", f"## Scenario {scenario.key}: {scenario.title}", "", f"FAILED (worker exit status {proc.returncode})"]
                continue
            print(f"  done in {time.monotonic() - t0:.1f} s", file=sys.stderr, flush=True)
            raw[scenario.key] = {"config": cfg, "result": result}
            for title, header, rows, notes in scenario.tables(result, cfg):
                output += ["", f"## {title}", ""]
                output += markdown_table(header, rows)
                output += [""] + notes
    gstreamer = next((r["result"].get("gstreamer") for r in raw.values()), None)
    output = machine_header(args, plugin, gstreamer, loadavg) + output
    output += ["", f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; total {time.monotonic() - started:.0f} s"]
    print("\n".join(output), flush=True)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
