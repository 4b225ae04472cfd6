class Broken:
    def __init__(self, threshold):
        raise RuntimeError(f"cannot use threshold {threshold}")

    def process_frame(self, frame):
        return True
