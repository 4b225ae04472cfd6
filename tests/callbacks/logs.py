import logging

log = logging.getLogger("gvarust.tests")


def process_frame(frame):
    log.warning("frame at %s seen by the logging bridge", frame.pts)
    return True
