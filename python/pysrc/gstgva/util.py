"""Compatibility name for ``gstgva.util``: see ``gvarust.util``.

Besides gvarust's helpers (``GST_PAD_PROBE_INFO_BUFFER``, ``TRANSFORM_IP_BUFFER``),
this module has the ctypes layer that code written against classic gstgva
sometimes uses below the classes: handles on the GStreamer, GObject, GLib and
GstVideo libraries with the signatures of the functions classic code calls, and
ctypes structures with the C layouts of ``GList``, ``GstMapInfo``, ``GValue``,
``GstMemory``, ``GstVideoRegionOfInterestMeta`` and DL Streamer's GVA metas.
gvarust's own classes do not use any of it.
"""

import ctypes
from contextlib import contextmanager as _contextmanager

import gi as _gi

_gi.require_version("Gst", "1.0")
_gi.require_version("GstVideo", "1.0")
_gi.require_version("GstAudio", "1.0")
from gi.repository import Gst as _Gst  # noqa: E402
from gi.repository import GstAudio as _GstAudio  # noqa: E402
from gi.repository import GstVideo as _GstVideo  # noqa: E402

from gvarust._native import util as _native_util  # noqa: E402
from gvarust.util import GST_PAD_PROBE_INFO_BUFFER, TRANSFORM_IP_BUFFER, WritableBuffer  # noqa: E402,F401


def _gva_metas_registered():
    # DL Streamer's metas must exist by name for the C calls below (as they do
    # once DL Streamer's library is loaded); registering needs Gst.init() done.
    _native_util._register_gva_metas()

_void_p = ctypes.c_void_p
_char_p = ctypes.c_char_p

GST_PADDING = 4
GST_VAAPI_VIDEO_MEMORY_NAME = "GstVaapiVideoMemory"


class GstMapInfo(ctypes.Structure):
    """``GstMapInfo``: what ``gst_buffer_map`` fills in."""

    _fields_ = [
        ("memory", _void_p),
        ("flags", ctypes.c_int),
        ("data", ctypes.POINTER(ctypes.c_byte)),
        ("size", ctypes.c_size_t),
        ("maxsize", ctypes.c_size_t),
        ("user_data", _void_p * 4),
        ("_gst_reserved", _void_p * GST_PADDING),
    ]


GST_MAP_INFO_POINTER = ctypes.POINTER(GstMapInfo)


class GUnion(ctypes.Union):
    """The value union of a ``GValue``."""

    _fields_ = [
        ("v_int", ctypes.c_int),
        ("v_uint", ctypes.c_uint),
        ("v_long", ctypes.c_long),
        ("v_ulong", ctypes.c_ulong),
        ("v_int64", ctypes.c_int64),
        ("v_uint64", ctypes.c_uint64),
        ("v_float", ctypes.c_float),
        ("v_double", ctypes.c_double),
        ("v_pointer", _void_p),
    ]


class GValue(ctypes.Structure):
    """``GValue``: a type and one value (GLib keeps two union slots)."""

    _fields_ = [("g_type", ctypes.c_size_t), ("data", GUnion * 2)]


G_VALUE_POINTER = ctypes.POINTER(GValue)


class GValueArray(ctypes.Structure):
    """``GValueArray``."""

    _fields_ = [("n_values", ctypes.c_uint32), ("values", _void_p), ("n_preallocated", ctypes.c_uint32)]


G_VALUE_ARRAY_POINTER = ctypes.POINTER(GValueArray)


class GstMiniObject(ctypes.Structure):
    """The first fields of ``GstMiniObject`` (type, refcount, lock state, flags)."""

    _fields_ = [
        ("type", _void_p),
        ("refcount", ctypes.c_int),
        ("lockstate", ctypes.c_int),
        ("flags", ctypes.c_uint),
    ]


