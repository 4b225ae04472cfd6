"""Private helpers of the gvarust element's embedded Python host.

Loaded once per process as the module ``gvarust._host``. Everything here runs at
start, stop or on errors, never per buffer.
"""

import builtins
import hashlib
import importlib
import importlib.util
import json
import logging
import os
import sys
import threading
import traceback


# Sibling imports of every element, one at a time: a module another element's
# thread is still executing is in sys.modules already, and must be waited for,
# not handed out half made. Re-entrant, for siblings that import siblings.
_SIBLING_LOCK = threading.RLock()


def _sibling_path(directory, name):
    """The file of module ``name`` in ``directory`` (a ``.py`` file or a package), or None."""
    candidates = (os.path.join(directory, name + ".py"), os.path.join(directory, name, "__init__.py"))
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    return None


class SiblingImporter:
    """``__import__`` for the modules of one callback directory.

    Top-level imports of names that are files (or packages) in ``directory``
    resolve to those files, whatever another directory put into ``sys.modules``
    under the same name first. The first file to be imported under a name owns
    ``sys.modules[name]`` (so it is shared with every other importer of that
    file); a different file of the same name, from another callback directory,
    is loaded under a private name of its own.
    """

    def __init__(self, directory):
        self.directory = directory
        digest = hashlib.sha1(directory.encode("utf-8", "surrogateescape")).hexdigest()[:10]
        self.prefix = f"gvarust_siblings_{digest}_"
        self.builtins = dict(builtins.__dict__)
        self.builtins["__import__"] = self

    def __call__(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name:
            top = name.partition(".")[0]
            path = _sibling_path(self.directory, top)
            if path is not None:
                return self._import_sibling(name, top, path, fromlist)
        return builtins.__import__(name, globals, locals, fromlist, level)

    def _import_sibling(self, name, top, path, fromlist):
        with _SIBLING_LOCK:
            return self._import_sibling_locked(name, top, path, fromlist)

    def _import_sibling_locked(self, name, top, path, fromlist):
        existing = sys.modules.get(top)
        if existing is not None and _same_file(getattr(existing, "__file__", None), path):
            top_name = top
        else:
            top_name = top if existing is None else self.prefix + top
            if top_name not in sys.modules:
                self.load(top_name, path)
        full = top_name + name[len(top):]
        module = importlib.import_module(full) if full != top_name else sys.modules[top_name]
        if not fromlist:
            return sys.modules[top_name]
        for item in fromlist:
            if item != "*" and not hasattr(module, item) and hasattr(module, "__path__"):
                try:
                    importlib.import_module(f"{full}.{item}")
                except ModuleNotFoundError:
                    pass
        return module

    def load(self, name, path):
        """Execute the file at ``path`` as module ``name`` whose own imports use this importer."""
        package = os.path.basename(path) == "__init__.py"
        locations = [os.path.dirname(path)] if package else None
        spec = importlib.util.spec_from_file_location(
            name, path, submodule_search_locations=locations
        )
        module = importlib.util.module_from_spec(spec)
        module.__builtins__ = self.builtins
        previous = sys.modules.get(name)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            # A failed (re)load leaves sys.modules as it was.
            if previous is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
            raise
        return module


def _same_file(a, b):
    try:
        return a is not None and os.path.samefile(a, b)
    except OSError:
        return False


_IMPORTERS = {}


def load_file_module(name, path):
    """Execute the file at ``path`` as a fresh module registered as ``name``.

    Its directory goes first on ``sys.path``, as with ``python3 file.py``, and
    its imports of modules from that directory resolve to those files (see
    ``SiblingImporter``), also when another element's directory has a module of
    the same name.
    """
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if sys.path[:1] != [directory]:
        if directory in sys.path:
            sys.path.remove(directory)
        sys.path.insert(0, directory)
    importer = _IMPORTERS.get(directory)
    if importer is None:
        importer = _IMPORTERS[directory] = SiblingImporter(directory)
    return importer.load(name, path)


def register_module(name, module):
    """Make ``module`` the one ``sys.modules`` knows as ``name`` again."""
    sys.modules[name] = module


def import_named_module(name, reload):
    """Import ``name`` from ``sys.path``; re-execute it when ``reload`` is true."""
    module = importlib.import_module(name)
    if reload:
        module = importlib.reload(module)
    return module


def unload_module(name, module):
    """Forget a module loaded by ``load_file_module`` (so a new start reloads it)."""
    if sys.modules.get(name) is module:
        del sys.modules[name]


class CallInterrupted(BaseException):
    """Raised inside a callback that had not returned when its pipeline stopped.

    A ``BaseException``, so an ``except Exception`` in the callback lets it through.
    """


def parse_json(text):
    return json.loads(text)


_HIDDEN_FILES = ("<frozen importlib", "<gvarust-host>")


# importlib.import_module's own frame: an import that fails there is the
# user's module name, not a line of importlib to look at.
_IMPORTLIB_FILE = os.path.join(os.path.dirname(importlib.__file__), "__init__.py")


def _hidden(filename):
    return filename.startswith(_HIDDEN_FILES) or filename == _IMPORTLIB_FILE


def _frames(tb):
    return [frame for frame in traceback.extract_tb(tb) if not _hidden(frame.filename)]


def describe(exc, tb=None):
    """Return ``(summary, traceback_text, kind)`` for an exception.

    The summary is one line: ``ValueError: boom (cb.py:12)``. The traceback text
    is the usual Python traceback without the import machinery's own frames. The
    kind is the exception type and where it was raised (``ValueError (cb.py:12)``),
    which rate-limited warnings group by.
    """
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in ("builtins", "__main__", None):
        name = f"{module}.{name}"
    text = str(exc).strip().replace("\n", " ")
    summary = f"{name}: {text}" if text else name
    kind = name
    if tb is not None:
        exc.__traceback__ = tb
    tb = exc.__traceback__
    frames = _frames(tb)
    if not isinstance(exc, SyntaxError) and frames:
        last = frames[-1]
        where = f" ({os.path.basename(last.filename)}:{last.lineno})"
        summary += where
        kind += where
    hidden_lines = tuple('  File "' + hidden for hidden in _HIDDEN_FILES + (_IMPORTLIB_FILE,))
    lines = [
        line
        for line in traceback.format_exception(type(exc), exc, tb)
        if not line.startswith(hidden_lines)
    ]
    return summary, "".join(lines).rstrip(), kind


def flush_std_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass


class GstLogHandler(logging.Handler):
    """Sends records of the ``gvarust`` logger to the GStreamer debug log."""

    def __init__(self, sink):
        super().__init__(logging.NOTSET)
        self._sink = sink

    def emit(self, record):
        try:
            message = self.format(record)
            self._sink(
                record.levelno,
                record.pathname or "",
                record.funcName or "",
                record.lineno or 0,
                message,
            )
        except Exception:
            self.handleError(record)


def install_logging(sink, level):
    """Attach the GStreamer handler to the ``gvarust`` logger (once) and set its level."""
    logger = logging.getLogger("gvarust")
    if not any(isinstance(h, GstLogHandler) for h in logger.handlers):
        logger.addHandler(GstLogHandler(sink))
    logger.setLevel(level)
