//! A buffer's analytics metadata as bytes, and back.
//!
//! What crosses a process boundary when a callback runs in another process: pointers into a
//! buffer mean nothing there, so the metas travel as a self-contained byte string and are put
//! on the other side's buffer anew. [`encode`] writes every region meta (with its parameter
//! structures), GVA tensor meta, GVA JSON meta and GVA audio event meta of a buffer, each kind
//! in the order the metas were added; [`replace`] removes those metas from a buffer and adds the
//! encoded ones. Field values keep their GLib types: booleans, 32/64-bit integers, floats,
//! strings, GStreamer arrays and lists, nested structures, GVariants (such as a tensor's
//! `data_buffer`), fractions, and other GStreamer values through their serialization.
//!
//! With the `analytics` feature the buffer's GstAnalytics relation meta travels too (its
//! object-detection, classification and tracking records and their relations, ids kept);
//! record types gvarust cannot copy make [`encode`] fail, naming them. Builds without the
//! feature leave relation metas alone and refuse bytes that carry one.
//!
//! Decoding checks every length and tag: bytes that are cut short, corrupt or nested too deep
//! give a [`TransferError`], never a panic, and leave the buffer unchanged.
//!
//! ```
//! use gvarust_meta::{frame, region::Rect, transfer};
//! gst::init().unwrap();
//! let mut a = gst::Buffer::new();
//! frame::add_region(a.get_mut().unwrap(), "car", Rect::new(1, 2, 3, 4), (10, 10), 0.5, None);
//! let bytes = transfer::encode(&a).unwrap();
//! let mut b = gst::Buffer::new();
//! transfer::replace(b.get_mut().unwrap(), &bytes).unwrap();
//! assert_eq!(frame::regions(&b)[0].roi_type(), "car");
//! assert_eq!(transfer::encode(&b).unwrap(), bytes);
//! ```

use std::ffi::{CStr, CString};
use std::fmt;

use glib::prelude::*;
#[cfg(feature = "analytics")]
use glib::translate::IntoGlib;
use glib::translate::{ToGlibPtr, ToGlibPtrMut, UnsafeFrom};
use gst::prelude::GstValueExt;

use crate::frame;
use crate::meta::{AudioEventMeta, JsonMeta, TensorMeta};
use crate::region::{self, RoiMeta};

const MAGIC: &[u8; 4] = b"GVAT";
const VERSION: u8 = 1;
/// Deepest nesting of arrays, lists and structures accepted (guards the decoder's stack).
const MAX_DEPTH: usize = 32;

const KIND_REGION: u8 = 1;
const KIND_TENSOR: u8 = 2;
const KIND_MESSAGE: u8 = 3;
const KIND_AUDIO_EVENT: u8 = 4;
const KIND_RELATIONS: u8 = 5;

#[cfg(feature = "analytics")]
const RECORD_OD: u8 = 1;
#[cfg(feature = "analytics")]
const RECORD_CLS: u8 = 2;
#[cfg(feature = "analytics")]
const RECORD_TRACKING: u8 = 3;

const TAG_BOOL: u8 = 0;
const TAG_I32: u8 = 1;
const TAG_U32: u8 = 2;
const TAG_I64: u8 = 3;
const TAG_U64: u8 = 4;
const TAG_F32: u8 = 5;
const TAG_F64: u8 = 6;
const TAG_STRING: u8 = 7;
const TAG_ARRAY: u8 = 8;
const TAG_LIST: u8 = 9;
const TAG_STRUCTURE: u8 = 10;
const TAG_VARIANT: u8 = 11;
const TAG_FRACTION: u8 = 12;
const TAG_SERIALIZED: u8 = 13;

/// Why metadata could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferError {
    /// The bytes end before the data they announce.
    Truncated,
    /// The bytes are not an encoding of this version (what is wrong is named).
    Invalid(String),
    /// A field holds a value of a type that has no serialization (type and field named).
    Unsupported(String),
}

impl fmt::Display for TransferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransferError::Truncated => f.write_str("metadata bytes cut short"),
            TransferError::Invalid(what) => write!(f, "invalid metadata bytes: {what}"),
            TransferError::Unsupported(what) => write!(f, "cannot transfer {what}"),
        }
    }
}

