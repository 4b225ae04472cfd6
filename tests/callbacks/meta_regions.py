# Regions through VideoFrame/RegionOfInterest: adding, removing, geometry, tensors.
# The function to run is chosen with the element's `function` property.
import random

import gvarust
import recorder
import warncatch
from gstgva import RegionOfInterest, Tensor, VideoFrame


def describe(roi):
    return {
        "rect": list(roi.rect()),
        "label": roi.label(),
        "confidence": roi.confidence(),
        "id": roi.region_id(),
    }


def add_remove(frame):
    """100 regions added, half removed in shuffled order; the rest found by value."""
    added = []
    for i in range(100):
        roi = frame.add_region(i, 2 * i % 200, 10 + i, 5 + i % 7, f"obj{i}", i / 100.0)
        added.append(roi)
    ids = [roi.region_id() for roi in added]
    order = list(range(100))
    random.Random(7).shuffle(order)
    removed = sorted(order[:50])
    for i in order[:50]:
        frame.remove_region(added[i])
    errors = []
    for call in (lambda: frame.remove_region(added[removed[0]]),
                 lambda: added[removed[0]].label(),
                 lambda: frame.remove_region("not a region")):
        try:
            call()
            errors.append("accepted")
        except Exception as error:
            errors.append(type(error).__name__)
    regions = list(frame.regions())
    # Region objects compare equal when they view the same meta.
    same = [r == a for r, a in zip(regions, [added[i] for i in range(100) if i not in removed])]
    found = {}
    for r in regions:
        found[r.label()] = describe(r)
    recorder.record(__name__, {
        "isinstance": isinstance(added[0], RegionOfInterest) and isinstance(frame, VideoFrame),
        "ids_unique": len(set(ids)) == 100 and min(ids) >= 0,
        "ids_increasing": ids == sorted(ids),
        "removed": removed,
        "labels": [r.label() for r in regions],
        "found": found,
        "same": all(same) and len(same) == 50,
        "errors": errors,
        "hash_eq": hash(regions[0]) == hash(next(frame.regions())),
    })
    return True


def geometry(frame):
    """Normalized and clipped regions, warnings, normalized_rect, meta(), extra_params."""
    item = {}
    with warncatch.caught() as caught:
        inside = frame.add_region(10, 20, 30, 40, "inside", 0.5)
        norm = frame.add_region(0.25, 0.5, 0.5, 0.25, "norm", 0.75, normalized=True)
        clipped = frame.add_region(-10, 230, 50, 40, "clipped", 0.1)
        wide = frame.add_region(300.7, 10, 100, 10, label="wide", extra_params={"k": [1, 2], "s": "x"})
    item["warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    item["rects"] = [list(r.rect()) for r in (inside, norm, clipped, wide)]
    item["rect_type"] = type(inside.rect()).__name__
    item["rect_fields"] = list(inside.rect()._fields)
    item["rect_is_gvarust"] = type(inside.rect()) is gvarust.Rect
    item["normalized"] = [list(r.normalized_rect()) for r in (inside, norm, clipped)]
    det = wide.detection()
    item["wide_detection"] = dict(det)
    item["wide_confidence"] = wide.confidence()
    m = inside.meta()
    item["meta"] = [m.x, m.y, m.w, m.h, m.id == inside.region_id(), m.parent_id, m.roi_type != 0]
    m.parent_id = 77
    m.x = 11
    item["meta_after"] = [inside.parent_id(), list(inside.rect())]
    item["repr"] = repr(inside)
    item["label_id"] = inside.label_id()
    info = frame.video_info()
    item["video_info"] = [info.width, info.height, type(info).__module__]
    item["video_info_cached"] = frame.video_info() is info
    recorder.record(__name__, item)
    return True


KEPT_INFO = []


def info_per_caps(frame):
    """video_info() is one object per caps, shared by the stream's frames."""
    KEPT_INFO.append(frame.video_info())
    recorder.record(__name__, {"same": all(i is KEPT_INFO[0] for i in KEPT_INFO),
                               "width": KEPT_INFO[-1].width})
    return True


def region_tensors(frame):
    """ROI tensors in order, object ids, add_tensor copies, detection() on a bare region."""
    item = {}
    roi = frame.add_region(1, 2, 3, 4, "person", 0.9)
    age = roi.add_tensor("age")
    age["label"] = "42"
    age["confidence"] = 0.5
    roi.set_object_id(17)
    gender = roi.add_tensor("gender")
    gender.set_label("female")
    template = Tensor("template", {"label_id": 3, "type": "classification_result"})
    copied = roi.add_tensor("emotion", tensor=template)
    unnamed = roi.add_tensor()
    copied["extra"] = True
    item["template_untouched"] = "extra" not in template and template.name() == "template"
    item["names"] = [t.name() for t in roi.tensors()]
    item["labels"] = [t.label() if not t.is_detection() else None for t in roi.tensors()]
    item["object_id"] = roi.object_id()
    roi.set_object_id(18)
    item["object_id_after"] = roi.object_id()
    item["copied"] = dict(copied)
    item["unnamed"] = unnamed.name()
    # More tensors than tensors() keeps on the stack, object_id among them.
    many = frame.add_region(5, 6, 7, 8, "crowd", 0.5)
    for i in range(12):
        many.add_tensor(f"t{i}")["n"] = i
        if i == 5:
            many.set_object_id(3)
    item["many"] = [(t.name(), t["n"]) for t in many.tensors()]
    bad_names = []
    for bad in (3, "9lives", "", "a b"):
        try:
            many.add_tensor(bad)
            bad_names.append("accepted")
        except (TypeError, ValueError) as error:
            bad_names.append(f"{type(error).__name__}: {error}")
    item["bad_names"] = bad_names
    try:
        roi.detection().label()
        item["detection_label"] = "accepted"
    except RuntimeError as error:
        item["detection_label"] = f"RuntimeError: {error}"
    try:
        roi.detection().set_label("x")
        item["detection_set_label"] = "accepted"
    except RuntimeError as error:
        item["detection_set_label"] = f"RuntimeError: {error}"
    # A region added by C code (the test's pad probe) has no detection structure.
    bare = [r for r in frame.regions() if r.label() == "bare"]
    if bare:
        bare = bare[0]
        item["bare_before"] = {"confidence": bare.confidence(), "tensors": len(list(bare.tensors())),
                               "normalized": bare.normalized_rect(), "rect": list(bare.rect())}
        det = bare.detection()
        item["bare_detection"] = {"name": det.name(), "len": len(det), "is_detection": det.is_detection()}
        item["bare_after"] = {"confidence": bare.confidence(),
                              "names": [t.name() for t in bare.tensors()]}
        det["confidence"] = 0.25
        item["bare_confidence"] = bare.confidence()
    recorder.record(__name__, item)
    return True
