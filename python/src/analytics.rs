//! GstAnalytics interop: which metadata a frame writes ([`MetadataMode`]) and, with the
//! `analytics` feature (GStreamer >= 1.24), the mirror between region metas
//! (`GstVideoRegionOfInterestMeta`) and the records of a `GstAnalyticsRelationMeta`.
//!
//! The rules follow DL Streamer 2025.2:
//! - a region added in [`MetadataMode::Both`] also gets an object-detection (OD) record with the
//!   same box, its label as the record's type quark and its confidence; the region meta's `id` is
//!   the record's id. On GStreamer 1.26 builds (feature `analytics-v1_26`) the record is an
//!   oriented one with rotation 0;
//! - a region meta and an OD record are the same object when the meta's `id` is the record's id
//!   and its label is the record's type;
//! - a classification added to such a region becomes a classification (Cls) record related to
//!   the OD record (CONTAIN from the OD record, IS_PART_OF back); a tracking id becomes a
//!   tracking record related the same way;
//! - reading (`import_records`) gives every OD record without a region meta a region meta
//!   (label, box, `detection` with the confidence), and copies related Cls and tracking records
//!   that the region does not show yet into its parameters (`classification` structures with
//!   `label` and `confidence`; `object_id`). Imported regions come after the existing ones, in
//!   record order;
//! - `remove_od` rebuilds the relation meta without the OD record and the records it
//!   contains (GstAnalytics cannot remove one record); ids of the remaining records change, and
//!   region metas follow.

/// Which metadata `add_region` (and classification / tracking writes) produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetadataMode {
    /// DL Streamer's classic metadata only: region metas and their parameter structures.
    Gva,
    /// Region metas plus GstAnalytics records mirroring them (DL Streamer 2025.2); records
    /// without a region meta are read as regions. Only on builds with the `analytics` feature.
    Both,
    /// GstAnalytics records only: frames work as in [`Both`](Self::Both) while code uses
    /// them, and [`finish_frame`] then removes the region metas that mirror records, so only
    /// the records travel on. Only on builds with the `analytics` feature.
    Analytics,
}

impl MetadataMode {
    /// The default of this build: [`Both`](Self::Both) with the `analytics` feature, else
    /// [`Gva`](Self::Gva).
    pub const fn build_default() -> MetadataMode {
        if cfg!(feature = "analytics") {
            MetadataMode::Both
        } else {
            MetadataMode::Gva
        }
    }

    /// Whether this build can mirror to GstAnalytics (the `analytics` feature).
    pub const fn analytics_available() -> bool {
        cfg!(feature = "analytics")
    }

    /// The mode's name: `"gva"`, `"both"` or `"analytics"`.
    pub const fn nick(self) -> &'static str {
        match self {
            MetadataMode::Gva => "gva",
            MetadataMode::Both => "both",
            MetadataMode::Analytics => "analytics",
        }
    }

    /// Parses a name; `"both"` is refused on builds without the `analytics` feature.
    pub fn from_nick(nick: &str) -> Result<MetadataMode, String> {
        match nick {
            "gva" => Ok(MetadataMode::Gva),
            "both" if Self::analytics_available() => Ok(MetadataMode::Both),
            "analytics" if Self::analytics_available() => Ok(MetadataMode::Analytics),
            "both" | "analytics" => Err(format!(
                "metadata {nick:?} needs a build with GstAnalytics (GStreamer >= 1.24, \
                 cargo feature `analytics`); this build has \"gva\" only"
            )),
            other => Err(format!(
                "unknown metadata {other:?} (expected \"gva\", \"both\" or \"analytics\")"
            )),
        }
    }

    /// Whether GstAnalytics records are written and read.
    pub const fn mirrors(self) -> bool {
        matches!(self, MetadataMode::Both | MetadataMode::Analytics) && Self::analytics_available()
    }

    /// The mode as a small number (for atomics), the inverse of [`MetadataMode::from_u8`].
    pub const fn as_u8(self) -> u8 {
        match self {
            MetadataMode::Gva => 0,
            MetadataMode::Both => 1,
            MetadataMode::Analytics => 2,
        }
    }

    /// The mode of [`MetadataMode::as_u8`]; unknown numbers are [`Gva`](Self::Gva).
    pub const fn from_u8(value: u8) -> MetadataMode {
        match value {
            1 => MetadataMode::Both,
            2 => MetadataMode::Analytics,
            _ => MetadataMode::Gva,
        }
    }
}

/// What a frame does when the code using it is done with it (the element: after the
/// callback; a pad probe: at the end of its writable block): in
/// [`MetadataMode::Analytics`], each region meta that mirrors an OD record is removed, after
/// its classifications that have no Cls record yet (a parameter structure with a string
/// `label`, such as one filled in after `add_tensor("name")`) got one. Parameter structures
/// that are not classifications, detections or tracking ids go with the region meta. Returns
/// how many region metas were removed.
pub fn finish_frame(buffer: &mut gst::BufferRef, mode: MetadataMode) -> Result<usize, String> {
    #[cfg(feature = "analytics")]
    if mode == MetadataMode::Analytics {
        return strip_mirrored_regions(buffer).map_err(|e| e.to_string());
    }
    let _ = (buffer, mode);
    Ok(0)
}

impl Default for MetadataMode {
    fn default() -> Self {
        Self::build_default()
    }
}

