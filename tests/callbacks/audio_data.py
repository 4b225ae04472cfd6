# AudioFrame.data(), audio_info() and format properties on raw audio.
import numpy

import gvarust
import recorder

kept = []


def process_frame(frame):
    item = {"class": type(frame).__name__}
    item["rate"], item["channels"], item["format"] = frame.rate, frame.channels, frame.format
    item["default_writeable"] = bool(frame.data().flags.writeable)
    samples = frame.data(1)
    item["shape"] = list(samples.shape)
    item["dtype"] = str(samples.dtype)
    item["writeable"] = bool(samples.flags.writeable)
    item["size_matches"] = samples.nbytes == frame.size()
    item["max_abs"] = int(numpy.abs(samples.astype(numpy.int64)).max())
    # Interleaved layout: both channels of audiotestsrc carry the same wave.
    item["channels_equal"] = bool((samples[:, 0] == samples[:, 1]).all())
    try:
        samples[0, 0] = 1
        item["read_only_write"] = "accepted"
    except ValueError:
        item["read_only_write"] = "ValueError"
    writable = frame.data(2)
    item["writable_writeable"] = bool(writable.flags.writeable)
    writable[:] = 7
    item["write_seen"] = int(frame.data(1)[0, 0])
    info = frame.audio_info()
    item["audio_info_same"] = info is frame.audio_info()
    item["audio_info_rate"] = info.rate
    item["audio_info_channels"] = info.channels
    item["audio_info_type"] = type(info).__name__
    if kept:
        item["info_shared_across_frames"] = kept[0][2] is info
    kept.append((samples, frame, info))
    for bad in ("x", 4, -1):
        try:
            frame.data(bad)
            item.setdefault("bad_flags", []).append("accepted")
        except (TypeError, ValueError) as error:
            item.setdefault("bad_flags", []).append(type(error).__name__)
    recorder.record(__name__, item)
    return True


def on_eos():
    if not kept:
        return
    # Kept arrays stay valid (they hold their memory); kept frames are invalidated.
    samples, frame, _ = kept[0]
    result = {"kept_shape": list(samples.shape), "kept_value": int(samples[0, 0])}
    try:
        frame.data()
        result["kept_frame"] = "usable"
    except gvarust.InvalidatedError:
        result["kept_frame"] = "InvalidatedError"
    recorder.record(__name__ + ".eos", result)


def unsupported(frame):
    try:
        frame.data()
        recorder.record(__name__ + ".unsupported", "no error")
    except RuntimeError as error:
        recorder.record(__name__ + ".unsupported", str(error))
    return True


def float_planar(frame):
    samples = frame.data()
    recorder.record(__name__ + ".planar", {
        "shape": list(samples.shape), "dtype": str(samples.dtype),
        "format": frame.format,
    })
    return True
