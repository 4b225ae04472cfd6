# Takes a while to import, releasing the GIL meanwhile: another element's thread
# importing it then must wait for READY to exist.
import time

time.sleep(0.3)
READY = True
