#!/usr/bin/env python3
"""Check that the modules of python/src/py/ import one way (no import cycle).

Reads every python/src/py/*.rs file, finds the paths that name another module
of the package (`use super::x::...`, `use super::{x, y::Z}`, `super::x::f(...)`,
`crate::py::x::...`, and in mod.rs `use x::...` / `pub use x::...` / `self::x::`),
builds the module graph and exits 1, printing the cycle, if there is one.

A path to an item defined in mod.rs itself (`super::helpers`, `super::InvalidatedError`)
is an edge to `mod`, which re-exports the classes: such a path closes a cycle.
`super::` inside an inline `mod tests { ... }` refers to the file itself and is
not an edge. Comments and string literals are ignored.

Usage: scripts/check-import-graph.py [DIR]   (default: python/src/py of this repository)
Python 3 standard library only.
"""

import pathlib
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """The source with comments and string/char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif re.match(r'(?:b|c)?r(#*)"', text[i : i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'(?:b|c)?r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", text[i:]):
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", text[i:])
            out.append("' '")
            i += m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def first_segments(group):
    """First path segment of each item of a `{...}` use group (nested groups included)."""
    names, depth, start = [], 0, 0
    items = []
    for k, ch in enumerate(group):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(group[start:k])
            start = k + 1
    items.append(group[start:])
    for item in items:
        m = re.match(r"\s*(" + IDENT + r")", item)
        if m:
            names.append(m.group(1))
    return names


def brace_group(text, open_index):
    """The text inside the braces opening at `open_index`."""
    depth = 0
    for k in range(open_index, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return text[open_index + 1 : k]
    return text[open_index + 1 :]


def inline_module_depths(text):
    """For each character offset, how many inline `mod name { ... }` blocks enclose it."""
    depths = [0] * (len(text) + 1)
    stack = []  # brace depth at which each inline module opened
    brace = 0
    opening = {m.end() - 1 for m in re.finditer(r"\bmod\s+" + IDENT + r"\s*\{", text)}
    current = 0
    for k, ch in enumerate(text):
        if ch == "{":
            brace += 1
            if k in opening:
                stack.append(brace)
                current = len(stack)
        elif ch == "}":
            if stack and stack[-1] == brace:
                stack.pop()
                current = len(stack)
            brace -= 1
        depths[k] = current
    return depths


def references(text, is_mod):
    """Names of the package (modules or mod.rs items) that `text` refers to."""
    text = strip_comments_and_strings(text)
    depths = inline_module_depths(text)
    found = set()
    prefixes = [r"\b((?:super\s*::\s*)+)", r"\bcrate\s*::\s*py\s*::\s*()"]
    if is_mod:
        prefixes.append(r"\bself\s*::\s*()")
    for prefix in prefixes:
        for m in re.finditer(prefix + r"(\{|\*|" + IDENT + r")", text):
            ups = m.group(1).count("super")
            if "super" in m.group(0):
                # Inside N inline modules, N `super::` stay in the file; one more reaches
                # the package (py/), in mod.rs it already leaves it.
                level = ups - depths[m.start()]
                if level != 1 or is_mod:
                    continue
            if m.group(2) == "{":
                found.update(first_segments(brace_group(text, m.end() - 1)))
            else:
                found.add(m.group(2))
    if is_mod:
        # Paths relative to mod.rs: `use x::...`, `pub use x::{...}`, `x::f(...)`.
        for m in re.finditer(r"(?<![:\w])(" + IDENT + r")\s*::", text):
            found.add(m.group(1))
    return found


def graph(directory):
    files = sorted(directory.glob("*.rs"))
    modules = {f.stem for f in files}
    edges = {}
    for f in files:
        is_mod = f.stem == "mod"
        targets = set()
        for name in references(f.read_text(), is_mod):
            if name in modules and name != "mod":
                targets.add(name)
            elif not is_mod and name not in ("self", "super", "crate"):
                # An item defined in (or re-exported by) mod.rs, or `super::*`.
                targets.add("mod")
        targets.discard(f.stem)
        edges[f.stem] = sorted(targets)
    return edges


def find_cycle(edges):
    """A list of modules forming a cycle (first == last), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {m: WHITE for m in edges}
    stack = []

    def visit(m):
        color[m] = GREY
        stack.append(m)
        for t in edges.get(m, []):
            if color.get(t, BLACK) == GREY:
                return stack[stack.index(t) :] + [t]
            if color.get(t) == WHITE:
                cycle = visit(t)
                if cycle:
                    return cycle
        stack.pop()
        color[m] = BLACK
        return None

    for m in sorted(edges):
        if color[m] == WHITE:
            cycle = visit(m)
            if cycle:
                return cycle
    return None


def main(argv):
    default = pathlib.Path(__file__).resolve().parent.parent / "python" / "src" / "py"
    directory = pathlib.Path(argv[1]) if len(argv) > 1 else default
    if not directory.is_dir():
        print(f"no such directory: {directory}", file=sys.stderr)
        return 2
    edges = graph(directory)
    cycle = find_cycle(edges)
    if cycle:
        print("import cycle: " + " -> ".join(cycle))
        for m in cycle[:-1]:
            print(f"  {m}.rs imports {', '.join(edges[m])}")
        return 1
    print(f"no import cycle among the {len(edges)} modules of {directory}:")
    for m in sorted(edges):
        print(f"  {m} -> {', '.join(edges[m]) or '(none)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
