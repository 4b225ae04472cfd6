# Finishes importing only once the other element's thread is about to import it
# too (importer.py), releasing the GIL meanwhile: that thread then must wait for
# READY to exist. At most 30 s, so a lone importer cannot hang the test.
import sys

sys.modules["gvarust_race_meeting"].both.wait(30)
READY = True
