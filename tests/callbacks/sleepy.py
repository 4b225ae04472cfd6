import time


def process_frame(frame):
    time.sleep(0.05)
    return True


def on_eos():
    print("on_eos ran", flush=True)
