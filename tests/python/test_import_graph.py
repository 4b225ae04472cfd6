"""The Python layer's Rust modules import one way, and the model stays free of pyo3.

`scripts/check-import-graph.py` builds the module graph of python/src/py/ from
the `super::`/`crate::py::` paths and fails on a cycle.
"""

import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "check-import-graph.py"
SRC = REPO / "python" / "src"


def run(directory=None):
    args = [sys.executable, str(SCRIPT)] + ([str(directory)] if directory else [])
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def test_python_layer_has_no_import_cycle():
    result = run()
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_check_finds_a_cycle(tmp_path):
    (tmp_path / "mod.rs").write_text("mod a;\nmod b;\npub use a::A;\n")
    (tmp_path / "a.rs").write_text("use super::b::B; // super::nothing\npub struct A;\n")
    (tmp_path / "b.rs").write_text(
        'use std::fmt;\nconst S: &str = "super::mod";\npub struct B;\n'
        "fn f() { super::a::A; }\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n"
    )
    result = run(tmp_path)
    assert result.returncode == 1
    assert "a -> b -> a" in result.stdout or "b -> a -> b" in result.stdout


def test_items_of_mod_rs_close_a_cycle(tmp_path):
    (tmp_path / "mod.rs").write_text("mod a;\npub use a::A;\npub fn helpers() {}\n")
    (tmp_path / "a.rs").write_text("pub struct A;\nfn f() { super::helpers(); }\n")
    result = run(tmp_path)
    assert result.returncode == 1
    assert "mod" in result.stdout


def test_the_model_does_not_use_pyo3():
    model = [p for p in SRC.rglob("*.rs") if "py" not in p.relative_to(SRC).parts[:1]]
    model = [p for p in model if p.name != "extension.rs"]
    assert model
    offenders = [str(p.relative_to(REPO)) for p in model if re.search(r"\b(pyo3|numpy)::", p.read_text())]
    assert offenders == []