class GstMemory(ctypes.Structure):
    """``GstMemory``."""

    _fields_ = [
        ("mini_object", GstMiniObject),
        ("allocator", _void_p),
        ("parent", _void_p),
        ("maxsize", ctypes.c_size_t),
        ("align", ctypes.c_size_t),
        ("offset", ctypes.c_size_t),
        ("size", ctypes.c_size_t),
    ]


GST_MEMORY_POINTER = ctypes.POINTER(GstMemory)


class GList(ctypes.Structure):
    """``GList``: a node of a doubly linked list."""


GLIST_POINTER = ctypes.POINTER(GList)
GList._fields_ = [("data", _void_p), ("next", GLIST_POINTER), ("prev", GLIST_POINTER)]


def _declare(library, signatures):
    for name, (argtypes, restype) in signatures.items():
        function = getattr(library, name)
        function.argtypes = argtypes
        function.restype = restype


libgst = ctypes.CDLL("libgstreamer-1.0.so.0")
_declare(
    libgst,
    {
        "gst_buffer_map": ([_void_p, GST_MAP_INFO_POINTER, ctypes.c_int], ctypes.c_int),
        "gst_buffer_unmap": ([_void_p, GST_MAP_INFO_POINTER], None),
        "gst_buffer_iterate_meta_filtered": ([_void_p, ctypes.POINTER(_void_p), ctypes.c_size_t], _void_p),
        "gst_buffer_remove_meta": ([_void_p, _void_p], ctypes.c_int),
        "gst_buffer_add_meta": ([_void_p, _void_p, _void_p], _void_p),
        "gst_buffer_get_memory": ([_void_p, ctypes.c_uint], GST_MEMORY_POINTER),
        "gst_memory_is_type": ([_void_p, _char_p], ctypes.c_int),
        "gst_mini_object_make_writable": ([_void_p], _void_p),
        "gst_mini_object_is_writable": ([_void_p], ctypes.c_int),
        "gst_mini_object_ref": ([_void_p], _void_p),
        "gst_mini_object_unref": ([_void_p], None),
        "gst_structure_new_empty": ([_char_p], _void_p),
        "gst_structure_copy": ([_void_p], _void_p),
        "gst_structure_free": ([_void_p], None),
        "gst_structure_get_name": ([_void_p], _char_p),
        "gst_structure_has_name": ([_void_p, _char_p], ctypes.c_int),
        "gst_structure_set_name": ([_void_p, _char_p], None),
        "gst_structure_set_value": ([_void_p, _char_p, _void_p], None),
        "gst_structure_set_array": ([_void_p, _char_p, _void_p], None),
        "gst_structure_remove_field": ([_void_p, _char_p], None),
        "gst_structure_get_field_type": ([_void_p, _char_p], ctypes.c_size_t),
        "gst_structure_get_string": ([_void_p, _char_p], _char_p),
        "gst_structure_get_value": ([_void_p, _char_p], _void_p),
        "gst_structure_get_int": ([_void_p, _char_p, ctypes.POINTER(ctypes.c_int)], ctypes.c_int),
        "gst_structure_get_double": ([_void_p, _char_p, ctypes.POINTER(ctypes.c_double)], ctypes.c_int),
        "gst_structure_get_array": ([_void_p, _char_p, ctypes.POINTER(G_VALUE_ARRAY_POINTER)], ctypes.c_int),
        "gst_structure_n_fields": ([_void_p], ctypes.c_int),
        "gst_structure_nth_field_name": ([_void_p, ctypes.c_uint], _char_p),
        "gst_caps_get_structure": ([_void_p, ctypes.c_uint], _void_p),
        "gst_value_array_get_type": ([], ctypes.c_size_t),
        "gst_value_array_append_value": ([_void_p, _void_p], None),
        "gst_meta_get_info": ([_char_p], _void_p),
        "gst_util_seqnum_next": ([], ctypes.c_uint),
    },
)

