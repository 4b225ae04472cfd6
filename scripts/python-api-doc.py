#!/usr/bin/env python3
"""Writes docs/python-api.md, the Python API reference, from the docstrings and
signatures of the installed `gvarust` module (run it with the venv's Python).

    target/pyenv/bin/python scripts/python-api-doc.py          # rewrite the file
    target/pyenv/bin/python scripts/python-api-doc.py --check  # exit 1 if it is stale
"""

import enum
import inspect
import pathlib
import sys

import gvarust

OUTPUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "python-api.md"

# Reading order: what callbacks meet first.
ORDER = [
    "Frame", "VideoFrame", "AudioFrame", "RegionOfInterest", "Tensor", "Rect", "Message",
    "AudioEvent", "Segment", "Event", "PixelAccess", "PixelMapping", "AudioMapping",
    "RegionMeta", "AudioEventMeta", "MessageMeta", "TensorBytes",
    "InvalidatedError", "NotWritableError",
]

INTRO = """# gvarust Python API reference

Generated from the docstrings by `scripts/python-api-doc.py`; do not edit by hand.
The same classes are importable as `gvarust` and, under DL Streamer's names, as
`gstgva` (`gstgva.VideoFrame`, `gstgva.util.GST_PAD_PROBE_INFO_BUFFER`, ...): inside
gvarust callbacks with nothing installed, and in applications after
`pip install ./python`. Type stubs ship with the package (`py.typed`).
"""


def clean(doc):
    return inspect.cleandoc(doc).replace("[`", "`").replace("`]", "`") if doc else ""


def signature(name, obj):
    try:
        text = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return f"{name}(...)"
    return f"{name}{text}".replace("(self, /, ", "(").replace("(self, /)", "()").replace("(self)", "()")


def members(cls):
    own = [(n, v) for n, v in vars(cls).items() if not n.startswith("_") or n in ("__init__", "__new__")]
    return sorted(own, key=lambda item: item[0])


def document_class(name, cls):
    lines = [f"## `{name}`", ""]
    base = [b.__name__ for b in cls.__bases__ if b is not object]
    if base:
        lines += [f"Derives from `{', '.join(base)}`.", ""]
    lines += [clean(cls.__doc__), ""]
    if issubclass(cls, BaseException):
        return lines
    if cls.__text_signature__ if hasattr(cls, "__text_signature__") else False:
        lines += [f"- `{name}{cls.__text_signature__.replace('($cls, ', '(').replace('(cls, ', '(')}`", ""]
    for member_name, value in members(cls):
        if member_name in ("__init__", "__new__"):
            continue
        if isinstance(value, type) and issubclass(value, enum.Enum):
            values = ", ".join(f"{m.name}={m.value}" for m in value)
            lines.append(f"- `{name}.{member_name}`: `IntEnum` ({values})")
        elif inspect.isdatadescriptor(value) or isinstance(value, property):
            lines.append(f"- `{member_name}` (attribute): {clean(value.__doc__).splitlines()[0] if value.__doc__ else ''}")
        elif callable(value):
            doc = clean(getattr(value, "__doc__", ""))
            lines.append(f"- `{signature(member_name, value)}`")
            if doc:
                lines += ["", "  " + doc.replace("\n", "\n  ")]
            lines.append("")
    return lines + [""]


def render():
    lines = [INTRO]
    names = [n for n in ORDER if hasattr(gvarust, n)]
    names += sorted(n for n in dir(gvarust) if not n.startswith("_") and isinstance(getattr(gvarust, n), type) and n not in names)
    for name in names:
        lines += document_class(name, getattr(gvarust, name))
    util = gvarust.util
    lines += ["## `gvarust.util` (also `gstgva.util`)", "", clean(util.__doc__), ""]
    for name in ("GST_PAD_PROBE_INFO_BUFFER", "TRANSFORM_IP_BUFFER"):
        function = getattr(util, name)
        lines += [f"- `{signature(name, function)}`", "", "  " + clean(function.__doc__).replace("\n", "\n  "), ""]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip() + "\n"


def main():
    text = render()
    if "--check" in sys.argv:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run scripts/python-api-doc.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
