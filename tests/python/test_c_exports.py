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
