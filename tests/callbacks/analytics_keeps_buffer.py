"""Adds a region and keeps the frame's Gst.Buffer, so the buffer is still shared when the
callback returns (metadata=analytics then cannot remove the region metas)."""

kept = []


def process_frame(frame):
    frame.add_region(2, 2, 8, 8, label="kept", confidence=0.5)
    kept.append(frame.buffer())
    return True
