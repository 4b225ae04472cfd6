"""The type stubs match the runtime module, so they cannot drift.

Every public name of ``gvarust``, ``gvarust.util`` and ``gstgva`` must be in
its stub and every name in a stub must exist at runtime; the same for the
members of every class (methods, properties, enum members, and the dunders
that matter for typing), and the parameter names of every method whose
runtime signature is known.
"""

import ast
import enum
import importlib
import inspect
import pathlib
import sys

import pytest

import gvarust
import gvarust.util

STUBS = pathlib.Path(gvarust.__file__).resolve().parent
# The pip package installs gstgva next to gvarust. (sys.modules["gstgva"] may be the
# gvarust element's built-in copy once a pipeline ran in this process.)
GSTGVA_STUBS = STUBS.parent / "gstgva"

CHECKED_DUNDERS = {"__init__", "__getitem__", "__setitem__", "__iter__", "__len__", "__enter__", "__exit__"}
# Attributes set on instances, not visible in dir() of the class.
INSTANCE_ATTRIBUTES = {"Message": {"meta"}}


def public(name):
    if name.startswith("__") and name.endswith("__"):
        return name in CHECKED_DUNDERS
    return not name.startswith("_")


def stub_names(body):
    """Names a stub body defines: {name: ast node} (classes, functions, attributes, re-exports)."""
    names = {}
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
        elif isinstance(node, ast.ImportFrom):
            # Only explicit re-exports (`import x as x`) are part of a stub's interface.
            for alias in node.names:
                if alias.asname is not None and alias.asname == alias.name:
                    names[alias.asname] = node
        elif isinstance(node, ast.If):
            names.update(stub_names(node.body))
    return names


def parse(path):
    return stub_names(ast.parse(path.read_text(), filename=str(path)).body)


def runtime_public(module):
    return {n for n in dir(module) if public(n) or n == "__version__"} - {"_native"}


def stub_public(names):
    return {n for n in names if public(n) or n == "__version__"} - {"__all__"}


def builtin_base_names(cls):
    """Names that come from bases outside the module (object, str, tuple, exceptions)."""
    names = set()
    for base in cls.__mro__[1:]:
        if not base.__module__.startswith("gvarust"):
            names |= set(dir(base))
    return names


def runtime_members(cls):
    inherited = builtin_base_names(cls)
    members = {n for n in dir(cls) if public(n) and n not in inherited and n != "__init__"}
    members |= INSTANCE_ATTRIBUTES.get(cls.__name__, set())
    # A constructor: pyo3 classes with #[new] carry its text signature.
    if getattr(cls, "__text_signature__", None) is not None:
        members.add("__init__")
    for name in CHECKED_DUNDERS - {"__init__"}:
        if name in cls.__dict__ or any(name in b.__dict__ for b in cls.__mro__[1:] if b.__module__.startswith("gvarust")):
            members.add(name)
    return members


def stub_members(cls_node, classes):
    """Members of a stub class, including those of its stub base classes."""
    members = {n for n in stub_names(cls_node.body) if public(n)}
    for base in cls_node.bases:
        if isinstance(base, ast.Name) and base.id in classes:
            members |= stub_members(classes[base.id], classes)
    return members


def stub_params(func):
    args = func.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return [n for n in names if n not in ("self", "cls")]


def runtime_params(obj):
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    names = []
    for p in signature.parameters.values():
        if p.name in ("self", "cls", "$self", "$type"):
            continue
        prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        names.append(prefix + p.name)
    return names


def check_module(module, stub_path):
    names = parse(stub_path)
    runtime = runtime_public(module)
    stubbed = stub_public(names)
    assert sorted(runtime - stubbed) == [], f"missing from {stub_path.name}"
    assert sorted(stubbed - runtime) == [], f"in {stub_path.name} but not at runtime"
    classes = {n: node for n, node in names.items() if isinstance(node, ast.ClassDef)}
    problems = []
    for name, node in classes.items():
        if name not in runtime:
            continue
        cls = getattr(module, name)
        check_class(f"{module.__name__}.{name}", cls, node, classes, problems)
    for name, node in names.items():
        if isinstance(node, ast.FunctionDef) and name in runtime:
            expected = runtime_params(getattr(module, name))
            if expected is not None and expected != stub_params(node):
                problems.append(f"{name}: runtime parameters {expected}, stub {stub_params(node)}")
    assert problems == []


