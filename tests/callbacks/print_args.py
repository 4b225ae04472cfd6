# Prints the constructor's arguments as JSON (for the README's arg/kwarg examples).
import json


class PrintArgs:
    def __init__(self, *args, **kwargs):
        print("args", json.dumps(args), "kwargs", json.dumps(kwargs, sort_keys=True), flush=True)

    def process_frame(self, frame):
        return True