impl std::error::Error for TransferError {}

fn invalid(what: impl Into<String>) -> TransferError {
    TransferError::Invalid(what.into())
}

/// Every region, tensor, JSON and audio event meta of `buffer`, as bytes for [`replace`].
/// Fails only for a field value that GStreamer cannot serialize.
pub fn encode(buffer: &gst::BufferRef) -> Result<Vec<u8>, TransferError> {
    let mut w = Writer(Vec::with_capacity(256));
    w.0.extend_from_slice(MAGIC);
    w.u8(VERSION);
    let regions = frame::regions(buffer);
    let tensors = frame::tensors(buffer);
    let messages = frame::messages(buffer);
    let events = frame::audio_events(buffer);
    let relations = relations_of(buffer)?;
    w.u32(len32(
        regions.len()
            + tensors.len()
            + messages.len()
            + events.len()
            + usize::from(relations.is_some()),
    ));
    for roi in &regions {
        w.u8(KIND_REGION);
        w.bytes(quark_bytes(region::label_quark(roi)));
        let r = region::rect(roi);
        for v in [r.x, r.y, r.w, r.h] {
            w.u32(v);
        }
        w.i32(roi.id());
        w.i32(region::parent_id(roi));
        let params: Vec<&gst::StructureRef> = region::params(roi).collect();
        w.u32(len32(params.len()));
        for s in params {
            w.structure(s, 0)?;
        }
    }
    for tensor in &tensors {
        w.u8(KIND_TENSOR);
        w.structure(tensor.structure(), 0)?;
    }
    for message in &messages {
        w.u8(KIND_MESSAGE);
        match message.message_bytes() {
            Some(bytes) => {
                w.u8(1);
                w.bytes(bytes);
            }
            None => w.u8(0),
        }
    }
    for event in &events {
        w.u8(KIND_AUDIO_EVENT);
        w.bytes(event.event_type().unwrap_or("").as_bytes());
        w.u64(event.start_timestamp());
        w.u64(event.end_timestamp());
        w.i32(event.id());
        let params: Vec<&gst::StructureRef> = event.params().collect();
        w.u32(len32(params.len()));
        for s in params {
            w.structure(s, 0)?;
        }
    }
    #[cfg(feature = "analytics")]
    if let Some(snapshot) = &relations {
        w.u8(KIND_RELATIONS);
        w.relations(snapshot);
    }
    Ok(w.0)
}

#[cfg(feature = "analytics")]
fn relations_of(
    buffer: &gst::BufferRef,
) -> Result<Option<crate::analytics::RelationSnapshot>, TransferError> {
    crate::analytics::snapshot(buffer).map_err(|e| TransferError::Unsupported(e.to_string()))
}

#[cfg(not(feature = "analytics"))]
fn relations_of(_buffer: &gst::BufferRef) -> Result<Option<()>, TransferError> {
    Ok(None)
}

/// Replaces the region, tensor, JSON and audio event metas of `buffer` with those encoded in
/// `bytes` (by [`encode`]). Nothing changes when `bytes` cannot be decoded.
pub fn replace(buffer: &mut gst::BufferRef, bytes: &[u8]) -> Result<(), TransferError> {
    let decoded = decode(bytes)?;
    remove_all::<RoiMeta>(buffer);
    remove_all::<TensorMeta>(buffer);
    remove_all::<JsonMeta>(buffer);
    remove_all::<AudioEventMeta>(buffer);
    #[cfg(feature = "analytics")]
    crate::analytics::remove_relation_meta(buffer);
    for item in decoded {
        match item {
            Decoded::Region {
                label,
                rect,
                id,
                parent_id,
                params,
            } => {
                let [x, y, w, h] = rect;
                let mut roi = region::add_roi_meta(buffer, label, region::Rect::new(x, y, w, h));
                roi.set_id(id);
                roi.set_parent_id(parent_id);
                for s in params {
                    region::add_param(&mut roi, s);
                }
            }
            Decoded::Tensor(s) => {
                TensorMeta::add_with_structure(buffer, s)
                    .map_err(|e| invalid(format!("adding a tensor meta: {e}")))?;
            }
            Decoded::Message(message) => {
                JsonMeta::add_raw_message(buffer, message.as_deref())
                    .map_err(|e| invalid(format!("adding a JSON meta: {e}")))?;
            }
            #[cfg(feature = "analytics")]
            Decoded::Relations(snapshot) => {
                crate::analytics::restore(buffer, &snapshot)
                    .map_err(|e| invalid(format!("restoring GstAnalytics records: {e}")))?;
            }
            Decoded::AudioEvent {
                event_type,
                start,
                end,
                id,
                params,
            } => {
                let mut event = AudioEventMeta::add(buffer, &event_type, start, end)
                    .map_err(|e| invalid(format!("adding an audio event meta: {e}")))?;
                event.set_id(id);
                for s in params {
                    event.add_param(s);
                }
            }
        }
    }
    Ok(())
}

