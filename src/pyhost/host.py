"""Private helpers of the gvarust element's embedded Python host.

Loaded once per process as the module ``gvarust._host``. Everything here runs at
start, stop or on errors, never per buffer.
"""

import importlib
import importlib.machinery
import importlib.util
import json
import logging
import os
import sys
import traceback


def load_file_module(name, path):
    """Execute the file at ``path`` as a fresh module registered as ``name``."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if directory not in sys.path:
        # Sibling imports of the callback file work, as with ``python3 file.py``.
        sys.path.append(directory)
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        # A failed (re)load leaves sys.modules as it was.
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous
        raise
    return module


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


def _frames(tb):
    return [
        frame
        for frame in traceback.extract_tb(tb)
        if not frame.filename.startswith(_HIDDEN_FILES)
    ]


def describe(exc, tb=None):
    """Return ``(summary, traceback_text)`` for an exception.

    The summary is one line: ``ValueError: boom (cb.py:12)``. The traceback text
    is the usual Python traceback without the import machinery's own frames.
    """
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in ("builtins", "__main__", None):
        name = f"{module}.{name}"
    text = str(exc).strip().replace("\n", " ")
    summary = f"{name}: {text}" if text else name
    if tb is not None:
        exc.__traceback__ = tb
    tb = exc.__traceback__
    frames = _frames(tb)
    if not isinstance(exc, SyntaxError) and frames:
        last = frames[-1]
        summary += f" ({os.path.basename(last.filename)}:{last.lineno})"
    lines = [
        line
        for line in traceback.format_exception(type(exc), exc, tb)
        if not line.startswith(tuple('  File "' + hidden for hidden in _HIDDEN_FILES))
    ]
    return summary, "".join(lines).rstrip()


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
