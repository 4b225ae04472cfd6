# a/helper.py: b/ has a helper.py of its own.
NAME = "a"
