"""Python-side helpers of the gvarust classes, loaded once per copy of the code as ``gvarust._helpers_<address>``.

The ``Message`` class, the ``Rect`` and ``Segment`` namedtuples and PyGObject look-ups are simplest in
Python; ``frame_to_dict`` backs ``VideoFrame.to_dict()`` / ``to_json()``. Nothing
here runs per buffer unless the user calls it.
"""

import collections
import importlib
import json
import math

class Message(str):
    """A JSON message of a frame: a ``str`` that remembers its GVA JSON meta.

    ``frame.remove_message(msg)`` removes exactly this message. ``msg.meta``
    (a ``MessageMeta``) reads the meta's current text; it is valid during the
    callback only.
    """

    def __new__(cls, text, meta=None):
        self = super().__new__(cls, text)
        self.meta = meta
        return self


Message.__module__ = "gvarust"


Rect = collections.namedtuple("Rect", "x y w h", module="gvarust")
Rect.__doc__ = "Rect(x, y, w, h): a box, in pixels (ints) or normalized (floats)."

Segment = collections.namedtuple("Segment", "start_time end_time", module="gvarust")
Segment.__doc__ = "Segment(start_time, end_time): an audio event's span, in nanoseconds."


def gi_info(namespace, class_name, caps_string):
    """A PyGObject ``<namespace>.<class_name>`` (VideoInfo/AudioInfo) for the caps,
    or None without PyGObject."""
    try:
        import gi

        gi.require_version("Gst", "1.0")
        gi.require_version(namespace, "1.0")
        from gi.repository import Gst

        module = importlib.import_module(f"gi.repository.{namespace}")
    except (ImportError, ValueError, AttributeError):
        return None
    caps = Gst.Caps.from_string(caps_string)
    if caps is None:
        return None
    info_class = getattr(module, class_name)
    if hasattr(info_class, "new_from_caps"):
        return info_class.new_from_caps(caps)
    info = info_class()
    return info if info.from_caps(caps) else None


# --- AudioFrame.data(): an array that is also a context manager
_audio_samples = None


def audio_samples_class():
    """The ``numpy.ndarray`` subclass of ``AudioFrame.data()`` (numpy is
    imported at first use)."""
    global _audio_samples
    if _audio_samples is None:
        import numpy

        class AudioSamples(numpy.ndarray):
            """The samples of an audio frame: a zero-copy ``numpy.ndarray``, usable
            directly (``frame.data().mean()``, as in gstgva) or in a ``with`` block
            like ``VideoFrame.data()``. Leaving the block makes the array read-only;
            its memory stays alive as long as an array over it exists.
            """

            def __enter__(self):
                return self

            def __exit__(self, exc_type=None, exc_value=None, traceback=None):
                if self.flags.writeable:
                    self.setflags(write=False)
                return False

            def __array_wrap__(self, array, context=None, return_scalar=False):
                # Results of computations (a * 2, a.mean()) are plain arrays or
                # scalars, not views of the frame.
                if array.shape == ():
                    return array[()]
                return array.view(numpy.ndarray)

        AudioSamples.__module__ = "gvarust"
        _audio_samples = AudioSamples
    return _audio_samples


# --- VideoFrame.to_dict() / to_json(): DL Streamer gvametaconvert's JSON layout
def _tensor_dict(tensor, include_data):
    out = {}
    for key, value in (
        ("precision", tensor.precision_as_string()),
        ("layout", tensor.layout_as_string()),
    ):
        if value and value not in ("UNSPECIFIED", "ANY"):
            out[key] = value
    if tensor.has_field("dims"):
        out["dims"] = list(tensor.dims())
    out["name"] = tensor.name()
    for key in ("model_name", "layer_name", "format"):
        value = tensor[key]
        if isinstance(value, str) and value:
            out[key] = value
    if not tensor.is_detection():
        label = tensor["label"]
        if isinstance(label, str) and label:
            out["label"] = label
    for key in ("confidence", "label_id"):
        if tensor.has_field(key):
            out[key] = tensor[key]
    if include_data:
        data = tensor.data()
        if data is not None:
            out["data"] = data.tolist()
    return out


def _classification(tensor):
    out = {}
    label = tensor["label"]
    if isinstance(label, str) and label:
        out["label"] = label
    model = tensor["model_name"]
    if isinstance(model, str) and model:
        out["model"] = {"name": model}
    for key in ("confidence", "label_id"):
        if tensor.has_field(key):
            out[key] = tensor[key]
    return out


def _attribute_name(tensor):
    name = tensor["attribute_name"]
    return name if isinstance(name, str) and name else tensor.name()


def _region_dict(roi, include_data):
    rect = roi.rect()
    out = {"x": rect.x, "y": rect.y, "w": rect.w, "h": rect.h, "region_id": roi.region_id()}
    object_id = roi.object_id()
    if object_id:
        out["id"] = object_id
    label = roi.label()
    if label:
        out["roi_type"] = label
    tensors = []
    for tensor in roi.tensors():
        if tensor.is_detection():
            box = {key: tensor[key] for key in ("x_min", "x_max", "y_min", "y_max")}
            if all(isinstance(v, float) for v in box.values()):
                detection = {"bounding_box": box}
                if tensor.has_field("confidence"):
                    detection["confidence"] = tensor["confidence"]
                if tensor.has_field("label_id"):
                    detection["label_id"] = tensor["label_id"]
                if label:
                    detection["label"] = label
                out["detection"] = detection
                extra = tensor["extra_params_json"]
                if isinstance(extra, str) and extra:
                    try:
                        out["extra_params"] = json.loads(extra)
                    except ValueError:
                        pass
        elif tensor.has_field("label"):
            out[_attribute_name(tensor)] = _classification(tensor)
        if include_data:
            tensors.append(_tensor_dict(tensor, include_data))
    if include_data:
        out["tensors"] = tensors
    return out


def _strict(value):
    """``value`` with every non-finite float (NaN, infinities) replaced by None,
    so that it serializes as strict JSON (``null``)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _strict(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strict(item) for item in value]
    return value


def frame_to_dict(frame, include_data=False):
    """The metadata of ``frame`` as gvametaconvert lays it out, with non-finite
    numbers (a NaN confidence, say) as None: strict JSON has no NaN/Infinity."""
    result = {}
    info = frame.video_info()
    width = height = None
    if info is not None:
        width, height = info.width, info.height
        result["resolution"] = {"width": width, "height": height}
    if frame.pts is not None:
        result["timestamp"] = frame.pts
    objects = [_region_dict(roi, include_data) for roi in frame.regions()]
    frame_tensors = list(frame.tensors())
    classified = [t for t in frame_tensors if t.has_field("label") or t.has_field("label_id")]
    if classified and width is not None:
        whole = {"x": 0, "y": 0, "w": width, "h": height}
        for tensor in classified:
            whole[_attribute_name(tensor)] = _classification(tensor)
        objects.append(whole)
    if objects:
        result["objects"] = objects
    raw = [_tensor_dict(t, include_data) for t in frame_tensors if not t.has_field("type")]
    if raw:
        result["tensors"] = raw
    return _strict(result)


def frame_to_json(frame, include_data=False, indent=None):
    return json.dumps(frame_to_dict(frame, include_data), indent=indent, allow_nan=False)
