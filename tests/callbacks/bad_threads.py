# A callback that starts Python threads: one per frame doing Python work, and one
# long-lived worker that keeps running between callbacks and after the stream.
import threading
import time

import recorder

workers = []
stop = threading.Event()
ticks = [0]


def background():
    while not stop.is_set():
        ticks[0] += sum(range(1000))  # pure Python work holding the GIL
        time.sleep(0.001)


def on_start():
    thread = threading.Thread(target=background, name="gvarust-test-background", daemon=True)
    thread.start()
    workers.append(thread)


def work(pts):
    total = sum(i * i for i in range(2000))
    recorder.record("bad_threads", (pts, total))


def process_frame(frame):
    thread = threading.Thread(target=work, args=(frame.pts,))
    thread.start()
    workers.append(thread)
    return True


def on_eos():
    for thread in workers[1:]:
        thread.join(10)
    recorder.record("bad_threads", ("ticks", ticks[0] > 0, threading.active_count()))


def on_stop():
    stop.set()
    workers[0].join(10)
    recorder.record("bad_threads", ("background alive", workers[0].is_alive()))
