# AudioEvent through the gstgva.audio names: add, list, read, tensors, remove, invalidation.
from gstgva import Tensor
from gstgva.audio import AudioEvent, AudioFrame, Segment
# Classic gstgva's module paths inside the package resolve to the same classes.
from gstgva.audio.audio_event import AudioEvent as ClassicAudioEvent
from gstgva.audio.audio_event_meta import AudioEventMeta as ClassicAudioEventMeta
from gstgva.audio.audio_frame import AudioFrame as ClassicAudioFrame

import gvarust
import recorder

kept = []


assert (ClassicAudioEvent, ClassicAudioFrame) == (AudioEvent, AudioFrame)
assert ClassicAudioEventMeta is gvarust.AudioEventMeta


def process_frame(frame):
    assert isinstance(frame, AudioFrame)
    item = {}
    start = frame.pts
    end = frame.pts + frame.duration
    speech = frame.add_event(start, end, label="Speech", confidence=0.75, label_id=3)
    dog = frame.add_event(start, start + 1000, "Dog")
    events = list(frame.events())
    item["isinstance"] = all(isinstance(e, AudioEvent) for e in events)
    item["labels"] = [e.label() for e in events]
    item["same"] = events[0] == speech and hash(events[0]) == hash(speech) and events[1] == dog
    seg = events[0].segment()
    item["segment_ok"] = isinstance(seg, Segment) and seg == (start, end) and seg.start_time == start
    item["confidence"] = [e.confidence() for e in events]
    item["label_id"] = [e.label_id() for e in events]
    item["event_id"] = events[0].event_id()
    det = speech.detection()
    item["detection"] = {"name": det.name(), "is_detection": det.is_detection(),
                         "start": det["start_timestamp"], "end": det["end_timestamp"]}
    extra = speech.add_tensor("text")
    extra["label"] = "hello"
    copied = speech.add_tensor("copy", tensor=Tensor("src", {"n": 1}))
    item["tensors"] = [t.name() for t in speech.tensors()]
    item["copied_n"] = copied["n"]
    item["tensor_types"] = all(isinstance(t, Tensor) for t in speech.tensors())
    meta = speech.meta()
    meta.id = 42
    meta.end_timestamp = end + 5
    item["meta"] = [meta.id, meta.start_timestamp == start, meta.end_timestamp == end + 5,
                    meta.event_type != 0, speech.event_id()]
    item["repr"] = repr(speech).startswith("<gvarust.AudioEvent label=\"Speech\"")
    frame.remove_event(dog)
    errors = []
    for bad in (dog, "x"):
        try:
            frame.remove_event(bad)
            errors.append("accepted")
        except (RuntimeError, TypeError) as error:
            errors.append(type(error).__name__)
    try:
        dog.label()
        errors.append("accepted")
    except RuntimeError:
        errors.append("RuntimeError")
    try:
        frame.add_event(10, 5)
        errors.append("accepted")
    except ValueError:
        errors.append("ValueError")
    item["errors"] = errors
    item["after_remove"] = [e.label() for e in frame.events()]
    item["valid"] = [speech.is_valid(), dog.is_valid()]
    kept.append((speech, extra))
    recorder.record(__name__, item)
    return True


def on_eos():
    if not kept:
        return
    speech, extra = kept[0]
    out = []
    for call in (speech.label, extra.name):
        try:
            call()
            out.append("usable")
        except gvarust.InvalidatedError:
            out.append("InvalidatedError")
    out.append(repr(speech))
    recorder.record(__name__ + ".eos", out)


def reader(frame):
    # A second element downstream sees the events the first one added.
    recorder.record(__name__ + ".reader", [
        {"label": e.label(), "segment": list(e.segment()), "confidence": e.confidence(),
         "tensors": [t.name() for t in e.tensors()], "id": e.event_id()}
        for e in frame.events()
    ])
    return True
