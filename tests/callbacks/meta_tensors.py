# Frame tensors and the Tensor class: field types, enums, raw data with numpy.
import numpy as np

import gvarust
import recorder
from gstgva import Tensor


def typed(value):
    """A value with its Python type name, to check types survive the round trip."""
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    return [type(value).__name__, value]


VALUES = {
    "b_true": True,
    "b_false": False,
    "i": -5,
    "i_max": 2**31 - 1,
    "i64": 2**40,
    "i64_neg": -(2**40),
    "f": 0.125,
    "s": "hello",
    "ints": [1, 2, 3],
    "wide_ints": [1, 2**35],
    "floats": [0.5, 1.5],
    "mixed_numbers": [1, 2.5],
    "strs": ["a", "b"],
    "tuple": (4, 5),
    "nested": {"a": 1, "b": "two", "c": [1.5], "d": {"e": False}},
    "raw": b"\x00\x01\xff",
}


def round_trip(frame):
    item = {}
    tensor = frame.add_tensor()
    item["initial"] = {"name": tensor.name(), "len": len(tensor), "fields": tensor.fields()}
    for key, value in VALUES.items():
        tensor[key] = value
    tensor["dims"] = [1, 2, 3]
    tensor["uint_dims_check"] = 1
    # The same tensor read through a fresh view of the frame.
    again = list(frame.tensors())[0]
    item["fields"] = again.fields()
    item["values"] = {key: typed(again[key]) for key in VALUES}
    item["dims"] = typed(again.dims())
    item["missing"] = again["missing"]
    item["has_field"] = [again.has_field("b_false"), again.has_field("i"), again.has_field("nope"),
                         "s" in again, "nope" in again]
    item["len"] = len(again)
    item["iter"] = [k for k, _ in again][:3]
    del again["uint_dims_check"]
    del again["not_there"]
    item["after_del"] = "uint_dims_check" in tensor
    tensor.set_name("renamed")
    item["renamed"] = [t.name() for t in frame.tensors()]
    errors = {}
    for label, call in {
        "none": lambda: tensor.__setitem__("x", None),
        "object": lambda: tensor.__setitem__("x", object()),
        "bad_name": lambda: tensor.set_name("1 bad"),
        "huge": lambda: tensor.__setitem__("x", 2**70),
        "nul": lambda: tensor.__setitem__("x", "a\0b"),
    }.items():
        try:
            call()
            errors[label] = "accepted"
        except Exception as error:
            errors[label] = type(error).__name__
    item["errors"] = errors
    item["repr"] = repr(Tensor("t", {"a": 1}))
    recorder.record(__name__, item)
    return True


def accessors(frame):
    item = {}
    t = frame.add_tensor()
    t.set_name("age")
    for key, value in {"layer_name": "fc1", "model_name": "agegender", "format": "label",
                       "element_id": "cls1", "label_id": 3, "object_id": 9, "confidence": 0.75,
                       "precision": int(Tensor.PRECISION.FP32), "layout": Tensor.LAYOUT.NC}.items():
        t[key] = value
    t.set_label("forty")
    item["values"] = [t.layer_name(), t.model_name(), t.format(), t.element_id(), t.label_id(),
                      t.object_id(), t.confidence(), t.label(), t.is_detection()]
    item["precision"] = [repr(t.precision()), t.precision_as_string(), t.precision() == 10,
                         t.precision() is Tensor.PRECISION.FP32]
    item["layout"] = [repr(t.layout()), t.layout_as_string()]
    empty = frame.add_tensor()
    item["empty"] = [empty.layer_name(), empty.label_id(), empty.confidence(), empty.label(),
                     repr(empty.precision()), empty.layout_as_string(), empty.dims(), empty.data()]
    empty["precision"] = 12345
    item["unknown_precision"] = empty.precision_as_string()
    item["enums"] = {
        "PRECISION": {m.name: m.value for m in Tensor.PRECISION},
        "LAYOUT": {m.name: m.value for m in Tensor.LAYOUT},
        "int_enum": issubclass(Tensor.PRECISION, int),
        "gvarust_same": gvarust.Tensor.PRECISION is Tensor.PRECISION,
    }
    recorder.record(__name__, item)
    return True


KEPT = []


def data(frame):
    item = {}
    t = frame.add_tensor()
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    t.set_data(a)
    d = t.data()
    item["fp32"] = {"dtype": str(d.dtype), "shape": list(d.shape), "values": d.tolist(),
                    "dims": t.dims(), "precision": t.precision_as_string(),
                    "writeable": bool(d.flags.writeable),
                    "raw_type": type(t["data_buffer"]).__name__,
                    "raw_len": len(t["data_buffer"])}
    for dtype in ("uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
                  "float16", "float64", "bool"):
        t.set_data(np.array([1, 0, 1], dtype=dtype))
        back = t.data()
        item[dtype] = [str(back.dtype), back.tolist(), t.precision_as_string()]
    t.set_data(b"\x01\x02\x03\x04")
    item["bytes"] = [str(t.data().dtype), t.data().tolist(), t.dims(), t.precision_as_string()]
    t.set_data(b"\x00\x00\x80\x3f", precision=Tensor.PRECISION.FP32)
    item["bytes_fp32"] = [t.data().tolist(), t.dims()]
    t.set_data(b"\x01\x02\x03", precision=Tensor.PRECISION.UNSPECIFIED)
    item["unspecified"] = [str(t.data().dtype), t.data().tolist()]
    t.set_data(np.zeros(4, dtype=np.uint8), precision=Tensor.PRECISION.BF16, dims=[2])
    item["bf16_raw"] = [str(t.data().dtype), len(t.data())]
    try:
        t.set_data(np.zeros(5, dtype=np.float32), dims=[2, 2])
        item["mismatch"] = "accepted"
    except ValueError as error:
        item["mismatch"] = f"ValueError: {error}"
    t.set_data(np.array([[1.5, 2.5]], dtype=np.float32))
    # Arrays outlive the callback (they hold the data's GVariant).
    KEPT.append(t.data())
    recorder.record(__name__, item)
    return True


def on_eos():
    recorder.record(__name__, {"kept": [k.tolist() for k in KEPT]})
    KEPT.clear()
