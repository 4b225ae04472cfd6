def process_frame(frame):
    raise ValueError("boom")
