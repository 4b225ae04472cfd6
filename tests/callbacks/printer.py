# Prints one line per frame: checks that output written by callbacks reaches a
# pipe even though the embedded interpreter never exits (stdout is flushed at stop).
def process_frame(frame):
    print(f"frame pts={frame.pts}")
    return True
