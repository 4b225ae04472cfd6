import time

calls = 0


def process_frame(frame):
    global calls
    calls += 1
    if calls == 2:
        # The first frame has left the sink, so the pipeline is PLAYING (a test
        # waits for this line before it sends SIGINT).
        print("second frame", flush=True)
    time.sleep(0.05)
    return True


def on_eos():
    print("on_eos ran", flush=True)
