import time


def process_frame(frame):
    time.sleep(0.6)
    return True
