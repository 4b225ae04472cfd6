# Each call waits at its own gate ("slow-1", "slow-2", ...) until the test,
# having seen the slow-call warning for it, opens the gate.
import gate

calls = 0


def process_frame(frame):
    global calls
    calls += 1
    gate.wait(f"slow-{calls}")
    return True
