"""The plugin exports DL Streamer's metadata entry points for C and ctypes users."""

import ctypes
import os
import pathlib

import conftest  # noqa: F401  (initializes GStreamer, finds the plugin)


_gobject = ctypes.CDLL("libgobject-2.0.so.0")
_gobject.g_type_name.restype = ctypes.c_char_p
_gobject.g_type_name.argtypes = [ctypes.c_size_t]


def type_name(gtype):
    return _gobject.g_type_name(gtype).decode()


def _plugin():
    path = pathlib.Path(os.environ["GST_PLUGIN_PATH"]) / "libgstgvarust.so"
    return ctypes.CDLL(str(path))


def test_meta_api_types_have_dl_streamer_names():
    plugin = _plugin()
    for function, name in [
        ("gst_gva_tensor_meta_api_get_type", "GstGVATensorMetaAPI"),
        ("gst_gva_json_meta_api_get_type", "GstGVAJSONMetaAPI"),
    ]:
        get_type = getattr(plugin, function)
        get_type.restype = ctypes.c_size_t
        gtype = get_type()
        assert gtype != 0
        assert type_name(gtype) == name
        assert get_type() == gtype, "registered once, then reused"


class _GstMetaInfo(ctypes.Structure):
    _fields_ = [
        ("api", ctypes.c_size_t),
        ("type", ctypes.c_size_t),
        ("size", ctypes.c_size_t),
    ]


def test_meta_infos_describe_the_c_layouts():
    plugin = _plugin()
    for function, api, impl in [
        ("gst_gva_tensor_meta_get_info", "GstGVATensorMetaAPI", "GstGVATensorMeta"),
        ("gst_gva_json_meta_get_info", "GstGVAJSONMetaAPI", "GstGVAJSONMeta"),
    ]:
        get_info = getattr(plugin, function)
        get_info.restype = ctypes.POINTER(_GstMetaInfo)
        info = get_info().contents
        assert type_name(info.api) == api
        assert type_name(info.type) == impl
        assert info.size == 24  # { GstMeta meta; pointer } on x86-64


# ---------------------------------------------------------------------------
# The GVA metas a gvarust pipeline writes, read back through C alone: the plugin's
# exported entry points and GStreamer's, GLib's and GObject's C API over ctypes, with
# the C structures written out here from DL Streamer's headers (nothing of the
# gvarust package or of the plugin's Rust types):
#
#   struct _GstMeta { GstMetaFlags flags; const GstMetaInfo *info; };
#   typedef struct { GstMeta meta; GstStructure *data; } GstGVATensorMeta;
#   typedef struct { GstMeta meta; gchar *message; } GstGVAJSONMeta;
#   typedef struct { GstMeta meta; GQuark event_type; gint id;
#                    GstClockTime start_timestamp; GstClockTime end_timestamp;
#                    GList *params; } GstGVAAudioEventMeta;
# ---------------------------------------------------------------------------

from conftest import CALLBACKS, Gst, run_with_probes  # noqa: E402

_gst = ctypes.CDLL("libgstreamer-1.0.so.0")
_glib = ctypes.CDLL("libglib-2.0.so.0")


def _c(lib, name, restype, *argtypes):
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = list(argtypes)
    return function


