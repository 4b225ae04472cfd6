# Shadows the standard library's `numbers` for the callback next to it, as
# `python3 shadows_stdlib.py` would.
SHADOWED = True
