# A non-PyGObject host: drives GStreamer through ctypes (no gi for this Python).
import ctypes, sys
gst = ctypes.CDLL("libgstreamer-1.0.so.0")
gst.gst_init(None, None)
gst.gst_parse_launch.restype = ctypes.c_void_p
gst.gst_parse_launch.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
p = gst.gst_parse_launch(sys.argv[1].encode(), None)
gst.gst_element_set_state.argtypes = [ctypes.c_void_p, ctypes.c_int]
gst.gst_element_get_bus.restype = ctypes.c_void_p
gst.gst_element_get_bus.argtypes = [ctypes.c_void_p]
bus = gst.gst_element_get_bus(p)
gst.gst_bus_timed_pop_filtered.restype = ctypes.c_void_p
gst.gst_bus_timed_pop_filtered.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int]
gst.gst_element_set_state(p, 4)
ERROR, EOS = 1 << 1, 1 << 0
msg = gst.gst_bus_timed_pop_filtered(bus, 20 * 10**9, ERROR | EOS)
class GError(ctypes.Structure):
    _fields_ = [("domain", ctypes.c_uint32), ("code", ctypes.c_int), ("message", ctypes.c_char_p)]
if not msg:
    print("TIMEOUT"); sys.exit(2)
mtype = ctypes.c_int.from_address(msg + 64).value  # GstMessage.type after GstMiniObject (64 bytes)
if mtype == ERROR:
    err = ctypes.POINTER(GError)(); dbg = ctypes.c_char_p()
    gst.gst_message_parse_error.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    gst.gst_message_parse_error(msg, ctypes.byref(err), ctypes.byref(dbg))
    print("ERROR:", err.contents.message.decode())
else:
    print("EOS")
gst.gst_element_set_state(p, 1)
print("host survived, running %d.%d" % sys.version_info[:2])