_p = ctypes.c_void_p
gst_buffer_iterate_meta_filtered = _c(_gst, "gst_buffer_iterate_meta_filtered", _p, _p, ctypes.POINTER(_p), ctypes.c_size_t)
gst_structure_get_name = _c(_gst, "gst_structure_get_name", ctypes.c_char_p, _p)
gst_structure_get_string = _c(_gst, "gst_structure_get_string", ctypes.c_char_p, _p, ctypes.c_char_p)
gst_structure_get_int = _c(_gst, "gst_structure_get_int", ctypes.c_int, _p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int))
gst_structure_get_double = _c(
    _gst, "gst_structure_get_double", ctypes.c_int, _p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_double)
)
gst_structure_get_value = _c(_gst, "gst_structure_get_value", _p, _p, ctypes.c_char_p)
gst_value_array_get_size = _c(_gst, "gst_value_array_get_size", ctypes.c_uint, _p)
gst_value_array_get_value = _c(_gst, "gst_value_array_get_value", _p, _p, ctypes.c_uint)
g_value_get_uint = _c(_gobject, "g_value_get_uint", ctypes.c_uint, _p)
g_value_get_variant = _c(_gobject, "g_value_get_variant", _p, _p)
g_type_from_name = _c(_gobject, "g_type_from_name", ctypes.c_size_t, ctypes.c_char_p)
g_type_check_value_holds = _c(_gobject, "g_type_check_value_holds", ctypes.c_int, _p, ctypes.c_size_t)
g_variant_get_type_string = _c(_glib, "g_variant_get_type_string", ctypes.c_char_p, _p)
g_variant_get_fixed_array = _c(_glib, "g_variant_get_fixed_array", _p, _p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t)
g_quark_to_string = _c(_glib, "g_quark_to_string", ctypes.c_char_p, ctypes.c_uint32)


class GstMeta(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint), ("info", ctypes.POINTER(_GstMetaInfo))]


class GstGVATensorMeta(ctypes.Structure):
    _fields_ = [("meta", GstMeta), ("data", _p)]


class GstGVAJSONMeta(ctypes.Structure):
    _fields_ = [("meta", GstMeta), ("message", ctypes.c_char_p)]


class GList(ctypes.Structure):
    pass


GList._fields_ = [("data", _p), ("next", ctypes.POINTER(GList)), ("prev", ctypes.POINTER(GList))]


class GstGVAAudioEventMeta(ctypes.Structure):
    _fields_ = [
        ("meta", GstMeta),
        ("event_type", ctypes.c_uint32),
        ("id", ctypes.c_int),
        ("start_timestamp", ctypes.c_uint64),
        ("end_timestamp", ctypes.c_uint64),
        ("params", ctypes.POINTER(GList)),
    ]


def _metas(buffer, api, layout):
    """Every meta of API type `api` on `buffer`, as a `layout` structure (GStreamer's C iterator)."""
    state = _p(None)
    found = []
    # PyGObject's hash of a boxed Gst.Buffer is its C pointer (what DL Streamer's gstgva uses too).
    while meta := gst_buffer_iterate_meta_filtered(hash(buffer), ctypes.byref(state), api):
        found.append(ctypes.cast(meta, ctypes.POINTER(layout)).contents)
    return found


def _api(function):
    return _c(_plugin(), function, ctypes.c_size_t)()


def _int(structure, field):
    value = ctypes.c_int()
    return value.value if gst_structure_get_int(structure, field.encode(), ctypes.byref(value)) else None


def _double(structure, field):
    value = ctypes.c_double()
    return value.value if gst_structure_get_double(structure, field.encode(), ctypes.byref(value)) else None


def _string(structure, field):
    value = gst_structure_get_string(structure, field.encode())
    return value.decode() if value is not None else None


def _tensor_structure(structure):
    dims_value = gst_structure_get_value(structure, b"dims")
    dims = [g_value_get_uint(gst_value_array_get_value(dims_value, i)) for i in range(gst_value_array_get_size(dims_value))]
    data_value = gst_structure_get_value(structure, b"data_buffer")
    assert g_type_check_value_holds(data_value, g_type_from_name(b"GVariant")), "data_buffer holds a GVariant"
    variant = g_value_get_variant(data_value)
    size = ctypes.c_size_t()
    data = g_variant_get_fixed_array(variant, ctypes.byref(size), 1)
    return {
        "name": gst_structure_get_name(structure).decode(),
        "layer_name": _string(structure, "layer_name"),
        "model_name": _string(structure, "model_name"),
        "confidence": _double(structure, "confidence"),
        "label_id": _int(structure, "label_id"),
        "precision": _int(structure, "precision"),
        "dims": dims,
        "variant_type": g_variant_get_type_string(variant).decode(),
        "data_buffer": ctypes.string_at(data, size.value),
    }


def _json_messages(buffer, json_info):
    messages = []
    for meta in _metas(buffer, _api("gst_gva_json_meta_api_get_type"), GstGVAJSONMeta):
        assert ctypes.addressof(meta.meta.info.contents) == json_info
        messages.append(meta.message.decode())
    return messages


