# Each call records that it entered, then waits at the gate named by the class
# argument until the test opens it.
import gate
import recorder


class Gated:
    def __init__(self, name):
        self.name = name

    def process_frame(self, frame):
        recorder.record(self.name, "entered")
        gate.open_gate(self.name + "-entered")
        gate.wait(self.name)
        return True