/// Removes every meta of type `T` (except locked ones) from `buffer`.
fn remove_all<T: gst::meta::MetaAPI + 'static>(buffer: &mut gst::BufferRef) {
    while frame::remove_meta_where::<T>(buffer, |_| true) {}
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The bytes of a quark's string (empty for 0 or unknown quarks), not necessarily UTF-8.
fn quark_bytes(quark: u32) -> &'static [u8] {
    // SAFETY: g_quark_to_string returns NULL or an interned string that lives forever.
    unsafe {
        let s = glib::ffi::g_quark_to_string(quark);
        if s.is_null() {
            &[]
        } else {
            CStr::from_ptr(s).to_bytes()
        }
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn i32(&mut self, v: i32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.u32(len32(b.len()));
        self.0.extend_from_slice(b);
    }

    #[cfg(feature = "analytics")]
    fn relations(&mut self, snapshot: &crate::analytics::RelationSnapshot) {
        use crate::analytics::Record;
        self.u32(len32(snapshot.records.len()));
        for (id, record) in &snapshot.records {
            self.u32(*id);
            match record {
                Record::Od(od) => {
                    self.u8(RECORD_OD);
                    self.bytes(quark_bytes(od.type_quark));
                    for v in [od.x, od.y, od.w, od.h] {
                        self.i32(v);
                    }
                    self.0.extend_from_slice(&od.rotation.to_le_bytes());
                    self.0.extend_from_slice(&od.confidence.to_le_bytes());
                }
                Record::Cls { levels, quarks } => {
                    self.u8(RECORD_CLS);
                    self.u32(len32(levels.len()));
                    for (level, quark) in levels.iter().zip(quarks) {
                        self.0.extend_from_slice(&level.to_le_bytes());
                        self.bytes(quark_bytes(quark.into_glib()));
                    }
                }
                Record::Tracking {
                    id,
                    first,
                    last,
                    lost,
                } => {
                    self.u8(RECORD_TRACKING);
                    self.u64(*id);
                    self.u64(first.nseconds());
                    self.u64(last.nseconds());
                    self.u8(u8::from(*lost));
                }
            }
        }
        self.u32(len32(snapshot.relations.len()));
        for (a, b, relation) in &snapshot.relations {
            self.u32(*a);
            self.u32(*b);
            self.u32(relation.bits());
        }
    }

    fn structure(&mut self, s: &gst::StructureRef, depth: usize) -> Result<(), TransferError> {
        self.bytes(s.name().as_bytes());
        self.u32(len32(s.n_fields()));
        for (name, value) in s.iter() {
            self.bytes(name.as_bytes());
            self.value(value, name.as_str(), depth)?;
        }
        Ok(())
    }

    fn value(&mut self, v: &glib::Value, field: &str, depth: usize) -> Result<(), TransferError> {
        use glib::types::Type;
        if depth > MAX_DEPTH {
            return Err(TransferError::Unsupported(format!(
                "field {field:?}: nested deeper than {MAX_DEPTH}"
            )));
        }
        let ty = v.type_();
        macro_rules! number {
            ($tag:expr, $t:ty) => {{
                self.u8($tag);
                self.0
                    .extend_from_slice(&v.get::<$t>().expect("type checked").to_le_bytes());
                return Ok(());
            }};
        }
        match ty {
            Type::BOOL => {
                self.u8(TAG_BOOL);
                self.u8(u8::from(v.get::<bool>().expect("type checked")));
                return Ok(());
            }
            Type::I32 => number!(TAG_I32, i32),
            Type::U32 => number!(TAG_U32, u32),
            Type::I64 => number!(TAG_I64, i64),
            Type::U64 => number!(TAG_U64, u64),
            Type::F32 => number!(TAG_F32, f32),
            Type::F64 => number!(TAG_F64, f64),
            Type::STRING => {
                self.u8(TAG_STRING);
                // SAFETY: the value holds G_TYPE_STRING: NULL or a NUL-terminated string it owns.
                let ptr = unsafe { glib::gobject_ffi::g_value_get_string(v.to_glib_none().0) };
                if ptr.is_null() {
                    self.u8(0);
                } else {
                    self.u8(1);
                    // SAFETY: non-NULL and NUL-terminated, alive while `v` is borrowed.
                    self.bytes(unsafe { CStr::from_ptr(ptr) }.to_bytes());
                }
                return Ok(());
            }
            _ => {}
        }
        let items = if let Ok(array) = v.get::<gst::Array>() {
            Some((TAG_ARRAY, array.as_slice().to_vec()))
        } else if let Ok(list) = v.get::<gst::List>() {
            Some((TAG_LIST, list.as_slice().to_vec()))
        } else {
            None
        };
        if let Some((tag, items)) = items {
            self.u8(tag);
            self.u32(len32(items.len()));
            for item in &items {
                self.value(item, field, depth + 1)?;
            }
            return Ok(());
        }
        if ty == gst::Structure::static_type() {
            if let Ok(Some(s)) = v.get::<Option<gst::Structure>>() {
                self.u8(TAG_STRUCTURE);
                return self.structure(&s, depth + 1);
            }
        }
        if let Ok(Some(variant)) = v.get::<Option<glib::Variant>>() {
            self.u8(TAG_VARIANT);
            self.bytes(variant.type_().as_str().as_bytes());
            self.bytes(variant.data());
            return Ok(());
        }
        if let Ok(fraction) = v.get::<gst::Fraction>() {
            self.u8(TAG_FRACTION);
            self.i32(fraction.numer());
            self.i32(fraction.denom());
            return Ok(());
        }
        let text = v.serialize().map_err(|_| {
            TransferError::Unsupported(format!("field {field:?} of type {}", ty.name()))
        })?;
        self.u8(TAG_SERIALIZED);
        self.bytes(ty.name().as_bytes());
        self.bytes(text.as_bytes());
        Ok(())
    }
}

