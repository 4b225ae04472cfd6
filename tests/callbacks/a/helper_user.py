# Imports a sibling module from its own directory.
import sibling_helper


def process_frame(frame):
    return sibling_helper.answer() == 42
