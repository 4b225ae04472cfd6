# Scenario 2 (metadata-heavy): what the writer puts on every frame and the three readers.
#
# The writer (meta_write.py, an upstream gvarust instance) adds REGIONS regions per frame, each with
# its `detection` structure (from add_region) plus two uniquely named classification structures,
# `age` and `gender`, each with a `label` and a `confidence`. It sets the regions' ids to 1..REGIONS
# (`roi.meta().id = k`), so a reader without gvarust knows them: on PyGObject 3.42 GStreamer's
# introspected API can only find a region by id (buffer_get_video_region_of_interest_meta_id) and a
# parameter structure by name (get_param), and cannot list either.
#
# Every reader reads the same fields (rect, label, confidence of each region; label and confidence
# of each classification tensor) and folds them into a checksum: (sum of confidences, sum of rect
# coordinates, total label length). The bench compares the readers' per-frame checksums with each
# other and with expected(), computed from the writer's formula. RECORD is a list only during that
# check; the timed runs only compute the checksum.

REGIONS = 20
IDS = tuple(range(1, REGIONS + 1))
LABELS = ("person", "car", "bicycle", "dog")
TENSORS = ("age", "gender")

RECORD = None


def values(n, i):
    """Region i of frame n: (x, y, w, h, label, confidence, age label, age confidence, gender label, gender confidence)."""
    return (
        (i * 15 + n) % 200,
        (i * 11 + 2 * n) % 150,
        20 + i,
        30 + i % 5,
        LABELS[i % len(LABELS)],
        ((n * 7 + i * 13) % 97 + 1) / 100.0,
        str(20 + (n + i) % 50),
        ((n + i * 3) % 50 + 50) / 100.0,
        "female" if (n + i) % 2 else "male",
        ((n * 3 + i) % 40 + 60) / 100.0,
    )


def expected(n):
    """The checksum a correct reader computes for frame n (same order of additions as the readers)."""
    conf, rect, text = 0.0, 0, 0
    for i in range(REGIONS):
        x, y, w, h, label, c, age, age_c, gender, gender_c = values(n, i)
        rect += x + y + w + h
        text += len(label)
        conf += c
        text += len(age)
        conf += age_c
        text += len(gender)
        conf += gender_c
    return [conf, rect, text]


def write_region(frame, row):
    """Adds region `row` (a values() tuple) with its `age` and `gender` tensors; returns it."""
    x, y, w, h, label, conf, age, age_conf, gender, gender_conf = row
    roi = frame.add_region(x, y, w, h, label, conf)
    tensor = roi.add_tensor("age")
    tensor["label"] = age
    tensor["confidence"] = age_conf
    tensor = roi.add_tensor("gender")
    tensor["label"] = gender
    tensor["confidence"] = gender_conf
    return roi


# The writer scenario's values, computed once: frame n uses TABLE[n % len(TABLE)].
TABLE = [[values(n, i) for i in range(REGIONS)] for n in range(16)]


def _bulk(rows):
    import numpy

    boxes = numpy.array([row[:4] for row in rows], dtype=numpy.int32)
    confidences = numpy.array([row[5] for row in rows], dtype=numpy.float64)
    return boxes, [row[4] for row in rows], confidences


BULK_TABLE = [_bulk(rows) for rows in TABLE]


def _bulk_tensors(rows):
    """The `tensors` argument of add_regions() that writes what write_region() writes."""
    return {
        name: {"label": [row[6 + 2 * k] for row in rows], "confidence": [row[7 + 2 * k] for row in rows]}
        for k, name in enumerate(TENSORS)
    }


BULK_TENSORS = [_bulk_tensors(rows) for rows in TABLE]


def expected_regions(n):
    """What read_regions_array() computes for frame n: (sum of region confidences, sum of rect
    coordinates), with confidences rounded to float32 as the array stores them."""
    import numpy

    conf, rect = 0.0, 0
    for i in range(REGIONS):
        x, y, w, h, _, c, *_ = values(n, i)
        rect += x + y + w + h
        conf += float(numpy.float32(c))
    return [round(conf, 4), rect]


def read_regions_array(frame):
    """The bulk reader: one regions_array() call; the checksum only when checking."""
    array = frame.regions_array()
    if RECORD is not None:
        rect = int(array["x"].sum() + array["y"].sum() + array["w"].sum() + array["h"].sum())
        RECORD.append([round(float(array["confidence"].astype("float64").sum()), 4), rect])
    return array


def read_frame(frame):
    """gvarust's API: a VideoFrame (in a gvarust callback, or built from a Gst.Buffer in a pad probe)."""
    conf, rect, text = 0.0, 0, 0
    for roi in frame.regions():
        x, y, w, h = roi.rect()
        rect += x + y + w + h
        text += len(roi.label())
        conf += roi.confidence()
        for tensor in roi.tensors():
            if tensor.is_detection():  # its confidence is roi.confidence(); it has no label()
                continue
            text += len(tensor.label())
            conf += tensor.confidence()
    if RECORD is not None:
        RECORD.append([conf, rect, text])
    return conf


def make_introspection_reader():
    """GStreamer's own introspected API through PyGObject: regions by known id, structures by name."""
    import gi

    gi.require_version("GstVideo", "1.0")
    from gi.repository import GLib, GstVideo

    get_meta = GstVideo.buffer_get_video_region_of_interest_meta_id
    quark_to_string = GLib.quark_to_string

    def read_buffer(buffer):
        conf, rect, text = 0.0, 0, 0
        for region_id in IDS:
            meta = get_meta(buffer, region_id)
            rect += meta.x + meta.y + meta.w + meta.h
            text += len(quark_to_string(meta.roi_type))
            conf += meta.get_param("detection").get_value("confidence")
            for name in TENSORS:
                structure = meta.get_param(name)
                text += len(structure.get_value("label"))
                conf += structure.get_value("confidence")
        if RECORD is not None:
            RECORD.append([conf, rect, text])
        return conf

    return read_buffer
