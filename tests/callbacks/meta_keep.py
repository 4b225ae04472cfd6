# Regions, tensors and messages kept past their callback raise InvalidatedError.
import gvarust
import recorder

kept = None


def try_call(call):
    try:
        call()
        return "accepted"
    except gvarust.InvalidatedError as error:
        return f"InvalidatedError: {error}"
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def process_frame(frame):
    global kept
    if kept is not None:
        roi, roi_tensor, frame_tensor, message, messages = kept
        recorder.record(__name__, {
            "is_runtime_error": issubclass(gvarust.InvalidatedError, RuntimeError),
            "roi": [try_call(roi.rect), try_call(roi.label), try_call(lambda: list(roi.tensors())),
                    try_call(lambda: roi.set_object_id(1))],
            "roi_tensor": [try_call(roi_tensor.name), try_call(lambda: roi_tensor["confidence"]),
                           try_call(lambda: roi_tensor.__setitem__("x", 1))],
            "frame_tensor": [try_call(frame_tensor.fields), try_call(frame_tensor.data)],
            "message": [try_call(message.meta.message), str(message)],
            "remove_kept": [try_call(lambda: frame.remove_region(roi)),
                            try_call(lambda: frame.remove_message(message))],
            "valid": [roi.is_valid(), roi_tensor.is_valid(), frame_tensor.is_valid()],
            "reprs": [repr(roi), repr(roi_tensor)],
        })
    roi = frame.add_region(0, 0, 10, 10, "kept", 0.5)
    frame_tensor = frame.add_tensor()
    frame.add_message("kept message")
    kept = (roi, roi.detection(), frame_tensor, frame.messages()[0], frame.messages())
    return True
