# A callback doing a fixed amount of pure-Python work per buffer (it holds the GIL the
# whole time). The benchmark calibrates `iterations` to about 200 us on the machine and
# passes it as `kwarg={"iterations": ...}`.


def work(iterations):
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return total


class Heavy:
    def __init__(self, iterations=5000):
        self.iterations = int(iterations)

    def process_frame(self, frame):
        work(self.iterations)
        return True
