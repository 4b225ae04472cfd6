# Four ValueErrors, then a SystemExit and a KeyboardInterrupt: three kinds of
# failure, each of which must show up in the warnings of a short run.
frames = 0


def process_frame(frame):
    global frames
    frames += 1
    if frames <= 4:
        raise ValueError(f"bad frame {frames}")
    if frames == 5:
        raise SystemExit(5)
    raise KeyboardInterrupt
