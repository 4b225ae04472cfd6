# Every Python call gvarust makes waits at a gate, so the test can see the
# slow-call watchdog name each one: the import, the constructor, and every hook.
import gate

gate.wait("import")


class SlowPhases:
    def __init__(self):
        gate.wait("constructor")

    def on_start(self):
        gate.wait("on_start")

    def process_frame(self, frame):
        return True

    def process_event(self, event):
        if event.type == "eos":
            gate.wait("process_event")

    def on_eos(self):
        gate.wait("on_eos")

    def on_stop(self):
        gate.wait("on_stop")
