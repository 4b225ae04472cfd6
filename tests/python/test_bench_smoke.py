"""The benchmark harness (examples/bench/bench.py) runs end to end in quick mode.

This checks the structure of its report (every scenario, every row, numbers in the cells), never
the speed: quick mode runs a few hundred buffers once, so its numbers mean nothing.
The bench runs as a subprocess with its own GStreamer registry and plugin path.
"""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
BENCH = REPO / "examples" / "bench" / "bench.py"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"

# Scenario 2's package pad probe needs the gvarust package in the scenario interpreter: the one
# running pytest when it has the package (scripts/test.sh's target/pyenv does), else the bench skips it.
HAS_PACKAGE = importlib.util.find_spec("gstgva") is not None

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

EXPECTED = {
    "Scenario 1": [
        "identity (baseline)",
        "gvarust, function mode",
        "gvarust, class mode",
        "gst-python BaseTransform (plugin loader)",
        "PyGObject pad probe on identity",
    ],
    "Scenario 2": [
        "writer + identity, no reader (baseline)",
        "gvarust callback (`meta_read.py`)",
        "gvarust callback, bulk: `frame.regions_array()` only",
        "PyGObject pad probe, GstVideo introspection",
        "PyGObject pad probe, gvarust package (`VideoFrame`)",
        "PyGObject pad probe, DL Streamer's classic gstgva",
    ],
    # In the order meta_calls_cb.py measures them.
    "Scenario 2b": [
        "`a Python no-op lambda (the floor)`",
        "`list(frame.regions()) (20 regions)`",
        "`roi.rect()`",
        "`list(roi.tensors()) (3 tensors)`",
        '`t["label"]`',
        "`t.label()`",
        "`t.confidence()`",
        "`roi.confidence()`",
        "`roi.label()`",
        "`t.is_detection()`",
        "`frame.regions_array() (20 regions)`",
        "`frame.regions_labels() (20 regions)`",
    ],
    "Scenario 3": [
        "320x240, own buffer",
        "1920x1080, own buffer",
        "ratio large/small, own buffer",
        "320x240, shared buffer",
        "1920x1080, shared buffer",
        "ratio large/small, shared buffer",
        "320x240, frozen buffer",
        "1920x1080, frozen buffer",
        "ratio large/small, frozen buffer",
    ],
    "Scenario 4": [
        "identity, no Python",
        "gvarust trivial (`return True`)",
        "gvarust heavy (pure Python",
    ],
    "Scenario 5": [
        "identity (baseline)",
        "object API: `add_region()` + 2 x `add_tensor()`",
        "object API: `add_region()` only",
        "bulk API: one `add_regions()` call",
        "bulk API: one `add_regions(..., tensors=...)` call",
    ],
    "Scenario 6a": [
        "320x240, isolation=none",
        "320x240, isolation=process",
        "1920x1080, isolation=none",
        "1920x1080, isolation=process",
    ],
    "Scenario 6b": [
        "isolation=none",
        "isolation=process",
    ],
}


def _plugin_dir():
    configured = os.environ.get("GVARUST_PLUGIN_DIR")
    candidates = [pathlib.Path(configured)] if configured else [REPO / "target" / "debug", REPO / "target" / "release"]
    for directory in candidates:
        if (directory / "libgstgvarust.so").exists():
            return directory
    raise RuntimeError(f"libgstgvarust.so not found in {candidates}; run `cargo build` first")


def _sections(report):
    """{"Scenario N": [table rows as lists of cells]} from the markdown report."""
    sections = {}
    current = None
    for line in report.splitlines():
        if line.startswith("## Scenario "):
            current = sections.setdefault(line[3:].split(":")[0], [])
            continue
        if current is not None and line.startswith("|") and not line.startswith("|-"):
            current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return sections