enum Decoded {
    #[cfg(feature = "analytics")]
    Relations(crate::analytics::RelationSnapshot),
    Region {
        label: u32,
        rect: [u32; 4],
        id: i32,
        parent_id: i32,
        params: Vec<gst::Structure>,
    },
    Tensor(gst::Structure),
    Message(Option<CString>),
    AudioEvent {
        event_type: String,
        start: u64,
        end: u64,
        id: i32,
        params: Vec<gst::Structure>,
    },
}

fn decode(bytes: &[u8]) -> Result<Vec<Decoded>, TransferError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(4)? != MAGIC {
        return Err(invalid("not gvarust metadata (wrong magic)"));
    }
    let version = r.u8()?;
    if version != VERSION {
        return Err(invalid(format!(
            "version {version} (this build reads {VERSION})"
        )));
    }
    let count = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let item = match r.u8()? {
            KIND_REGION => {
                let label = quark_of(r.bytes()?)?;
                let rect = [r.u32()?, r.u32()?, r.u32()?, r.u32()?];
                let (id, parent_id) = (r.i32()?, r.i32()?);
                let params = r.structures()?;
                Decoded::Region {
                    label,
                    rect,
                    id,
                    parent_id,
                    params,
                }
            }
            KIND_TENSOR => Decoded::Tensor(r.structure(0)?),
            KIND_MESSAGE => Decoded::Message(match r.u8()? {
                0 => None,
                1 => Some(
                    CString::new(r.bytes()?).map_err(|_| invalid("a JSON message with a NUL"))?,
                ),
                other => return Err(invalid(format!("message flag {other}"))),
            }),
            KIND_AUDIO_EVENT => {
                let event_type = utf8(r.bytes()?, "audio event type")?.to_owned();
                let (start, end, id) = (r.u64()?, r.u64()?, r.i32()?);
                let params = r.structures()?;
                Decoded::AudioEvent {
                    event_type,
                    start,
                    end,
                    id,
                    params,
                }
            }
            #[cfg(feature = "analytics")]
            KIND_RELATIONS => Decoded::Relations(r.relations()?),
            #[cfg(not(feature = "analytics"))]
            KIND_RELATIONS => {
                return Err(TransferError::Unsupported(
                    "GstAnalytics records: this build has no `analytics` feature".into(),
                ))
            }
            other => return Err(invalid(format!("meta kind {other}"))),
        };
        out.push(item);
    }
    if r.pos != bytes.len() {
        return Err(invalid(format!(
            "{} bytes after the last meta",
            bytes.len() - r.pos
        )));
    }
    Ok(out)
}