def check_class(label, cls, node, classes, problems):
    if isinstance(cls, enum.EnumMeta):
        runtime = {m.name: m.value for m in cls}
        stub = {}
        for item in node.body:
            if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant):
                stub[item.targets[0].id] = item.value.value
        if runtime != stub:
            problems.append(f"{label}: enum members {runtime} != stub {stub}")
        return
    runtime = runtime_members(cls)
    stub = stub_members(node, classes)
    for name in sorted(runtime - stub):
        problems.append(f"{label}.{name} is missing from the stub")
    for name in sorted(stub - runtime):
        problems.append(f"{label}.{name} is in the stub but not at runtime")
    own = stub_names(node.body)
    for name in sorted(runtime & stub):
        item = own.get(name)
        if item is None:
            continue
        if isinstance(item, ast.ClassDef):
            check_class(f"{label}.{name}", getattr(cls, name), item, classes, problems)
            continue
        if not isinstance(item, ast.FunctionDef) or any(
            isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list
        ):
            continue
        if name == "__init__":
            expected = runtime_params(cls) if getattr(cls, "__text_signature__", None) else None
        else:
            expected = runtime_params(getattr(cls, name))
        if expected is not None and expected != stub_params(item):
            problems.append(f"{label}.{name}: runtime parameters {expected}, stub {stub_params(item)}")


def test_gvarust_stub_matches_the_module():
    check_module(gvarust, STUBS / "__init__.pyi")


def test_util_stub_matches_the_module():
    check_module(gvarust.util, STUBS / "util.pyi")


def pip_module(name):
    """Imports `name` from the pip package, not the element's built-in copy of gstgva."""
    saved = {k: v for k, v in sys.modules.items() if k == "gstgva" or k.startswith("gstgva.")}
    for key in saved:
        del sys.modules[key]
    try:
        module = importlib.import_module(name)
        assert pathlib.Path(module.__file__).resolve().is_relative_to(GSTGVA_STUBS)
        return module
    finally:
        for key in [k for k in sys.modules if k == "gstgva" or k.startswith("gstgva.")]:
            del sys.modules[key]
        sys.modules.update(saved)


def stub_path(name):
    """The stub of module `name` of the gstgva package (a package's is its __init__.pyi)."""
    path = GSTGVA_STUBS.joinpath(*name.split(".")[1:])
    return path / "__init__.pyi" if path.is_dir() or name == "gstgva" else path.with_suffix(".pyi")


@pytest.mark.parametrize("name", ["gstgva", "gstgva.audio", "gstgva.audio.audio_frame",
                                  "gstgva.audio.audio_event", "gstgva.audio.audio_event_meta",
                                  "gstgva.util", "gstgva.video_frame",
                                  "gstgva.region_of_interest", "gstgva.tensor"])
def test_gstgva_stubs_match_the_modules(name):
    module = pip_module(name)
    path = stub_path(name)
    stubbed = {n for n in stub_public(parse(path))}
    runtime = {n for n in runtime_public(module) if not inspect.ismodule(getattr(module, n))}
    # Submodules are re-exported in a package's stub; at runtime they appear once imported.
    stubbed = {n for n in stubbed if not (path.parent / f"{n}.pyi").exists() and not (path.parent / n).is_dir()}
    assert sorted(runtime ^ stubbed) == []


def test_the_stubs_are_installed_next_to_the_modules():
    for path in (STUBS / "__init__.pyi", STUBS / "util.pyi", STUBS / "py.typed", GSTGVA_STUBS / "__init__.pyi"):
        assert path.exists(), path
