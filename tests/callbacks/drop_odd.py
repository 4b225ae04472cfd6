# Drops every odd frame, alternating the two falsy results (None and False).
count = 0


def process_frame(frame):
    global count
    count += 1
    if count % 2 == 0:
        return True
    return None if count % 4 == 1 else False