/// `bytes` as text for GLib: UTF-8 without NUL (a NUL would cut a C string short).
fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, TransferError> {
    let text = std::str::from_utf8(bytes).map_err(|_| invalid(format!("{what} is not UTF-8")))?;
    if text.contains('\0') {
        return Err(invalid(format!("{what} contains a NUL")));
    }
    Ok(text)
}

/// The quark of a label's bytes (0 for none), made as C code makes it, UTF-8 or not.
fn quark_of(bytes: &[u8]) -> Result<u32, TransferError> {
    if bytes.is_empty() {
        return Ok(0);
    }
    let text = CString::new(bytes).map_err(|_| invalid("a label with a NUL"))?;
    // SAFETY: `text` is NUL-terminated; g_quark_from_string copies it.
    Ok(unsafe { glib::ffi::g_quark_from_string(text.as_ptr()) })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TransferError> {
        let end = self.pos.checked_add(n).ok_or(TransferError::Truncated)?;
        let out = self
            .bytes
            .get(self.pos..end)
            .ok_or(TransferError::Truncated)?;
        self.pos = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], TransferError> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }
    fn u8(&mut self) -> Result<u8, TransferError> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, TransferError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i32(&mut self) -> Result<i32, TransferError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, TransferError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn bytes(&mut self) -> Result<&'a [u8], TransferError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    /// A count of items that each take at least one byte: never more than the bytes left, so a
    /// corrupt count cannot make the decoder reserve memory for nothing.
    fn count(&mut self) -> Result<usize, TransferError> {
        let n = self.u32()? as usize;
        if n > self.bytes.len() - self.pos {
            return Err(TransferError::Truncated);
        }
        Ok(n)
    }

    #[cfg(feature = "analytics")]
    fn relations(&mut self) -> Result<crate::analytics::RelationSnapshot, TransferError> {
        use crate::analytics::{OdRecord, Record, RelationSnapshot};
        let time =
            |ns: u64| gst::ClockTime::try_from(ns).map_err(|_| invalid("a tracking time of NONE"));
        let mut snapshot = RelationSnapshot::default();
        let n = self.count()?;
        for _ in 0..n {
            let id = self.u32()?;
            let record = match self.u8()? {
                RECORD_OD => {
                    let type_quark = quark_of(self.bytes()?)?;
                    let (x, y, w, h) = (self.i32()?, self.i32()?, self.i32()?, self.i32()?);
                    let rotation = f32::from_le_bytes(self.array()?);
                    let confidence = f32::from_le_bytes(self.array()?);
                    Record::Od(OdRecord {
                        id,
                        type_quark,
                        label: crate::analytics::quark_string(type_quark),
                        x,
                        y,
                        w,
                        h,
                        rotation,
                        confidence,
                    })
                }
                RECORD_CLS => {
                    let classes = self.count()?;
                    let (mut levels, mut quarks) = (Vec::new(), Vec::new());
                    for _ in 0..classes {
                        levels.push(f32::from_le_bytes(self.array()?));
                        let quark = quark_of(self.bytes()?)?;
                        // SAFETY: `quark` is 0 or was just made by g_quark_from_string.
                        quarks.push(unsafe { glib::translate::from_glib(quark) });
                    }
                    Record::Cls { levels, quarks }
                }
                RECORD_TRACKING => Record::Tracking {
                    id: self.u64()?,
                    first: time(self.u64()?)?,
                    last: time(self.u64()?)?,
                    lost: match self.u8()? {
                        0 => false,
                        1 => true,
                        other => return Err(invalid(format!("tracking lost flag {other}"))),
                    },
                },
                other => return Err(invalid(format!("record type {other}"))),
            };
            if snapshot.records.iter().any(|(seen, _)| *seen == id) {
                return Err(invalid(format!("record id {id} twice")));
            }
            snapshot.records.push((id, record));
        }
        let n = self.count()?;
        for _ in 0..n {
            let (a, b, bits) = (self.u32()?, self.u32()?, self.u32()?);
            let known = |id: u32| snapshot.records.iter().any(|(seen, _)| *seen == id);
            if !known(a) || !known(b) {
                return Err(invalid(format!(
                    "a relation between records {a} and {b}, not both there"
                )));
            }
            let relation = gst_analytics::RelTypes::from_bits(bits)
                .ok_or_else(|| invalid(format!("relation bits {bits:#x}")))?;
            snapshot.relations.push((a, b, relation));
        }
        Ok(snapshot)
    }

    fn structures(&mut self) -> Result<Vec<gst::Structure>, TransferError> {
        let n = self.count()?;
        (0..n).map(|_| self.structure(0)).collect()
    }

    fn structure(&mut self, depth: usize) -> Result<gst::Structure, TransferError> {
        let name = utf8(self.bytes()?, "a structure name")?;
        if !crate::tensor::is_valid_structure_name(name) {
            return Err(invalid(format!("structure name {name:?}")));
        }
        let mut s = gst::Structure::new_empty(name);
        let n = self.count()?;
        for _ in 0..n {
            let field = utf8(self.bytes()?, "a field name")?.to_owned();
            if field.is_empty() {
                return Err(invalid("an empty field name"));
            }
            let value = self.value(depth)?;
            // GStreamer refuses (with a warning) a structure field string that is not UTF-8;
            // only items of arrays and lists can hold such bytes.
            if value.type_() == glib::Type::STRING && crate::tensor::string_of(&value).is_none() {
                // SAFETY: the value holds G_TYPE_STRING; this only reads its pointer.
                let null = unsafe { glib::gobject_ffi::g_value_get_string(value.to_glib_none().0) }
                    .is_null();
                if !null {
                    return Err(invalid(format!(
                        "field {field:?}: a string that is not UTF-8"
                    )));
                }
            }
            s.set_value(field.as_str(), value);
        }
        Ok(s)
    }

    fn value(&mut self, depth: usize) -> Result<glib::SendValue, TransferError> {
        if depth > MAX_DEPTH {
            return Err(invalid(format!("values nested deeper than {MAX_DEPTH}")));
        }
        Ok(match self.u8()? {
            TAG_BOOL => match self.u8()? {
                0 => false.to_send_value(),
                1 => true.to_send_value(),
                other => return Err(invalid(format!("boolean {other}"))),
            },
            TAG_I32 => self.i32()?.to_send_value(),
            TAG_U32 => self.u32()?.to_send_value(),
            TAG_I64 => i64::from_le_bytes(self.array()?).to_send_value(),
            TAG_U64 => self.u64()?.to_send_value(),
            TAG_F32 => f32::from_le_bytes(self.array()?).to_send_value(),
            TAG_F64 => f64::from_le_bytes(self.array()?).to_send_value(),
            TAG_STRING => match self.u8()? {
                0 => None::<&str>.to_send_value(),
                1 => {
                    let text =
                        CString::new(self.bytes()?).map_err(|_| invalid("a string with a NUL"))?;
                    // C code can store strings that are not UTF-8: keep the bytes as they were.
                    let mut value = glib::Value::from_type(glib::Type::STRING);
                    // SAFETY: `value` holds G_TYPE_STRING; g_value_set_string copies `text`.
                    unsafe {
                        glib::gobject_ffi::g_value_set_string(
                            value.to_glib_none_mut().0,
                            text.as_ptr(),
                        )
                    };
                    // SAFETY: a string value is Send (it owns a copy of the bytes).
                    unsafe { glib::SendValue::unsafe_from(value.into_raw()) }
                }
                other => return Err(invalid(format!("string flag {other}"))),
            },
            tag @ (TAG_ARRAY | TAG_LIST) => {
                let n = self.count()?;
                let items = (0..n)
                    .map(|_| self.value(depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                // GStreamer keeps only items of one type in an array or list and
                // leaves out (with a critical warning) an item of another.
                if let Some(first) = items.first().and_then(|v| basic_type(v)) {
                    if let Some(other) = items
                        .iter()
                        .filter_map(|v| basic_type(v))
                        .find(|&t| t != first && !range_of(first, t) && !range_of(t, first))
                    {
                        return Err(invalid(format!(
                            "an array or list with items of types {first} and {other}"
                        )));
                    }
                }
                if tag == TAG_ARRAY {
                    gst::Array::from_values(items).to_send_value()
                } else {
                    gst::List::from_values(items).to_send_value()
                }
            }
            TAG_STRUCTURE => self.structure(depth + 1)?.to_send_value(),
            TAG_VARIANT => {
                let ty = utf8(self.bytes()?, "a variant type")?;
                let ty = glib::VariantTy::new(ty)
                    .map_err(|_| invalid(format!("variant type {ty:?}")))?;
                let data = self.bytes()?.to_vec();
                let variant = glib::Variant::from_data_with_type(data, ty);
                if !variant.is_normal_form() {
                    return Err(invalid("variant data not in normal form"));
                }
                variant.to_send_value()
            }
            TAG_FRACTION => {
                let (numer, denom) = (self.i32()?, self.i32()?);
                if denom == 0 {
                    return Err(invalid("a fraction with denominator 0"));
                }
                gst::Fraction::new(numer, denom).to_send_value()
            }
            TAG_SERIALIZED => {
                let type_name = utf8(self.bytes()?, "a type name")?;
                let text = utf8(self.bytes()?, "a serialized value")?;
                let ty = glib::Type::from_name(type_name)
                    .ok_or_else(|| invalid(format!("unknown type {type_name:?}")))?;
                let value = glib::Value::deserialize(text, ty)
                    .map_err(|_| invalid(format!("{type_name} value {text:?}")))?;
                // SAFETY: the GStreamer value types that serialize are Send (plain data or
                // reference-counted immutable objects such as caps).
                unsafe { glib::SendValue::unsafe_from(value.into_raw()) }
            }
            other => return Err(invalid(format!("value tag {other}"))),
        })
    }
}

/// The type GStreamer checks the items of an array or list against: a plain
/// value's own, an array's or list's first item's (`None` when empty).
fn basic_type(value: &glib::Value) -> Option<glib::Type> {
    if let Ok(array) = value.get::<gst::ArrayRef>() {
        return array.as_slice().first().and_then(|v| basic_type(v));
    }
    if let Ok(list) = value.get::<gst::ListRef>() {
        return list.as_slice().first().and_then(|v| basic_type(v));
    }
    Some(value.type_())
}

/// Whether `range` is GStreamer's range type of `plain` (such items mix).
fn range_of(plain: glib::Type, range: glib::Type) -> bool {
    let range_name = match plain {
        t if t == glib::Type::I32 => "GstIntRange",
        t if t == glib::Type::I64 => "GstInt64Range",
        t if t == glib::Type::F64 => "GstDoubleRange",
        t if t == gst::Fraction::static_type() => "GstFractionRange",
        _ => return false,
    };
    range.name() == range_name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncation_are_errors() {
        crate::test_init();
        assert!(matches!(decode(b""), Err(TransferError::Truncated)));
        assert!(matches!(
            decode(b"XXXX\x01"),
            Err(TransferError::Invalid(_))
        ));
        assert!(matches!(
            decode(b"GVAT\x02"),
            Err(TransferError::Invalid(_))
        ));
        // A count far larger than the bytes: refused before any allocation.
        assert!(decode(b"GVAT\x01\xff\xff\xff\xff\x02").is_err());
    }
}
