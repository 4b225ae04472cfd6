# Imports a slow sibling module on each frame: two elements doing this at once
# must both get the module whole (see slow_sibling.py).
def process_frame(frame):
    import slow_sibling

    return slow_sibling.READY