def test_bench_quick_mode_reports_every_scenario(tmp_path):
    env = dict(os.environ)
    for name in ("GST_PLUGIN_PATH", "GST_REGISTRY"):
        env.pop(name, None)
    raw = tmp_path / "bench.json"
    command = [PYTHON, str(BENCH), "--quick", "--plugin-dir", str(_plugin_dir()), "--json", str(raw)]
    if HAS_PACKAGE:
        command += ["--python", sys.executable]
    proc = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = proc.stdout
    for header in ("# gvarust benchmark", "- machine:", "- date:", "GStreamer 1.", "Python 3."):
        assert header in report, report
    assert "FAILED" not in report, report

    sections = _sections(report)
    assert sorted(sections) == sorted(EXPECTED), report
    for scenario, labels in EXPECTED.items():
        header, *rows = sections[scenario]
        assert len(rows) == len(labels), f"{scenario}: {rows}"
        for label, row in zip(labels, rows):
            assert row[0].startswith(label), f"{scenario}: {row[0]!r} is not {label!r}"
            assert len(row) == len(header), row
            cells = row[1:]
            if (not HAS_PACKAGE and "gvarust package" in label) or "classic gstgva" in label:
                # Rows whose package is not there (the classic one never is in the tests).
                assert all(cell == "n/a" for cell in cells), row
                continue
            # "-": does not apply. "n/a": a ratio whose denominator is not positive, which quick mode's
            # tiny runs can produce; measured values themselves are always numbers (checked below).
            assert all(NUMBER.match(cell) or cell in ("-", "n/a") for cell in cells), f"{scenario}: {row}"
            assert any(NUMBER.match(cell) for cell in cells), f"{scenario}: no number in {row}"
    # Measured values (not ratios) are numbers in every row.
    for row in sections["Scenario 1"][1:]:
        assert NUMBER.match(row[1]) and NUMBER.match(row[3]), row
    for row in sections["Scenario 2"][1:]:
        if "classic gstgva" in row[0]:
            continue
        if HAS_PACKAGE or "gvarust package" not in row[0]:
            assert NUMBER.match(row[1]) and NUMBER.match(row[2]) and NUMBER.match(row[5]), row
    assert sections["Scenario 2"][2][4] != "-", "the gvarust reader reports its callback-mean-us"
    # The bench checks that every reader read what the writer wrote before it times anything.
    assert "read the same per-frame checksum" in report, report
    if not HAS_PACKAGE:
        assert "skipped: PyGObject pad probe, gvarust package" in report, report
    assert "skipped: PyGObject pad probe, DL Streamer's classic gstgva" in report, report
    for row in sections["Scenario 3"][1:]:
        if not row[0].startswith("ratio"):
            assert all(NUMBER.match(cell) for cell in row[1:]), row
    for row in sections["Scenario 4"][1:]:
        assert all(NUMBER.match(cell) for cell in row[1:5]), row
        if row[0].startswith("gvarust"):
            assert all(NUMBER.match(cell) for cell in row[5:]), row
    assert raw.exists() and raw.stat().st_size > 0


def test_gil_wait_bench_prints_a_row_per_switch_interval():
    # Structure only: a few buffers per interval, numbers not compared.
    report = _run_bench_script(
        "gil_wait.py", "--buffers", "10", "--intervals", "0.005", "0.0005", "--python", sys.executable
    )
    rows = [line.split() for line in report.splitlines() if line.strip().endswith(tuple("0123456789"))]
    assert [row[:2] for row in rows] == [["5.00", "ms"], ["0.50", "ms"]], report
    for row in rows:
        assert row[2] == "10" and all(NUMBER.match(cell) for cell in row[3:]), report


def _run_bench_script(name, *args):
    """Runs examples/bench/NAME on the test plugin (its own registry); returns its stdout."""
    env = dict(os.environ)
    for variable in ("GST_PLUGIN_PATH", "GST_REGISTRY"):
        env.pop(variable, None)
    proc = subprocess.run(
        [PYTHON, str(BENCH.with_name(name)), "--plugin-dir", str(_plugin_dir()), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _table_rows(report):
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in report.splitlines()
        if line.startswith("| ") and not line.startswith("| variant") and not line.startswith("| call")
    ]


def test_meta_calls_bench_prints_a_row_per_call():
    # Structure only: a few frames, numbers not compared.
    rows = _table_rows(_run_bench_script("calls.py", "--frames", "5"))
    assert len(rows) == 12, rows
    assert "`a Python no-op lambda (the floor)`" in [row[0] for row in rows]
    assert all(NUMBER.match(row[1]) for row in rows), rows


def test_launch_bench_prints_start_up_and_slope():
    # Structure only: tiny runs, one round.
    report = _run_bench_script("launch.py", "--long", "50", "--rounds", "1", "--pattern", "black")
    rows = _table_rows(report)
    assert [row[0] for row in rows] == ["identity", "gvarust"], report
    assert all(NUMBER.match(cell) for row in rows for cell in row[1:]), report
    assert "gvarust over identity: start-up" in report


def test_instruction_bench_counts_each_element_alone():
    # A few frames under callgrind. The reader runs behind the writer, and only its own
    # callbacks are counted: the trivial callback counts far fewer instructions than it.
    report = _run_bench_script("instructions.py", "--frames", "3", "--case", "trivial", "--case", "reader, object")
    rows = [row for row in _table_rows(report) if row[0] != "case"]
    assert [row[0].split(" (")[0] for row in rows] == ["trivial callback", "reader, object API"], report
    counts = []
    for row in rows:
        match = re.fullmatch(r"([\d,]+) \(([\d,]+)\)", row[1])
        assert match, row
        least, median = (int(group.replace(",", "")) for group in match.groups())
        assert 0 < least <= median, row
        counts.append(least)
    trivial, reader = counts
    assert reader > 20 * trivial, report
