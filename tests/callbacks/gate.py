# Named gates a test callback waits at (in native code, GIL released) until the
# test opens them; every wait is bounded so nothing can hang for good.
import threading

_gates = {}
_lock = threading.Lock()


def _gate(name):
    with _lock:
        return _gates.setdefault(name, threading.Event())


def wait(name):
    _gate(name).wait(timeout=60)


def open_gate(name):
    _gate(name).set()


def is_open(name):
    return _gate(name).is_set()
