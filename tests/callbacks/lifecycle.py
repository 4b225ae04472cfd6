# Records module execution, __del__ of a module-level object and of the class
# instance, so tests can check that every start loads afresh and every stop
# releases everything.
import recorder

recorder.record("lifecycle", "module loaded")


class Witness:
    def __init__(self, name):
        self.name = name

    def __del__(self):
        recorder.record("lifecycle", f"{self.name} released")


MODULE_WITNESS = Witness("module object")


class Tracker:
    def __init__(self):
        self.witness = Witness("instance")

    def process_frame(self, frame):
        return True

    def on_stop(self):
        recorder.record("lifecycle", "on_stop")
