"""Thread-safe warning capture for test callbacks.

``warnings.catch_warnings`` swaps process-wide state: with pipelines running in
parallel, one callback would catch (or hide) another's warnings. This captures
only the warnings raised on the calling thread.
"""
import contextlib
import threading
import warnings

_local = threading.local()
_show_elsewhere = warnings.showwarning


def _show(message, category, filename, lineno, file=None, line=None):
    caught = getattr(_local, "caught", None)
    if caught is None:
        _show_elsewhere(message, category, filename, lineno, file, line)
    else:
        caught.append(warnings.WarningMessage(message, category, filename, lineno, file, line))


warnings.showwarning = _show
# Every warning reaches _show (no once-per-location registry hiding repeats).
warnings.simplefilter("always")


@contextlib.contextmanager
def caught():
    """Collects the warnings raised on this thread inside the block."""
    outer = getattr(_local, "caught", None)
    _local.caught = []
    try:
        yield _local.caught
    finally:
        _local.caught = outer
