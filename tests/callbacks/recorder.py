"""Shared by the test callbacks: records what callbacks saw, keyed by module name.

The Rust tests read the records back through the same embedded interpreter.
"""
import collections
import threading

_lock = threading.Lock()
entries = collections.defaultdict(list)


def record(key, item):
    with _lock:
        entries[key].append(item)


def take(key):
    with _lock:
        return entries.pop(key, [])
