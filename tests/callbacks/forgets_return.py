# Forgets `return True`: every frame comes back None and is dropped.
def process_frame(frame):
    frame.pts