def test_metas_written_by_a_pipeline_read_through_c_alone():
    tensor_info = ctypes.cast(_c(_plugin(), "gst_gva_tensor_meta_get_info", _p)(), _p).value
    json_info = ctypes.cast(_c(_plugin(), "gst_gva_json_meta_get_info", _p)(), _p).value
    video_seen = []

    def reader(pad, info):
        buffer = info.get_buffer()
        tensors = []
        for meta in _metas(buffer, _api("gst_gva_tensor_meta_api_get_type"), GstGVATensorMeta):
            assert ctypes.addressof(meta.meta.info.contents) == tensor_info
            assert type_name(meta.meta.info.contents.type) == "GstGVATensorMeta"
            tensors.append(_tensor_structure(meta.data))
        video_seen.append((tensors, _json_messages(buffer, json_info)))
        return Gst.PadProbeReturn.OK

    run_with_probes(
        "videotestsrc num-buffers=3 ! video/x-raw,format=BGRx,width=64,height=48 ! "
        f"gvarust module={CALLBACKS / 'c_abi_writer.py'} function=video ! fakesink name=sink",
        {"sink": reader},
    )
    assert len(video_seen) == 3
    for n, (tensors, messages) in enumerate(video_seen):
        assert tensors == [
            {
                "name": "embedding",
                "layer_name": "fc",
                "model_name": "c-abi",
                "confidence": 0.625,
                "label_id": 7,
                "precision": 40,  # GVA_PRECISION_U8
                "dims": [2, 3],
                "variant_type": "ay",
                "data_buffer": bytes([n, 1, 2, 127, 128, 255]),
            }
        ]
        assert messages == ['{"frame": %d}' % n]


def test_audio_event_metas_written_by_a_pipeline_read_through_c_alone():
    json_info = ctypes.cast(_c(_plugin(), "gst_gva_json_meta_get_info", _p)(), _p).value
    audio_seen = []

    def reader(pad, info):
        buffer = info.get_buffer()
        # No exported getter for this one in DL Streamer's library either: the API type by its name.
        api = g_type_from_name(b"GstGVAAudioEventMetaAPI")
        assert api != 0
        events = []
        for meta in _metas(buffer, api, GstGVAAudioEventMeta):
            assert type_name(meta.meta.info.contents.type) == "GstGVAAudioEventMeta"
            params = []
            item = meta.params
            while item:
                structure = item.contents.data
                params.append(
                    {
                        "name": gst_structure_get_name(structure).decode(),
                        "label": _string(structure, "label"),
                        "confidence": _double(structure, "confidence"),
                        "label_id": _int(structure, "label_id"),
                    }
                )
                item = item.contents.next
            events.append(
                {
                    "type": g_quark_to_string(meta.event_type).decode(),
                    "id": meta.id,
                    "start": meta.start_timestamp,
                    "end": meta.end_timestamp,
                    "params": params,
                }
            )
        audio_seen.append((buffer.pts, buffer.duration, events, _json_messages(buffer, json_info)))
        return Gst.PadProbeReturn.OK

    run_with_probes(
        "audiotestsrc num-buffers=2 samplesperbuffer=80 ! audio/x-raw,format=S16LE,channels=1,rate=8000 ! "
        f"gvarust module={CALLBACKS / 'c_abi_writer.py'} function=audio ! fakesink name=sink",
        {"sink": reader},
    )
    assert len(audio_seen) == 2
    # Each element loads the callback module afresh: its counter starts at 0.
    for n, (pts, duration, events, messages) in enumerate(audio_seen):
        assert duration == 10_000_000  # 80 samples at 8 kHz
        assert events == [
            {
                "type": "Speech",
                "id": 40 + n,
                "start": pts,
                "end": pts + duration,
                "params": [
                    {"name": "detection", "label": None, "confidence": 0.75, "label_id": 3},
                    {"name": "text", "label": "hi %d" % n, "confidence": None, "label_id": None},
                ],
            }
        ]
        assert messages == ['{"audio": %d}' % n]