#[cfg(feature = "analytics")]
pub use imp::*;

/// What a frame does after `add_region` added the region meta `roi_seqnum`: in
/// [`MetadataMode::Both`], mirrors it to an OD record (see `imp::mirror_region`); otherwise
/// nothing.
pub fn region_added(
    buffer: &mut gst::BufferRef,
    roi_seqnum: u64,
    mode: MetadataMode,
) -> Result<(), String> {
    #[cfg(feature = "analytics")]
    if mode.mirrors() {
        return mirror_region(buffer, roi_seqnum)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    let _ = (buffer, roi_seqnum, mode);
    Ok(())
}

/// What a frame does before listing its regions: in [`MetadataMode::Both`], reads OD records
/// without region meta into region metas (see `imp::import_records`); otherwise nothing.
pub fn before_listing(
    buffer: &mut gst::BufferRef,
    frame_size: Option<(u32, u32)>,
    mode: MetadataMode,
) -> Result<(), String> {
    #[cfg(feature = "analytics")]
    if mode.mirrors() {
        return import_records(buffer, frame_size)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    let _ = (buffer, frame_size, mode);
    Ok(())
}

/// Whether the buffer holds records that [`before_listing`] would read into region metas.
pub fn has_records(buffer: &gst::BufferRef, mode: MetadataMode) -> bool {
    #[cfg(feature = "analytics")]
    if mode.mirrors() {
        return relation_meta(buffer).is_some_and(|m| !m.is_empty());
    }
    let _ = (buffer, mode);
    false
}

/// What a frame does before removing the region meta `roi_seqnum`: in
/// [`MetadataMode::Both`], removes its OD record and the records it contains (see
/// `imp::remove_od`); an error means nothing was changed and the region must stay.
pub fn region_removing(
    buffer: &mut gst::BufferRef,
    roi_seqnum: u64,
    mode: MetadataMode,
) -> Result<(), String> {
    #[cfg(feature = "analytics")]
    if mode.mirrors() {
        let od = crate::frame::region_by_seqnum(buffer, roi_seqnum)
            .and_then(|roi| od_for_region(buffer, &roi))
            .map(|od| od.id);
        if let Some(od) = od {
            return remove_od(buffer, od).map_err(|e| e.to_string());
        }
    }
    let _ = (buffer, roi_seqnum, mode);
    Ok(())
}

/// What a region does after a tensor was added to it: in [`MetadataMode::Both`], a tensor with
/// a string `label` (other than `detection`) becomes a Cls record related to the region's OD
/// record (see `imp::add_classification`).
pub fn tensor_added(
    buffer: &mut gst::BufferRef,
    roi_seqnum: u64,
    tensor: &gst::StructureRef,
    mode: MetadataMode,
) -> Result<(), String> {
    #[cfg(feature = "analytics")]
    if mode.mirrors() && tensor.name() != crate::tensor::DETECTION_NAME {
        let Ok(label) = tensor.get::<&str>("label") else {
            return Ok(());
        };
        let confidence = crate::tensor::Tensor::from_structure(tensor)
            .confidence()
            .unwrap_or(0.0);
        let od = crate::frame::region_by_seqnum(buffer, roi_seqnum)
            .and_then(|roi| od_for_region(buffer, &roi))
            .map(|od| od.id);
        if let Some(od) = od {
            return add_classification(buffer, od, label, confidence)
                .map(|_| ())
                .map_err(|e| e.to_string());
        }
    }
    let _ = (buffer, roi_seqnum, tensor, mode);
    Ok(())
}

/// What a region does after its tracking id was set: in [`MetadataMode::Both`], the OD record
/// gets a tracking record with that id (see `imp::set_tracking_id`).
pub fn object_id_set(
    buffer: &mut gst::BufferRef,
    roi_seqnum: u64,
    object_id: i32,
    mode: MetadataMode,
) -> Result<(), String> {
    #[cfg(feature = "analytics")]
    if mode.mirrors() {
        let od = crate::frame::region_by_seqnum(buffer, roi_seqnum)
            .and_then(|roi| od_for_region(buffer, &roi))
            .map(|od| od.id);
        if let (Some(od), Ok(id)) = (od, u64::try_from(object_id)) {
            let first_seen = buffer.pts().unwrap_or(gst::ClockTime::ZERO);
            return set_tracking_id(buffer, od, id, first_seen)
                .map(|_| ())
                .map_err(|e| e.to_string());
        }
    }
    let _ = (buffer, roi_seqnum, object_id, mode);
    Ok(())
}

/// The region's rotation in radians: its OD record's (oriented records on 1.26 builds), else 0.
pub fn rotation(buffer: &gst::BufferRef, roi: &crate::region::RoiMeta) -> f64 {
    #[cfg(feature = "analytics")]
    if let Some(od) = od_for_region(buffer, roi) {
        return f64::from(od.rotation);
    }
    let _ = (buffer, roi);
    0.0
}

/// The region's parent id: the OD record its OD record IS_PART_OF (when mirrored), else the
/// meta's `parent_id` when it is set (non-zero), else `None`.
pub fn parent_id(buffer: &gst::BufferRef, roi: &crate::region::RoiMeta) -> Option<i32> {
    #[cfg(feature = "analytics")]
    if let Some(od) = od_for_region(buffer, roi) {
        if let Some(parent) = parent_od(buffer, od.id) {
            return i32::try_from(parent).ok();
        }
    }
    let _ = buffer;
    Some(roi.parent_id()).filter(|p| *p != 0)
}

#[cfg(feature = "analytics")]
mod imp {
    use std::ffi::CStr;

    use glib::translate::{FromGlib, IntoGlib};
    use gst_analytics::prelude::*;
    use gst_analytics::{
        AnalyticsAnyMtd, AnalyticsClassificationMtd, AnalyticsMtd, AnalyticsODMtd,
        AnalyticsRelationMeta, AnalyticsTrackingMtd, RelTypes,
    };

    use crate::region::{self, Rect, RoiMeta};

    /// Name of the parameter structures made from classification records.
    pub const CLASSIFICATION_NAME: &str = "classification";

    /// Why a mirror operation failed.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum AnalyticsError {
        /// The relation meta holds records of types gvarust cannot copy, so it cannot be rebuilt.
        UnknownRecords(Vec<String>),
        /// GStreamer refused to add a record or relation.
        Refused(String),
    }

    impl std::fmt::Display for AnalyticsError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match self {
                AnalyticsError::UnknownRecords(types) => write!(
                    f,
                    "the buffer's GstAnalyticsRelationMeta holds records of types gvarust cannot \
                     copy ({}); GstAnalytics cannot remove one record, and rebuilding the meta \
                     would lose them",
                    types.join(", ")
                ),
                AnalyticsError::Refused(what) => write!(f, "GstAnalytics refused: {what}"),
            }
        }
    }

    impl std::error::Error for AnalyticsError {}

    impl From<glib::BoolError> for AnalyticsError {
        fn from(e: glib::BoolError) -> Self {
            AnalyticsError::Refused(e.to_string())
        }
    }

    /// A quark's string; `""` for quark 0, invalid UTF-8 replaced (never a panic).
    pub fn quark_string(quark: u32) -> String {
        // SAFETY: g_quark_to_string returns NULL or an interned string that lives forever.
        unsafe {
            let s = glib::ffi::g_quark_to_string(quark);
            if s.is_null() {
                String::new()
            } else {
                CStr::from_ptr(s).to_string_lossy().into_owned()
            }
        }
    }

    fn quark_raw(q: Option<glib::Quark>) -> u32 {
        q.map_or(0, |q| q.into_glib())
    }

    /// One object-detection record.
    #[derive(Debug, Clone, PartialEq)]
    pub struct OdRecord {
        /// The record id.
        pub id: u32,
        /// The type quark (0 when unset).
        pub type_quark: u32,
        /// The type's string (see [`quark_string`]).
        pub label: String,
        /// Box in pixels (may be negative or outside the frame: as the producer wrote it).
        pub x: i32,
        /// Top edge.
        pub y: i32,
        /// Width.
        pub w: i32,
        /// Height.
        pub h: i32,
        /// Rotation in radians (0 for records that are not oriented, or on 1.24 builds).
        pub rotation: f32,
        /// The location confidence.
        pub confidence: f32,
    }

    /// A classification record: its classes (label, level), in record order.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ClsRecord {
        /// The record id.
        pub id: u32,
        /// (class label, confidence level) pairs.
        pub classes: Vec<(String, f32)>,
    }

    impl ClsRecord {
        /// The class with the highest level (the first among equals).
        pub fn best(&self) -> Option<&(String, f32)> {
            self.classes
                .iter()
                .reduce(|a, b| if b.1 > a.1 { b } else { a })
        }
    }

    type Meta<'a> = gst::MetaRef<'a, AnalyticsRelationMeta>;

    fn od_of(m: &gst_analytics::AnalyticsMtdRef<'_, AnalyticsODMtd>) -> Option<OdRecord> {
        let loc = m.location().ok()?;
        #[cfg(feature = "analytics-v1_26")]
        let rotation = m.oriented_location().map(|l| l.r).unwrap_or(0.0);
        #[cfg(not(feature = "analytics-v1_26"))]
        let rotation = 0.0;
        let type_quark = quark_raw(m.obj_type());
        Some(OdRecord {
            id: m.id(),
            type_quark,
            label: quark_string(type_quark),
            x: loc.x,
            y: loc.y,
            w: loc.w,
            h: loc.h,
            rotation,
            confidence: loc.loc_conf_lvl,
        })
    }

    fn cls_of(m: &gst_analytics::AnalyticsMtdRef<'_, AnalyticsClassificationMtd>) -> ClsRecord {
        let classes = (0..m.len())
            .map(|i| (quark_string(m.quark(i).into_glib()), m.level(i)))
            .collect();
        ClsRecord {
            id: m.id(),
            classes,
        }
    }

    /// The buffer's (first) relation meta.
    pub fn relation_meta(buffer: &gst::BufferRef) -> Option<Meta<'_>> {
        buffer.meta::<AnalyticsRelationMeta>()
    }

    /// The OD records, in record order.
    pub fn od_records(buffer: &gst::BufferRef) -> Vec<OdRecord> {
        let Some(meta) = relation_meta(buffer) else {
            return Vec::new();
        };
        meta.iter::<AnalyticsODMtd>()
            .filter_map(|m| od_of(&m))
            .collect()
    }

    /// The OD record with id `id`.
    pub fn od_record(buffer: &gst::BufferRef, id: u32) -> Option<OdRecord> {
        let meta = relation_meta(buffer)?;
        meta.mtd::<AnalyticsODMtd>(id).and_then(|m| od_of(&m))
    }

    /// The OD record mirroring `roi`: id equal to the meta's `id`, type equal to its label.
    pub fn od_for_region(buffer: &gst::BufferRef, roi: &RoiMeta) -> Option<OdRecord> {
        let id = u32::try_from(roi.id()).ok()?;
        od_record(buffer, id).filter(|od| od.type_quark == region::label_quark(roi))
    }

    /// The Cls records related to OD record `od` (CONTAIN from the OD record), in record order.
    pub fn classifications(buffer: &gst::BufferRef, od: u32) -> Vec<ClsRecord> {
        let Some(meta) = relation_meta(buffer) else {
            return Vec::new();
        };
        meta.iter_direct_related::<AnalyticsClassificationMtd>(od, RelTypes::CONTAIN)
            .map(|m| cls_of(&m))
            .collect()
    }

    /// The tracking id of the first tracking record related to OD record `od`.
    pub fn tracking_id(buffer: &gst::BufferRef, od: u32) -> Option<u64> {
        let meta = relation_meta(buffer)?;
        let mut it = meta.iter_direct_related::<AnalyticsTrackingMtd>(od, RelTypes::ANY);
        it.next().map(|m| m.info().0)
    }

    /// The OD record that OD record `od` IS_PART_OF, if any.
    pub fn parent_od(buffer: &gst::BufferRef, od: u32) -> Option<u32> {
        let meta = relation_meta(buffer)?;
        let mut it = meta.iter_direct_related::<AnalyticsODMtd>(od, RelTypes::IS_PART_OF);
        it.next().map(|m| m.id())
    }

    fn relation_meta_mut(
        buffer: &mut gst::BufferRef,
    ) -> gst::MetaRefMut<'_, AnalyticsRelationMeta, gst::meta::Standalone> {
        if buffer.meta::<AnalyticsRelationMeta>().is_some() {
            buffer
                .meta_mut::<AnalyticsRelationMeta>()
                .expect("the meta was just found")
        } else {
            AnalyticsRelationMeta::add(buffer)
        }
    }

    fn pixels(v: u32) -> i32 {
        i32::try_from(v).unwrap_or(i32::MAX)
    }

    /// Adds an OD record for a box and returns its id (oriented, rotation 0, on 1.26 builds).
    pub fn add_od(
        buffer: &mut gst::BufferRef,
        label: &str,
        rect: Rect,
        confidence: f64,
    ) -> Result<u32, AnalyticsError> {
        let mut meta = relation_meta_mut(buffer);
        let quark = glib::Quark::from_str(label);
        let (x, y, w, h) = (
            pixels(rect.x),
            pixels(rect.y),
            pixels(rect.w),
            pixels(rect.h),
        );
        #[cfg(feature = "analytics-v1_26")]
        let id = meta
            .add_oriented_od_mtd(quark, x, y, w, h, 0.0, confidence as f32)?
            .id();
        #[cfg(not(feature = "analytics-v1_26"))]
        let id = meta.add_od_mtd(quark, x, y, w, h, confidence as f32)?.id();
        Ok(id)
    }

    fn relate(
        meta: &mut gst::MetaRefMut<'_, AnalyticsRelationMeta, gst::meta::Standalone>,
        od: u32,
        record: u32,
    ) -> Result<(), AnalyticsError> {
        meta.set_relation(RelTypes::CONTAIN, od, record)?;
        meta.set_relation(RelTypes::IS_PART_OF, record, od)?;
        Ok(())
    }

    /// Mirrors the region `roi_seqnum` (an ROI meta on `buffer`): adds its OD record and sets
    /// the meta's `id` to the record's id. Returns the id.
    pub fn mirror_region(
        buffer: &mut gst::BufferRef,
        roi_seqnum: u64,
    ) -> Result<u32, AnalyticsError> {
        let (label, rect, confidence) = {
            let roi = crate::frame::region_by_seqnum(buffer, roi_seqnum)
                .ok_or_else(|| AnalyticsError::Refused("the region is not on the buffer".into()))?;
            (
                region::label(&roi).to_string(),
                region::rect(&roi),
                region::confidence(&roi).unwrap_or(0.0),
            )
        };
        let id = add_od(buffer, &label, rect, confidence)?;
        if let Some(mut roi) = crate::frame::region_mut(buffer, roi_seqnum) {
            roi.set_id(i32::try_from(id).unwrap_or(i32::MAX));
        }
        Ok(id)
    }

    /// Adds a Cls record with one class related to OD record `od`. Returns its id.
    pub fn add_classification(
        buffer: &mut gst::BufferRef,
        od: u32,
        label: &str,
        confidence: f64,
    ) -> Result<u32, AnalyticsError> {
        let mut meta = relation_meta_mut(buffer);
        let id = meta
            .add_one_cls_mtd(confidence as f32, glib::Quark::from_str(label))?
            .id();
        relate(&mut meta, od, id)?;
        Ok(id)
    }

    /// Gives OD record `od` the tracking id `tracking_id`: a tracking record related to it.
    /// An existing tracking record of `od` with another id is dropped first (the relation meta
    /// is rebuilt without it, see [`remove_od`]).
    pub fn set_tracking_id(
        buffer: &mut gst::BufferRef,
        od: u32,
        tracking_id: u64,
        first_seen: gst::ClockTime,
    ) -> Result<u32, AnalyticsError> {
        let mut od = od;
        let old: Vec<u32> = match relation_meta(buffer) {
            Some(meta) => meta
                .iter_direct_related::<AnalyticsTrackingMtd>(od, RelTypes::ANY)
                .filter(|m| m.info().0 != tracking_id)
                .map(|m| m.id())
                .collect(),
            None => Vec::new(),
        };
        if !old.is_empty() {
            let map = rebuild_without(buffer, &old)?;
            od = map.get(&od).copied().unwrap_or(od);
        }
        if let Some(existing) = relation_meta(buffer).and_then(|meta| {
            meta.iter_direct_related::<AnalyticsTrackingMtd>(od, RelTypes::ANY)
                .next()
                .map(|m| m.id())
        }) {
            return Ok(existing);
        }
        let mut meta = relation_meta_mut(buffer);
        let id = meta.add_tracking_mtd(tracking_id, first_seen)?.id();
        relate(&mut meta, od, id)?;
        Ok(id)
    }

    /// Removes OD record `od` and the Cls and tracking records it contains, by rebuilding the
    /// relation meta without them. Region metas that mirror a remaining OD record get its new
    /// id. Fails (changing nothing) when the meta holds record types gvarust cannot copy.
    pub fn remove_od(buffer: &mut gst::BufferRef, od: u32) -> Result<(), AnalyticsError> {
        let mut drop = vec![od];
        if let Some(meta) = relation_meta(buffer) {
            for m in meta.iter_direct_related::<AnalyticsAnyMtd>(od, RelTypes::CONTAIN) {
                let t = m.mtd_type();
                if t == AnalyticsClassificationMtd::mtd_type()
                    || t == AnalyticsTrackingMtd::mtd_type()
                {
                    drop.push(m.id());
                }
            }
        } else {
            return Ok(());
        }
        rebuild_without(buffer, &drop).map(|_| ())
    }

    /// One record of a relation meta, copied out (see [`RelationSnapshot`]).
    #[derive(Debug, Clone, PartialEq)]
    pub enum Record {
        /// An object detection.
        Od(OdRecord),
        /// A classification: its (level, class) pairs.
        Cls {
            /// Confidence levels, one per class.
            levels: Vec<f32>,
            /// Class quarks, one per level.
            quarks: Vec<glib::Quark>,
        },
        /// A tracking record.
        Tracking {
            /// The tracking id.
            id: u64,
            /// When the object was first seen.
            first: gst::ClockTime,
            /// When it was last seen.
            last: gst::ClockTime,
            /// Whether it is lost.
            lost: bool,
        },
    }

    /// The records of a relation meta and the relations between them, copied out: what a
    /// rebuild (see [`remove_od`]) or a transfer to another process carries.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct RelationSnapshot {
        /// (record id, record), in record order.
        pub records: Vec<(u32, Record)>,
        /// (from id, to id, relation) for every ordered pair of related records.
        pub relations: Vec<(u32, u32, RelTypes)>,
    }

    /// The buffer's (first) relation meta copied out, or `None` without one. Fails when it
    /// holds record types gvarust cannot copy (naming them).
    pub fn snapshot(buffer: &gst::BufferRef) -> Result<Option<RelationSnapshot>, AnalyticsError> {
        let (od_t, cls_t, trk_t) = (
            AnalyticsODMtd::mtd_type(),
            AnalyticsClassificationMtd::mtd_type(),
            AnalyticsTrackingMtd::mtd_type(),
        );
        let Some(meta) = relation_meta(buffer) else {
            return Ok(None);
        };
        let mut records: Vec<(u32, Record)> = Vec::new();
        let mut unknown = Vec::new();
        for m in meta.iter::<AnalyticsAnyMtd>() {
            let t = m.mtd_type();
            let id = m.id();
            if t == od_t {
                if let Some(od) = meta.mtd::<AnalyticsODMtd>(id).and_then(|m| od_of(&m)) {
                    records.push((id, Record::Od(od)));
                }
            } else if t == cls_t {
                if let Some(c) = meta.mtd::<AnalyticsClassificationMtd>(id) {
                    let n = c.len();
                    records.push((
                        id,
                        Record::Cls {
                            levels: (0..n).map(|i| c.level(i)).collect(),
                            quarks: (0..n).map(|i| c.quark(i)).collect(),
                        },
                    ));
                }
            } else if t == trk_t {
                if let Some(tr) = meta.mtd::<AnalyticsTrackingMtd>(id) {
                    let (tid, first, last, lost) = tr.info();
                    records.push((
                        id,
                        Record::Tracking {
                            id: tid,
                            first,
                            last,
                            lost,
                        },
                    ));
                }
            } else {
                // SAFETY: the type's name is a static C string owned by GStreamer.
                let name = unsafe {
                    let n = gst_analytics::ffi::gst_analytics_mtd_type_get_name(t);
                    if n.is_null() {
                        format!("type {t}")
                    } else {
                        CStr::from_ptr(n).to_string_lossy().into_owned()
                    }
                };
                if !unknown.contains(&name) {
                    unknown.push(name);
                }
            }
        }
        if !unknown.is_empty() {
            return Err(AnalyticsError::UnknownRecords(unknown));
        }
        let mut relations = Vec::new();
        for (a, _) in &records {
            for (b, _) in &records {
                let r = meta.relation(*a, *b);
                if a != b && r != RelTypes::NONE {
                    relations.push((*a, *b, r));
                }
            }
        }
        Ok(Some(RelationSnapshot { records, relations }))
    }

    /// Removes the buffer's (first) relation meta, if any.
    pub fn remove_relation_meta(buffer: &mut gst::BufferRef) {
        let seqnum = relation_meta(buffer).map(|meta| crate::meta::meta_seqnum(&*meta));
        if let Some(seqnum) = seqnum {
            crate::frame::remove_meta_by_seqnum::<AnalyticsRelationMeta>(buffer, seqnum);
        }
    }

    /// Adds the records and relations of `snapshot` to the buffer's relation meta (a new one
    /// when it has none); returns old id -> new id. Relations naming a record that is not in
    /// the snapshot are refused.
    pub fn restore(
        buffer: &mut gst::BufferRef,
        snapshot: &RelationSnapshot,
    ) -> Result<std::collections::HashMap<u32, u32>, AnalyticsError> {
        let mut map = std::collections::HashMap::new();
        let mut meta = relation_meta_mut(buffer);
        for (old, record) in &snapshot.records {
            let new = match record {
                Record::Od(od) => {
                    // SAFETY: the quark came from a record or the transfer decoder (0 or a
                    // valid quark).
                    let q = unsafe { glib::Quark::from_glib(od.type_quark) };
                    #[cfg(feature = "analytics-v1_26")]
                    let m = meta.add_oriented_od_mtd(
                        q,
                        od.x,
                        od.y,
                        od.w,
                        od.h,
                        od.rotation,
                        od.confidence,
                    )?;
                    #[cfg(not(feature = "analytics-v1_26"))]
                    let m = meta.add_od_mtd(q, od.x, od.y, od.w, od.h, od.confidence)?;
                    m.id()
                }
                Record::Cls { levels, quarks } => meta.add_cls_mtd(levels, quarks)?.id(),
                Record::Tracking {
                    id,
                    first,
                    last,
                    lost,
                } => {
                    let new = meta.add_tracking_mtd(*id, *first)?.id();
                    // SAFETY: `new` is a tracking record of this live relation meta, which we
                    // hold mutably; the handle is a plain (id, meta) pair.
                    unsafe {
                        let mut handle = gst_analytics::ffi::GstAnalyticsTrackingMtd {
                            id: new,
                            meta: meta.as_mut_ptr(),
                        };
                        gst_analytics::ffi::gst_analytics_tracking_mtd_update_last_seen(
                            &mut handle,
                            last.into_glib(),
                        );
                        if *lost {
                            gst_analytics::ffi::gst_analytics_tracking_mtd_set_lost(&mut handle);
                        }
                    }
                    new
                }
            };
            map.insert(*old, new);
        }
        for (a, b, r) in &snapshot.relations {
            let (Some(a), Some(b)) = (map.get(a), map.get(b)) else {
                return Err(AnalyticsError::Refused(format!(
                    "a relation between records {a} and {b}, which are not both there"
                )));
            };
            meta.set_relation(*r, *a, *b)?;
        }
        Ok(map)
    }

    /// Rebuilds the relation meta without the records `drop`; returns old id -> new id of the
    /// records kept. Region metas mirroring a kept OD record follow its new id.
    fn rebuild_without(
        buffer: &mut gst::BufferRef,
        drop: &[u32],
    ) -> Result<std::collections::HashMap<u32, u32>, AnalyticsError> {
        let Some(mut snapshot) = snapshot(buffer)? else {
            return Ok(Default::default());
        };
        snapshot.records.retain(|(id, _)| !drop.contains(id));
        snapshot
            .relations
            .retain(|(a, b, _)| !drop.contains(a) && !drop.contains(b));
        let od_quarks: std::collections::HashMap<u32, u32> = snapshot
            .records
            .iter()
            .filter_map(|(id, record)| match record {
                Record::Od(od) => Some((*id, od.type_quark)),
                _ => None,
            })
            .collect();
        remove_relation_meta(buffer);
        let map = restore(buffer, &snapshot)?;
        for mut roi in buffer.iter_meta_mut::<RoiMeta>() {
            let Ok(old) = u32::try_from(roi.id()) else {
                continue;
            };
            if od_quarks.get(&old) == Some(&region::label_quark(&roi)) {
                roi.set_id(i32::try_from(map[&old]).unwrap_or(i32::MAX));
            }
        }
        Ok(map)
    }

    /// Removes the region metas that mirror OD records, first giving each labelled
    /// classification parameter without a Cls record of that label one (see
    /// [`super::finish_frame`]). Returns how many region metas were removed.
    pub fn strip_mirrored_regions(buffer: &mut gst::BufferRef) -> Result<usize, AnalyticsError> {
        type Mirrored = (u64, u32, Vec<(String, f64)>);
        let mirrored: Vec<Mirrored> = crate::frame::regions_with_seqnums(buffer)
            .iter()
            .filter_map(|(seqnum, roi)| {
                let od = od_for_region(buffer, roi)?;
                let classes = region::tensors(roi)
                    .map(crate::tensor::Tensor::from_structure)
                    .filter(|t| !t.is_detection())
                    .filter_map(|t| Some((t.label()?.to_owned(), t.confidence().unwrap_or(0.0))))
                    .collect();
                Some((*seqnum, od.id, classes))
            })
            .collect();
        for (seqnum, od, classes) in &mirrored {
            let existing: Vec<String> = classifications(buffer, *od)
                .into_iter()
                .flat_map(|c| c.classes.into_iter().map(|(label, _)| label))
                .collect();
            for (label, confidence) in classes {
                if !existing.contains(label) {
                    add_classification(buffer, *od, label, *confidence)?;
                }
            }
            crate::frame::remove_region(buffer, *seqnum);
        }
        Ok(mirrored.len())
    }

    /// Reads the records into region metas (see the module docs): returns how many region
    /// metas were added. `frame_size` (width, height) normalizes the `detection` box of new
    /// regions (left out when `None`).
    pub fn import_records(
        buffer: &mut gst::BufferRef,
        frame_size: Option<(u32, u32)>,
    ) -> Result<usize, AnalyticsError> {
        let ods = od_records(buffer);
        if ods.is_empty() {
            return Ok(0);
        }
        let mut ids: std::collections::HashMap<i32, Vec<(u64, u32)>> = Default::default();
        for roi in crate::frame::regions(buffer) {
            ids.entry(roi.id())
                .or_default()
                .push((crate::meta::meta_seqnum(&*roi), region::label_quark(&roi)));
        }
        let mut added = 0;
        for od in ods {
            let Ok(id) = i32::try_from(od.id) else {
                continue;
            };
            let existing = ids
                .get(&id)
                .and_then(|v| v.iter().find(|(_, q)| *q == od.type_quark).map(|(s, _)| *s));
            let classes = classifications(buffer, od.id);
            let tracking = tracking_id(buffer, od.id);
            let seqnum = match existing {
                Some(seqnum) => seqnum,
                None => {
                    let clip = |v: i32| u32::try_from(v.max(0)).unwrap_or(0);
                    let rect = Rect::new(clip(od.x), clip(od.y), clip(od.w), clip(od.h));
                    let mut roi = RoiMeta::add(buffer, "", rect.as_tuple());
                    // SAFETY: RoiMeta is repr(transparent) over the C struct, held
                    // exclusively; the region takes the record's type quark as it is (a
                    // string that is not UTF-8 stays the same quark).
                    unsafe { (*roi.as_mut_ptr()).roi_type = od.type_quark };
                    roi.set_id(id);
                    let detection = match frame_size {
                        Some(size) => {
                            region::detection_structure(rect, size, f64::from(od.confidence), None)
                        }
                        None => gst::Structure::builder(crate::tensor::DETECTION_NAME)
                            .field("confidence", f64::from(od.confidence))
                            .build(),
                    };
                    roi.add_param(detection);
                    added += 1;
                    crate::meta::meta_seqnum(&*roi)
                }
            };
            let Some(mut roi) = crate::frame::region_mut(buffer, seqnum) else {
                continue;
            };
            for cls in classes {
                let Some((label, level)) = cls.best() else {
                    continue;
                };
                let shown = region::params(&roi).any(|s| {
                    s.get::<&str>("label").ok() == Some(label.as_str())
                        && s.get::<f64>("confidence")
                            .is_ok_and(|c| (c - f64::from(*level)).abs() < 1e-6)
                });
                if !shown {
                    region::add_param(
                        &mut roi,
                        gst::Structure::builder(CLASSIFICATION_NAME)
                            .field("label", label.as_str())
                            .field("confidence", f64::from(*level))
                            .field("type", "classification_result")
                            .build(),
                    );
                }
            }
            if let Some(t) = tracking {
                if region::object_id(&roi).is_none() {
                    if let Ok(t) = i32::try_from(t) {
                        region::set_object_id(&mut roi, t);
                    }
                }
            }
        }
        Ok(added)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::test_init as init;

        fn buffer_with_region() -> (gst::Buffer, u64) {
            let mut buffer = gst::Buffer::with_size(4).unwrap();
            let seqnum = {
                let b = buffer.get_mut().unwrap();
                let roi =
                    region::add_region(b, "face", Rect::new(10, 20, 30, 40), (100, 100), 0.9, None);
                crate::meta::meta_seqnum(&*roi)
            };
            (buffer, seqnum)
        }

        #[test]
        fn mirror_and_read_back() {
            init();
            let (mut buffer, seqnum) = buffer_with_region();
            let b = buffer.get_mut().unwrap();
            let od = mirror_region(b, seqnum).unwrap();
            let roi = crate::frame::region_by_seqnum(b, seqnum).unwrap();
            assert_eq!(roi.id(), od as i32);
            let rec = od_for_region(b, &roi).unwrap();
            assert_eq!((rec.x, rec.y, rec.w, rec.h), (10, 20, 30, 40));
            assert_eq!(rec.label, "face");
            assert!((rec.confidence - 0.9).abs() < 1e-6);
            add_classification(b, od, "smile", 0.75).unwrap();
            set_tracking_id(b, od, 7, gst::ClockTime::ZERO).unwrap();
            set_tracking_id(b, od, 8, gst::ClockTime::ZERO).unwrap();
            let od = od_for_region(b, &crate::frame::regions(b)[0]).unwrap().id;
            assert_eq!(tracking_id(b, od), Some(8));
            assert_eq!(classifications(b, od)[0].classes, [("smile".into(), 0.75)]);
            // Importing adds the classification and the tracking id to the region.
            assert_eq!(import_records(b, Some((100, 100))).unwrap(), 0);
            let roi = &crate::frame::regions(b)[0];
            assert_eq!(region::object_id(roi), Some(8));
            assert!(region::param(roi, CLASSIFICATION_NAME).is_some());
            assert_eq!(import_records(b, Some((100, 100))).unwrap(), 0);
            assert_eq!(region::params(&crate::frame::regions(b)[0]).count(), 3);
        }

        #[test]
        fn records_without_region_meta_are_imported_in_order() {
            init();
            let mut buffer = gst::Buffer::new();
            let b = buffer.get_mut().unwrap();
            region::add_region(b, "first", Rect::new(0, 0, 1, 1), (10, 10), 0.5, None);
            let a = add_od(b, "car", Rect::new(1, 2, 3, 4), 0.25).unwrap();
            let c = add_od(b, "bus", Rect::new(5, 5, 5, 5), 0.5).unwrap();
            add_classification(b, c, "red", 0.5).unwrap();
            assert_eq!(import_records(b, Some((10, 10))).unwrap(), 2);
            let labels: Vec<_> = crate::frame::regions(b)
                .iter()
                .map(|r| (region::label(r).to_string(), r.id()))
                .collect();
            assert_eq!(
                labels,
                [
                    ("first".to_string(), labels[0].1),
                    ("car".into(), a as i32),
                    ("bus".into(), c as i32)
                ]
            );
            assert_eq!(region::confidence(&crate::frame::regions(b)[1]), Some(0.25));
            assert_eq!(import_records(b, None).unwrap(), 0);
        }

        #[test]
        fn remove_rebuilds_and_renumbers() {
            init();
            let mut buffer = gst::Buffer::new();
            let b = buffer.get_mut().unwrap();
            let mut seqnums = Vec::new();
            for label in ["a", "b", "c"] {
                let s = crate::meta::meta_seqnum(&*region::add_region(
                    b,
                    label,
                    Rect::new(1, 1, 2, 2),
                    (10, 10),
                    0.5,
                    None,
                ));
                let od = mirror_region(b, s).unwrap();
                add_classification(b, od, label, 0.5).unwrap();
                seqnums.push(s);
            }
            let od_b = crate::frame::region_by_seqnum(b, seqnums[1]).unwrap().id() as u32;
            remove_od(b, od_b).unwrap();
            crate::frame::remove_region(b, seqnums[1]);
            let ods = od_records(b);
            assert_eq!(ods.len(), 2);
            for (s, label) in [(seqnums[0], "a"), (seqnums[2], "c")] {
                let roi = crate::frame::region_by_seqnum(b, s).unwrap();
                let od = od_for_region(b, &roi).unwrap();
                assert_eq!(od.label, label);
                assert_eq!(classifications(b, od.id)[0].classes[0].0, label);
            }
            assert_eq!(relation_meta(b).unwrap().len(), 4);
        }

        #[test]
        fn unknown_record_types_refuse_removal() {
            init();
            let mut buffer = gst::Buffer::new();
            let b = buffer.get_mut().unwrap();
            let s = crate::meta::meta_seqnum(&*region::add_region(
                b,
                "a",
                Rect::new(1, 1, 2, 2),
                (10, 10),
                0.5,
                None,
            ));
            let od = mirror_region(b, s).unwrap();
            // SAFETY: test: a record type of our own (zeroed: no transform, no clear), leaked so
            // it outlives the buffer, added with GStreamer's public API for custom records.
            unsafe {
                let imp: &'static mut gst_analytics::ffi::GstAnalyticsMtdImpl =
                    Box::leak(Box::new(std::mem::zeroed()));
                imp.name = c"gvarust-test-unknown".as_ptr();
                let mut meta = relation_meta_mut(b);
                let mut mtd = std::mem::zeroed();
                let data = gst_analytics::ffi::gst_analytics_relation_meta_add_mtd(
                    meta.as_mut_ptr(),
                    imp,
                    8,
                    &mut mtd,
                );
                assert!(!data.is_null());
            }
            let err = remove_od(b, od).unwrap_err();
            assert!(err.to_string().contains("gvarust-test-unknown"), "{err}");
            assert_eq!(od_records(b).len(), 1, "nothing changed");
            // Reading still works.
            assert_eq!(import_records(b, None).unwrap(), 0);
        }

        #[test]
        fn many_records_and_bad_quarks() {
            init();
            let mut buffer = gst::Buffer::new();
            let b = buffer.get_mut().unwrap();
            for i in 0..500 {
                add_od(b, &format!("o{i}"), Rect::new(0, 0, 1, 1), 0.1).unwrap();
            }
            // SAFETY: test: a quark from bytes that are not UTF-8.
            let q = unsafe { glib::ffi::g_quark_from_string(c"bad\xff".as_ptr()) };
            // SAFETY: a valid quark.
            let quark = unsafe { glib::Quark::from_glib(q) };
            relation_meta_mut(b)
                .add_od_mtd(quark, -5, -5, 10, 10, 0.5)
                .unwrap();
            assert_eq!(import_records(b, Some((4, 4))).unwrap(), 501);
            let regions = crate::frame::regions(b);
            assert_eq!(regions.len(), 501);
            assert_eq!(region::label(&regions[500]), "");
            assert_eq!(od_records(b)[500].label, "bad\u{fffd}");
            assert_eq!(region::rect(&regions[500]), Rect::new(0, 0, 10, 10));
        }
    }
}
