process_frame = "not a function"
NotAClass = 42
