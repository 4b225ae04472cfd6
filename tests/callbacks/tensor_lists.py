# Lists in tensor fields: mixes GStreamer cannot hold in one array raise TypeError
# (naming the field), nothing is stored cut short, faithful mixes are stored.
import recorder


def kind(value):
    if isinstance(value, list):
        return [kind(v) for v in value]
    if isinstance(value, dict):
        return {k: kind(v) for k, v in value.items()}
    return [type(value).__name__, value]


def process_frame(frame):
    t = frame.add_tensor()
    t["mixed"] = "before"
    refused = {}
    for field, value in (
        ("mixed", [1, "a"]),
        ("b", [True, 2]),
        ("n", {"a": {"b": [1, 2.5, "x", True]}}),
        ("s", ["x", 1]),
        ("lists", [[1, 2], ["x"]]),
        ("dicts", [{"a": 1}, "x"]),
    ):
        try:
            t[field] = value
            refused[field] = "stored"
        except TypeError as error:
            refused[field] = str(error)
    stored = {}
    for field, value in (
        ("numbers", [1, 2.5]),
        ("nested_numbers", [[1, 2], [3.5]]),
        ("wide", [[1], [2**40]]),
        ("bools", [True, False]),
        ("strs", ["a", "b"]),
        ("dicts_ok", [{"a": 1}, {"b": "x"}]),
        ("empty_inner", [[], ["x"]]),
        ("tuple", (1, 2.0)),
    ):
        t[field] = value
        stored[field] = kind(t[field])
    recorder.record(__name__, {
        "refused": refused,
        "mixed_kept": t["mixed"],
        "fields": t.fields(),
        "stored": stored,
    })
    return True
