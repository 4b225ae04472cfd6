def process_frame(frame)
    return True
