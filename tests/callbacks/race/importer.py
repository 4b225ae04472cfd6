# Imports a slow sibling module on each frame: two elements doing this at once
# must both get the module whole (see slow_sibling.py).
import sys
import threading
import types

# Where the two elements' threads meet. Shared through sys.modules rather than
# a sibling module: the slow sibling's import holds sibling imports locked.
meeting = sys.modules.setdefault(
    "gvarust_race_meeting",
    types.SimpleNamespace(lock=threading.Lock(), threads=set(), both=threading.Event()),
)


def process_frame(frame):
    with meeting.lock:
        meeting.threads.add(threading.get_ident())
        if len(meeting.threads) >= 2:
            meeting.both.set()
    import slow_sibling

    return slow_sibling.READY
