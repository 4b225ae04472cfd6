# b/helper.py: a/ has a helper.py of its own.
NAME = "b"
