# Callables with the wrong number of parameters.
def process_frame():
    return True


class Wide:
    def __init__(self):
        pass

    def process(self, frame, extra):
        return True
