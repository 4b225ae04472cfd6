# Region and tensor objects read, then the metadata changes under them: reads
# must follow the change (fresh values, or RuntimeError once removed).
import recorder


def process_frame(frame):
    a = frame.add_region(0, 0, 8, 8, label="a", confidence=0.1)
    b = frame.add_region(8, 8, 8, 8, label="b", confidence=0.2)
    seen = [r.label() for r in frame.regions()]
    kept_a, kept_b = list(frame.regions())
    age = kept_b.add_tensor("age")
    age["label"] = "young"
    kept_tensor = [t for t in kept_b.tensors() if t.name() == "age"][0]
    seen.append(kept_tensor.label())  # read: pointer cached
    age["label"] = "old"              # write through another object
    seen.append(kept_tensor.label())
    frame.remove_region(a)
    seen.append(kept_b.label())       # another region removed: b still reads
    try:
        kept_a.label()
        seen.append("removed region still readable")
    except RuntimeError as error:
        seen.append(str(error))
    frame.remove_region(b)
    try:
        kept_tensor.label()
        seen.append("tensor of a removed region still readable")
    except RuntimeError as error:
        seen.append(str(error))
    recorder.record(__name__, seen)
    return True
