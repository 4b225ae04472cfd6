# Reads every piece of metadata of every frame, recording results or exceptions
# (including BaseExceptions such as a Rust panic surfacing as PanicException).
import recorder


def attempt(call):
    try:
        return call()
    except BaseException as error:  # noqa: B036 - report everything, the test asserts
        return f"{type(error).__name__}: {error}"


def data_of(tensor):
    data = tensor.data()
    if data is None:
        return None
    return [str(data.dtype), len(data), bool(data.flags.writeable)]


def tensor_dump(t):
    return {
        "name": attempt(t.name),
        "fields": attempt(t.fields),
        "items": attempt(lambda: {k: repr(v) for k, v in t}),
        "precision": attempt(lambda: int(t.precision())),
        "precision_name": attempt(t.precision_as_string),
        "layout": attempt(t.layout_as_string),
        "dims": attempt(t.dims),
        "data": attempt(lambda: data_of(t)),
        "label": attempt(t.label),
        "label_id": attempt(t.label_id),
        "confidence": attempt(t.confidence),
        "layer_name": attempt(t.layer_name),
        "repr": attempt(lambda: repr(t)[:20]),
    }


def region_dump(roi):
    return {
        "rect": attempt(lambda: list(roi.rect())),
        "label": attempt(roi.label),
        "confidence": attempt(roi.confidence),
        "label_id": attempt(roi.label_id),
        "normalized_rect": attempt(roi.normalized_rect),
        "object_id": attempt(roi.object_id),
        "tensors": attempt(lambda: [tensor_dump(t) for t in roi.tensors()]),
    }


def pixels(frame):
    with frame.data() as array:
        return [list(array.shape), str(array.dtype)]


def planes(frame):
    with frame.planes() as arrays:
        return [list(p.shape) for p in arrays]


def process_frame(frame):
    recorder.record("bad_meta_reader", {
        "regions": attempt(lambda: [region_dump(r) for r in frame.regions()]),
        "tensors": attempt(lambda: [tensor_dump(t) for t in frame.tensors()]),
        "messages": attempt(lambda: [str(m) for m in frame.messages()]),
        "pixels": attempt(lambda: pixels(frame)),
        "planes": attempt(lambda: planes(frame)),
        "to_json": attempt(lambda: len(frame.to_json()) > 0),
    })
    return True


def process_event(event):
    if event.type == "custom-downstream":
        recorder.record("bad_meta_reader_events", attempt(lambda: event.structure))