libgobject = ctypes.CDLL("libgobject-2.0.so.0")
_declare(
    libgobject,
    {
        "g_type_name": ([ctypes.c_size_t], _char_p),
        "g_type_from_name": ([_char_p], ctypes.c_size_t),
        "g_value_init": ([_void_p, ctypes.c_size_t], _void_p),
        "g_value_unset": ([_void_p], None),
        "g_value_get_int": ([_void_p], ctypes.c_int),
        "g_value_set_int": ([_void_p, ctypes.c_int], None),
        "g_value_get_uint": ([_void_p], ctypes.c_uint),
        "g_value_set_uint": ([_void_p, ctypes.c_uint], None),
        "g_value_get_float": ([_void_p], ctypes.c_float),
        "g_value_get_double": ([_void_p], ctypes.c_double),
        "g_value_get_variant": ([_void_p], _void_p),
        "g_value_set_variant": ([_void_p, _void_p], None),
        "g_value_array_new": ([ctypes.c_uint], G_VALUE_ARRAY_POINTER),
        "g_value_array_append": ([G_VALUE_ARRAY_POINTER, _void_p], G_VALUE_ARRAY_POINTER),
        "g_value_array_get_nth": ([G_VALUE_ARRAY_POINTER, ctypes.c_uint], G_VALUE_POINTER),
    },
)

libglib = ctypes.CDLL("libglib-2.0.so.0")
_declare(
    libglib,
    {
        "g_strdup": ([_char_p], _void_p),
        "g_free": ([_void_p], None),
        "g_list_remove": ([GLIST_POINTER, _void_p], GLIST_POINTER),
        "g_variant_get_fixed_array": ([_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.c_size_t], _void_p),
        "g_variant_new_fixed_array": ([_void_p, _void_p, ctypes.c_size_t, ctypes.c_size_t], _void_p),
    },
)


class VideoRegionOfInterestMeta(ctypes.Structure):
    """``GstVideoRegionOfInterestMeta``: the ``GstMeta`` header (flags, info), then
    the region's type quark, ids, box and list of parameter structures."""

    _fields_ = [
        ("_meta_flags", ctypes.c_int),
        ("_info", _void_p),
        ("roi_type", ctypes.c_uint32),
        ("id", ctypes.c_int),
        ("parent_id", ctypes.c_int),
        ("x", ctypes.c_uint),
        ("y", ctypes.c_uint),
        ("w", ctypes.c_uint),
        ("h", ctypes.c_uint),
        ("_params", GLIST_POINTER),
    ]


VIDEO_REGION_OF_INTEREST_POINTER = ctypes.POINTER(VideoRegionOfInterestMeta)

libgstvideo = ctypes.CDLL("libgstvideo-1.0.so.0")
_declare(
    libgstvideo,
    {
        "gst_video_region_of_interest_meta_get_param": ([VIDEO_REGION_OF_INTEREST_POINTER, _char_p], _void_p),
        "gst_video_region_of_interest_meta_add_param": ([VIDEO_REGION_OF_INTEREST_POINTER, _void_p], None),
    },
)


def _buffer_pointer(buffer):
    # PyGObject's hash() of a Gst.Buffer is its C pointer; a plain int is taken as one.
    return buffer if isinstance(buffer, int) else hash(buffer)


def _iterate(buffer, api_name, structure):
    _gva_metas_registered()
    api = libgobject.g_type_from_name(api_name.encode())
    if not api:
        return
    state = _void_p()
    while True:
        meta = libgst.gst_buffer_iterate_meta_filtered(_buffer_pointer(buffer), ctypes.byref(state), api)
        if not meta:
            return
        yield ctypes.cast(meta, ctypes.POINTER(structure)).contents


class GVATensorMeta(ctypes.Structure):
    """DL Streamer's ``GstGVATensorMeta``: the ``GstMeta`` header and the tensor's structure."""

    _fields_ = [("_meta_flags", ctypes.c_int), ("_info", _void_p), ("data", _void_p)]

    @classmethod
    def add_tensor_meta(cls, buffer):
        """Adds an empty tensor meta to a writable buffer; ``None`` if it cannot."""
        _gva_metas_registered()
        info = libgst.gst_meta_get_info(b"GstGVATensorMeta")
        if not info:
            return None
        meta = libgst.gst_buffer_add_meta(_buffer_pointer(buffer), info, None)
        return ctypes.cast(meta, ctypes.POINTER(cls)).contents if meta else None

    @classmethod
    def iterate(cls, buffer):
        """The buffer's tensor metas."""
        yield from _iterate(buffer, "GstGVATensorMetaAPI", cls)


