# sys.exit() while the module body runs: a start error, not a process exit.
import sys

sys.exit("leaving at import")