class GVAJSONMetaStr(str):
    """A JSON meta's message that remembers its meta (for removal)."""

    def __new__(cls, meta, content):
        text = super().__new__(cls, content)
        text.meta = meta
        return text


class GVAJSONMeta(ctypes.Structure):
    """DL Streamer's ``GstGVAJSONMeta``: the ``GstMeta`` header and the message."""

    _fields_ = [("_meta_flags", ctypes.c_int), ("_info", _void_p), ("_message", _char_p)]

    def get_message(self):
        """The message, as text."""
        return GVAJSONMetaStr(self, (self._message or b"").decode("utf-8", "replace"))

    @classmethod
    def add_json_meta(cls, buffer, message):
        """Adds a JSON meta holding ``message`` to a writable buffer; ``None`` if it cannot."""
        _gva_metas_registered()
        info = libgst.gst_meta_get_info(b"GstGVAJSONMeta")
        if not info:
            return None
        pointer = libgst.gst_buffer_add_meta(_buffer_pointer(buffer), info, None)
        if not pointer:
            return None
        meta = ctypes.cast(pointer, ctypes.POINTER(cls)).contents
        # The meta frees the message with g_free: give it a GLib copy.
        ctypes.cast(ctypes.addressof(meta) + cls._message.offset, ctypes.POINTER(_void_p))[0] = (
            libglib.g_strdup(message.encode("utf-8"))
        )
        return meta

    @classmethod
    def remove_json_meta(cls, buffer, meta):
        """Removes ``meta`` from a writable buffer."""
        return bool(libgst.gst_buffer_remove_meta(_buffer_pointer(buffer), ctypes.byref(meta)))

    @classmethod
    def iterate(cls, buffer):
        """The buffer's JSON metas."""
        yield from _iterate(buffer, "GstGVAJSONMetaAPI", cls)


def is_vaapi_buffer(buffer):
    """Whether the buffer's first memory is VA-API video memory."""
    if buffer is None:
        raise TypeError("Passed buffer is None")
    memory = libgst.gst_buffer_get_memory(_buffer_pointer(buffer), 0)
    if not memory:
        return False
    try:
        return bool(libgst.gst_memory_is_type(memory, GST_VAAPI_VIDEO_MEMORY_NAME.encode()))
    finally:
        libgst.gst_mini_object_unref(memory)


@_contextmanager
def gst_buffer_data(buffer, flags):
    """Maps the buffer's memory for the block: a ctypes byte array of its bytes."""
    if buffer is None:
        raise TypeError("Cannot pass NULL to gst_buffer_map")
    pointer = _buffer_pointer(buffer)
    if (flags & _Gst.MapFlags.WRITE) and is_vaapi_buffer(pointer):
        raise RuntimeError("Couldn't map VASurface buffer for writing")
    mapping = GstMapInfo()
    if not libgst.gst_buffer_map(pointer, mapping, int(flags)):
        raise RuntimeError("Couldn't map buffer")
    try:
        yield ctypes.cast(mapping.data, ctypes.POINTER(ctypes.c_byte * mapping.size)).contents
    finally:
        libgst.gst_buffer_unmap(pointer, mapping)


def VideoInfoFromCaps(caps):
    """``GstVideo.VideoInfo`` of ``caps``."""
    return _GstVideo.VideoInfo.new_from_caps(caps)


def AudioInfoFromCaps(caps):
    """``GstAudio.AudioInfo`` of ``caps``."""
    return _GstAudio.AudioInfo.new_from_caps(caps)
