//! The connection between an element and its worker: one end of a Unix
//! socketpair each, private to the two (the worker inherits its end as fd 3; no
//! path or port exists that another process could open).
//!
//! A message is a 4-byte little-endian length, a 1-byte tag and a body. Rare
//! messages (start, caps, events, hook results, notices) carry JSON; the
//! per-buffer request and reply carry fixed binary fields and the frame's
//! metadata as `gvarust_meta::transfer` bytes. Every request gets exactly one
//! reply; the worker may send notices (messages its element posted) before it.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::pyhost::{PyFailure, Verdict};

/// The worker's end of the channel, and its shared memory, in the worker.
pub(super) const WORKER_CHANNEL_FD: i32 = 3;
pub(super) const WORKER_ARENA_FD: i32 = 4;

/// How long [`Channel::receive`] polls before it sleeps in `read`.
const SPIN: Duration = Duration::from_micros(100);

/// The longest a [`Patience::Adaptive`] end polls: streams whose frames come
/// further apart than this (any camera's frame rate) never poll longer than
/// [`SPIN`]; only pipelines that run flat out (files, benchmarks) do.
const MAX_SPIN: Duration = Duration::from_millis(2);

/// How long an end of the channel polls before it sleeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Patience {
    /// Always [`SPIN`]: the element waiting for a reply (a cheap callback
    /// answers within it; for a costly one the wake-up is small beside it).
    Fixed,
    /// As long as the next message typically takes, within [`MAX_SPIN`]: the
    /// worker waiting for frames. A source that renders a large frame in
    /// 1 ms would otherwise find the worker asleep every time and pay a
    /// wake-up per frame.
    Adaptive,
}

/// Room for the control data of one passed descriptor.
const FD_LEN: u32 = std::mem::size_of::<RawFd>() as u32;
const CONTROL_LEN: usize = 64;

/// Control data must be aligned like `cmsghdr`.
#[repr(C, align(8))]
struct ControlBuffer([u8; CONTROL_LEN]);

/// Largest message accepted: a frame's metadata can be large, never this large.
const MAX_MESSAGE: usize = 1 << 30;

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Tag {
    /// Element → worker, JSON: load the code and call `on_start()`.
    Start = 1,
    /// Element → worker, JSON: the stream's caps changed.
    Caps = 2,
    /// Element → worker, binary: call the callback on a frame.
    Buffer = 3,
    /// Element → worker, JSON: call `process_event()`.
    Event = 4,
    /// Element → worker: call `on_eos()`.
    Eos = 5,
    /// Element → worker: call `on_stop()` and exit.
    Stop = 6,
    /// Worker → element, JSON: the reply to every request but `Buffer`.
    Done = 10,
    /// Worker → element, binary: the reply to `Buffer`.
    BufferDone = 11,
    /// Worker → element, JSON: a message the worker's element posted.
    Notice = 12,
}

impl Tag {
    fn from_u8(value: u8) -> io::Result<Tag> {
        Ok(match value {
            1 => Tag::Start,
            2 => Tag::Caps,
            3 => Tag::Buffer,
            4 => Tag::Event,
            5 => Tag::Eos,
            6 => Tag::Stop,
            10 => Tag::Done,
            11 => Tag::BufferDone,
            12 => Tag::Notice,
            other => return Err(malformed(format!("unknown message tag {other}"))),
        })
    }
}

pub(super) fn malformed(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// A message being built: header space first, so sending copies nothing.
pub(super) struct Message(Vec<u8>, Option<RawFd>);

impl Message {
    pub(super) fn new(tag: Tag) -> Self {
        let mut bytes = Vec::with_capacity(256);
        bytes.extend_from_slice(&[0, 0, 0, 0, tag as u8]);
        Message(bytes, None)
    }

    /// Passes a duplicate of `fd` along (the receiver gets a descriptor of its
    /// own; `fd` must stay open until the message is sent).
    pub(super) fn with_fd(&mut self, fd: RawFd) -> &mut Self {
        self.1 = Some(fd);
        self
    }

    pub(super) fn json(tag: Tag, value: &serde_json::Value) -> Self {
        let mut message = Message::new(tag);
        serde_json::to_writer(&mut message.0, value).expect("JSON values serialize");
        message
    }

    pub(super) fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub(super) fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub(super) fn i32(&mut self, v: i32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub(super) fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    /// Appends `bytes` as they are (the rest of the body, or after a length).
    pub(super) fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }
}

/// A received message body, read field by field.
pub(super) struct Body {
    pub(super) tag: Tag,
    bytes: Vec<u8>,
    pos: usize,
    /// The descriptor passed along with the message, if any.
    pub(super) fd: Option<OwnedFd>,
}

impl Body {
    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| malformed(format!("{:?} message cut short", self.tag)))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    pub(super) fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    pub(super) fn i32(&mut self) -> io::Result<i32> {
        Ok(i32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    pub(super) fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    pub(super) fn slice(&mut self, n: usize) -> io::Result<&[u8]> {
        self.take(n)
    }
    /// Everything not read yet.
    pub(super) fn rest(&self) -> &[u8] {
        &self.bytes[self.pos..]
    }
    /// The whole body as JSON.
    pub(super) fn json(&self) -> io::Result<serde_json::Value> {
        serde_json::from_slice(&self.bytes)
            .map_err(|e| malformed(format!("{:?} message: {e}", self.tag)))
    }
}

/// One end of the channel.
#[derive(Debug)]
pub(super) struct Channel {
    stream: UnixStream,
    /// One message at a time: the worker sends notices from any thread.
    sending: Mutex<()>,
    patience: Patience,
    /// A moving average of how long `receive` waited for a message, in
    /// nanoseconds ([`Patience::Adaptive`]).
    typical_wait_ns: AtomicU64,
}

impl Channel {
    pub(super) fn new(stream: UnixStream, patience: Patience) -> Self {
        Channel {
            stream,
            sending: Mutex::new(()),
            patience,
            typical_wait_ns: AtomicU64::new(0),
        }
    }

    /// Sends `message`. Uses `send(MSG_NOSIGNAL)`: writing to a worker that died
    /// must be an error, not a SIGPIPE that ends the host application.
    pub(super) fn send(&self, message: &mut Message) -> io::Result<()> {
        let len = u32::try_from(message.0.len() - 5)
            .ok()
            .filter(|&len| (len as usize) <= MAX_MESSAGE)
            .ok_or_else(|| malformed("message too large"))?;
        message.0[..4].copy_from_slice(&len.to_le_bytes());
        let _one_at_a_time = self.sending.lock().unwrap_or_else(PoisonError::into_inner);
        let mut rest: &[u8] = &message.0;
        while !rest.is_empty() {
            // The descriptor goes with the message's first byte.
            let fd = message.1.filter(|_| rest.len() == message.0.len());
            let sent = match fd {
                Some(fd) => self.send_with_fd(rest, fd),
                // SAFETY: `rest` is a live byte slice; send reads at most its length.
                None => unsafe {
                    libc::send(
                        self.stream.as_raw_fd(),
                        rest.as_ptr().cast(),
                        rest.len(),
                        libc::MSG_NOSIGNAL,
                    )
                },
            };
            if sent < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            rest = &rest[sent as usize..];
        }
        Ok(())
    }

    /// Sends (a first part of) `bytes` with `fd` attached (SCM_RIGHTS); what
    /// `send` returns.
    fn send_with_fd(&self, bytes: &[u8], fd: RawFd) -> isize {
        let mut control = ControlBuffer([0; CONTROL_LEN]);
        let mut iov = libc::iovec {
            iov_base: bytes.as_ptr() as *mut libc::c_void,
            iov_len: bytes.len(),
        };
        // SAFETY: msghdr is plain C data; all zeroes is a valid empty header.
        let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
        header.msg_iov = &mut iov;
        header.msg_iovlen = 1;
        header.msg_control = control.0.as_mut_ptr().cast();
        // SAFETY: CMSG_SPACE only computes a size.
        header.msg_controllen = unsafe { libc::CMSG_SPACE(FD_LEN) } as _;
        // SAFETY: the control buffer is aligned and CMSG_SPACE(FD_LEN) long, so
        // the first header and its one descriptor lie inside it; sendmsg reads
        // `bytes` (live) and the control data only.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&header);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(FD_LEN) as _;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<RawFd>(), fd);
            libc::sendmsg(self.stream.as_raw_fd(), &header, libc::MSG_NOSIGNAL)
        }
    }

    /// Reads exactly `buf.len()` bytes, taking a descriptor passed with them.
    fn read_with_fd(&self, buf: &mut [u8]) -> io::Result<Option<OwnedFd>> {
        let mut passed = None;
        let mut filled = 0;
        while filled < buf.len() {
            let mut control = ControlBuffer([0; CONTROL_LEN]);
            let mut iov = libc::iovec {
                iov_base: buf[filled..].as_mut_ptr().cast(),
                iov_len: buf.len() - filled,
            };
            // SAFETY: msghdr is plain C data; all zeroes is a valid empty header.
            let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
            header.msg_iov = &mut iov;
            header.msg_iovlen = 1;
            header.msg_control = control.0.as_mut_ptr().cast();
            header.msg_controllen = CONTROL_LEN as _;
            // SAFETY: recvmsg writes at most iov_len bytes into `buf` and at most
            // msg_controllen bytes into the control buffer, both live here.
            let got = unsafe {
                libc::recvmsg(self.stream.as_raw_fd(), &mut header, libc::MSG_CMSG_CLOEXEC)
            };
            if got < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err);
            }
            if got == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            // SAFETY: the kernel filled the control data it reports in `header`;
            // CMSG_FIRSTHDR/NXTHDR stay within it, and an SCM_RIGHTS header holds
            // descriptors now open in this process, owned by nobody else.
            unsafe {
                let mut cmsg = libc::CMSG_FIRSTHDR(&header);
                while !cmsg.is_null() {
                    if (*cmsg).cmsg_level == libc::SOL_SOCKET
                        && (*cmsg).cmsg_type == libc::SCM_RIGHTS
                    {
                        let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                        let count = ((*cmsg).cmsg_len as usize - libc::CMSG_LEN(0) as usize)
                            / FD_LEN as usize;
                        for i in 0..count {
                            let fd = OwnedFd::from_raw_fd(std::ptr::read_unaligned(data.add(i)));
                            // One descriptor per message; extra ones close here.
                            if passed.is_none() {
                                passed = Some(fd);
                            }
                        }
                    }
                    cmsg = libc::CMSG_NXTHDR(&header, cmsg);
                }
            }
            filled += got as usize;
        }
        Ok(passed)
    }

    /// Receives the next message; `UnexpectedEof` when the other end is gone.
    ///
    /// Waits actively first (see [`Patience`]): on a virtual machine, waking a
    /// process that slept on another core takes tens of microseconds, often
    /// longer than a cheap callback, so a reply (or the next frame) that comes
    /// soon is taken without sleeping.
    pub(super) fn receive(&self) -> io::Result<Body> {
        let began = Instant::now();
        self.spin_until_readable(began + self.spin_window());
        let mut header = [0u8; 5];
        let fd = self.read_with_fd(&mut header)?;
        let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        if len > MAX_MESSAGE {
            return Err(malformed(format!("message of {len} bytes")));
        }
        let tag = Tag::from_u8(header[4])?;
        if self.patience == Patience::Adaptive {
            self.note_wait(began.elapsed());
        }
        let mut bytes = vec![0u8; len];
        (&self.stream).read_exact(&mut bytes)?;
        Ok(Body {
            tag,
            bytes,
            pos: 0,
            fd,
        })
    }

    /// How long the next `receive` polls: [`SPIN`], or for an adaptive end
    /// half as long again as a typical wait, if that is within [`MAX_SPIN`].
    fn spin_window(&self) -> Duration {
        if self.patience == Patience::Fixed {
            return SPIN;
        }
        let typical = Duration::from_nanos(self.typical_wait_ns.load(Ordering::Relaxed));
        let window = typical + typical / 2;
        if window > MAX_SPIN {
            SPIN
        } else {
            window.max(SPIN)
        }
    }

    /// Folds one wait into the moving average (weight 1/8: a few frames
    /// follow a change of pace, one odd frame does not).
    fn note_wait(&self, waited: Duration) {
        let waited = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        let typical = self.typical_wait_ns.load(Ordering::Relaxed);
        let typical = if typical == 0 {
            waited
        } else {
            typical - typical / 8 + waited / 8
        };
        self.typical_wait_ns.store(typical, Ordering::Relaxed);
    }

    fn spin_until_readable(&self, deadline: Instant) {
        let mut poll = libc::pollfd {
            fd: self.stream.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let yield_after = Instant::now() + SPIN;
        // SAFETY: one valid pollfd; a zero timeout never blocks.
        while unsafe { libc::poll(&mut poll, 1, 0) } == 0 {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if now < yield_after {
                std::hint::spin_loop();
            } else {
                // Past the short window, give the core to any thread that
                // wants it (on a busy machine, likely the frame's producer).
                std::thread::yield_now();
            }
        }
    }

    /// Limits how long [`Channel::receive`] waits (`None`: for ever).
    pub(super) fn set_receive_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)
    }
}

/// Time stamps and offsets: `u64::MAX` stands for none (as `GST_CLOCK_TIME_NONE`).
const NONE: u64 = u64::MAX;

/// A frame's plane layout (its `GstVideoMeta`), so the worker's frame has the
/// same strides and offsets as the element's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct VideoLayout {
    pub(super) format: u32,
    pub(super) flags: u32,
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) offsets: [u64; 4],
    pub(super) strides: [i32; 4],
    pub(super) n_planes: u32,
}

/// A buffer's timestamps, offsets and flags: they go to the worker with the
/// frame, and back when the callback changed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BufferFields {
    pub(super) pts: Option<u64>,
    pub(super) dts: Option<u64>,
    pub(super) duration: Option<u64>,
    pub(super) offset: u64,
    pub(super) offset_end: u64,
    /// `GstBufferFlags`, without `TAG_MEMORY`: that one says what happened
    /// to the buffer's memory on its own side of the channel.
    pub(super) flags: u32,
}

impl BufferFields {
    pub(super) fn of(buffer: &gst::BufferRef) -> Self {
        BufferFields {
            pts: buffer.pts().map(gst::ClockTime::nseconds),
            dts: buffer.dts().map(gst::ClockTime::nseconds),
            duration: buffer.duration().map(gst::ClockTime::nseconds),
            offset: buffer.offset(),
            offset_end: buffer.offset_end(),
            flags: (buffer.flags() - gst::BufferFlags::TAG_MEMORY).bits(),
        }
    }

    /// Sets these fields on `buffer`; its `TAG_MEMORY` flag stays as it is.
    pub(super) fn apply(&self, buffer: &mut gst::BufferRef) {
        buffer.set_pts(self.pts.map(gst::ClockTime::from_nseconds));
        buffer.set_dts(self.dts.map(gst::ClockTime::from_nseconds));
        buffer.set_duration(self.duration.map(gst::ClockTime::from_nseconds));
        buffer.set_offset(self.offset);
        buffer.set_offset_end(self.offset_end);
        let kept = buffer.flags() & gst::BufferFlags::TAG_MEMORY;
        let wanted = (gst::BufferFlags::from_bits_truncate(self.flags)
            - gst::BufferFlags::TAG_MEMORY)
            | kept;
        buffer.unset_flags(buffer.flags() - wanted);
        buffer.set_flags(wanted);
    }

    fn write(&self, m: &mut Message) {
        m.u64(opt(self.pts))
            .u64(opt(self.dts))
            .u64(opt(self.duration))
            .u64(self.offset)
            .u64(self.offset_end)
            .u32(self.flags);
    }

    fn read(body: &mut Body) -> io::Result<Self> {
        Ok(BufferFields {
            pts: from_opt(body.u64()?),
            dts: from_opt(body.u64()?),
            duration: from_opt(body.u64()?),
            offset: body.u64()?,
            offset_end: body.u64()?,
            flags: body.u32()?,
        })
    }
}

/// The per-buffer request: the buffer's fields, where its bytes are, its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FrameRequest {
    pub(super) fields: BufferFields,
    /// The buffer's size; `None` for a buffer without memory.
    pub(super) size: Option<u64>,
    /// Where the bytes start in the descriptor passed with the request (the
    /// buffer's own file-descriptor memory); `None`: at the arena's start.
    pub(super) fd_offset: Option<u64>,
    /// How much of the arena the worker must map.
    pub(super) arena_len: u64,
    pub(super) video: Option<VideoLayout>,
    /// `gvarust_meta::transfer` bytes.
    pub(super) metadata: Vec<u8>,
}

fn opt(v: Option<u64>) -> u64 {
    v.unwrap_or(NONE)
}

fn from_opt(v: u64) -> Option<u64> {
    (v != NONE).then_some(v)
}

impl FrameRequest {
    pub(super) fn message(&self) -> Message {
        let mut m = Message::new(Tag::Buffer);
        self.fields.write(&mut m);
        m.u64(opt(self.size))
            .u64(opt(self.fd_offset))
            .u64(self.arena_len);
        match &self.video {
            None => {
                m.u8(0);
            }
            Some(v) => {
                m.u8(1)
                    .u32(v.format)
                    .u32(v.flags)
                    .u32(v.width)
                    .u32(v.height)
                    .u32(v.n_planes);
                for (&offset, &stride) in v.offsets.iter().zip(&v.strides) {
                    m.u64(offset).i32(stride);
                }
            }
        }
        m.raw(&self.metadata);
        m
    }

    pub(super) fn read(body: &mut Body) -> io::Result<Self> {
        let fields = BufferFields::read(body)?;
        let size = from_opt(body.u64()?);
        let fd_offset = from_opt(body.u64()?);
        let arena_len = body.u64()?;
        let video = match body.u8()? {
            0 => None,
            _ => {
                let (format, flags, width, height, n_planes) = (
                    body.u32()?,
                    body.u32()?,
                    body.u32()?,
                    body.u32()?,
                    body.u32()?,
                );
                let mut offsets = [0; 4];
                let mut strides = [0; 4];
                for (offset, stride) in offsets.iter_mut().zip(strides.iter_mut()) {
                    *offset = body.u64()?;
                    *stride = body.i32()?;
                }
                Some(VideoLayout {
                    format,
                    flags,
                    width,
                    height,
                    offsets,
                    strides,
                    n_planes,
                })
            }
        };
        Ok(FrameRequest {
            fields,
            size,
            fd_offset,
            arena_len,
            video,
            metadata: body.rest().to_vec(),
        })
    }
}

/// What the callback said about one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FrameReply {
    /// `Ok` with the verdict, or the callback's failure.
    pub(super) result: Result<Verdict, PyFailure>,
    pub(super) none_trap: bool,
    /// The callback mapped the pixels for writing: the arena holds the new bytes.
    pub(super) pixels_written: bool,
    pub(super) unfinished_metadata: Option<String>,
    pub(super) gil_wait: Duration,
    pub(super) duration: Duration,
    /// The buffer's timestamps, offsets and flags after the call, when the
    /// callback changed them.
    pub(super) fields: Option<BufferFields>,
    /// The frame's metadata after the call, when it changed.
    pub(super) metadata: Option<Vec<u8>>,
}

const VERDICT_PUSH: u8 = 0;
const VERDICT_DROP: u8 = 1;
const VERDICT_DROP_NONE: u8 = 2;
const VERDICT_FAILED: u8 = 3;
const FLAG_NONE_TRAP: u8 = 1;
const FLAG_PIXELS_WRITTEN: u8 = 2;
const FLAG_METADATA: u8 = 4;
const FLAG_FIELDS: u8 = 8;

impl FrameReply {
    pub(super) fn message(&self) -> Message {
        let mut m = Message::new(Tag::BufferDone);
        let verdict = match &self.result {
            Ok(Verdict::Push) => VERDICT_PUSH,
            Ok(Verdict::Drop) => VERDICT_DROP,
            Ok(Verdict::DropNone) => VERDICT_DROP_NONE,
            Err(_) => VERDICT_FAILED,
        };
        let flags = (if self.none_trap { FLAG_NONE_TRAP } else { 0 })
            | (if self.pixels_written {
                FLAG_PIXELS_WRITTEN
            } else {
                0
            })
            | (if self.metadata.is_some() {
                FLAG_METADATA
            } else {
                0
            })
            | (if self.fields.is_some() {
                FLAG_FIELDS
            } else {
                0
            });
        m.u8(verdict)
            .u8(flags)
            .u64(self.gil_wait.as_nanos() as u64)
            .u64(self.duration.as_nanos() as u64);
        let mut notes = serde_json::Map::new();
        if let Err(failure) = &self.result {
            notes.insert("failure".into(), failure_to_json(failure));
        }
        if let Some(reason) = &self.unfinished_metadata {
            notes.insert("unfinished_metadata".into(), reason.as_str().into());
        }
        let notes = if notes.is_empty() {
            Vec::new()
        } else {
            serde_json::to_vec(&notes).expect("JSON values serialize")
        };
        m.u32(notes.len() as u32).raw(&notes);
        if let Some(fields) = &self.fields {
            fields.write(&mut m);
        }
        if let Some(metadata) = &self.metadata {
            m.raw(metadata);
        }
        m
    }

    pub(super) fn read(body: &mut Body) -> io::Result<Self> {
        let verdict = body.u8()?;
        let flags = body.u8()?;
        let gil_wait = Duration::from_nanos(body.u64()?);
        let duration = Duration::from_nanos(body.u64()?);
        let notes_len = body.u32()? as usize;
        let notes: serde_json::Value = if notes_len == 0 {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(body.slice(notes_len)?)
                .map_err(|e| malformed(format!("frame reply notes: {e}")))?
        };
        let fields = if flags & FLAG_FIELDS != 0 {
            Some(BufferFields::read(body)?)
        } else {
            None
        };
        let result = match verdict {
            VERDICT_PUSH => Ok(Verdict::Push),
            VERDICT_DROP => Ok(Verdict::Drop),
            VERDICT_DROP_NONE => Ok(Verdict::DropNone),
            VERDICT_FAILED => Err(failure_from_json(&notes["failure"])),
            other => return Err(malformed(format!("verdict {other}"))),
        };
        Ok(FrameReply {
            result,
            none_trap: flags & FLAG_NONE_TRAP != 0,
            pixels_written: flags & FLAG_PIXELS_WRITTEN != 0,
            unfinished_metadata: notes["unfinished_metadata"].as_str().map(str::to_string),
            gil_wait,
            duration,
            fields,
            metadata: (flags & FLAG_METADATA != 0).then(|| body.rest().to_vec()),
        })
    }
}

pub(super) fn failure_to_json(failure: &PyFailure) -> serde_json::Value {
    serde_json::json!({
        "message": failure.message,
        "debug": failure.debug,
        "kind": failure.kind,
    })
}

pub(super) fn failure_from_json(value: &serde_json::Value) -> PyFailure {
    let text = |key: &str| value[key].as_str().unwrap_or_default().to_string();
    PyFailure {
        message: text("message"),
        debug: text("debug"),
        kind: text("kind"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn round_trip(mut message: Message) -> Body {
        let (a, b) = UnixStream::pair().unwrap();
        Channel::new(a, Patience::Fixed).send(&mut message).unwrap();
        Channel::new(b, Patience::Adaptive).receive().unwrap()
    }

    #[test]
    fn an_adaptive_end_polls_as_long_as_messages_typically_take() {
        let (a, b) = UnixStream::pair().unwrap();
        let (fixed, adaptive) = (
            Channel::new(a, Patience::Fixed),
            Channel::new(b, Patience::Adaptive),
        );
        assert_eq!(adaptive.spin_window(), SPIN);
        for _ in 0..50 {
            fixed.note_wait(Duration::from_micros(800));
            adaptive.note_wait(Duration::from_micros(800));
        }
        assert_eq!(fixed.spin_window(), SPIN);
        let window = adaptive.spin_window();
        assert!(
            window > Duration::from_micros(1100) && window <= Duration::from_micros(1200),
            "{window:?}"
        );
        // Frames as far apart as a camera's: back to the short window.
        for _ in 0..50 {
            adaptive.note_wait(Duration::from_millis(33));
        }
        assert_eq!(adaptive.spin_window(), SPIN);
        // One late frame among quick ones does not end the polling.
        for _ in 0..50 {
            adaptive.note_wait(Duration::from_micros(300));
        }
        adaptive.note_wait(Duration::from_millis(5));
        assert!(adaptive.spin_window() > SPIN);
    }

    #[test]
    fn buffer_fields_set_and_clear_flags_but_leave_tag_memory_alone() {
        gst::init().unwrap();
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().unwrap();
        b.set_flags(gst::BufferFlags::DISCONT | gst::BufferFlags::TAG_MEMORY);
        let mut fields = BufferFields::of(b);
        assert_eq!(fields.flags, gst::BufferFlags::DISCONT.bits());
        fields.flags = (gst::BufferFlags::MARKER | gst::BufferFlags::TAG_MEMORY).bits();
        fields.pts = Some(5);
        fields.apply(b);
        assert_eq!(
            b.flags(),
            gst::BufferFlags::MARKER | gst::BufferFlags::TAG_MEMORY
        );
        assert_eq!(b.pts(), Some(gst::ClockTime::from_nseconds(5)));
        b.unset_flags(gst::BufferFlags::TAG_MEMORY);
        fields.apply(b);
        assert_eq!(b.flags(), gst::BufferFlags::MARKER);
    }

    #[test]
    fn frame_request_round_trips() {
        let request = FrameRequest {
            fields: BufferFields {
                pts: Some(1),
                dts: None,
                duration: Some(40_000_000),
                offset: 7,
                offset_end: u64::MAX,
                flags: 0x40,
            },
            size: Some(4096),
            fd_offset: Some(64),
            arena_len: 8192,
            video: Some(VideoLayout {
                format: 8,
                flags: 0,
                width: 32,
                height: 32,
                offsets: [0, 1024, 2048, 0],
                strides: [32, 16, -16, 0],
                n_planes: 3,
            }),
            metadata: b"GVAT\x01 and more".to_vec(),
        };
        let mut body = round_trip(request.message());
        assert_eq!(body.tag, Tag::Buffer);
        assert_eq!(FrameRequest::read(&mut body).unwrap(), request);
    }

    #[test]
    fn frame_reply_round_trips_with_a_failure() {
        let reply = FrameReply {
            result: Err(PyFailure {
                message: "Python callback f() raised ValueError: x".into(),
                debug: "Traceback ...".into(),
                kind: "Python callback f(): ValueError".into(),
            }),
            none_trap: true,
            pixels_written: false,
            unfinished_metadata: Some("shared".into()),
            gil_wait: Duration::from_nanos(5),
            duration: Duration::from_micros(7),
            fields: Some(BufferFields {
                pts: None,
                dts: Some(3),
                duration: None,
                offset: 1,
                offset_end: 2,
                flags: 0x2000,
            }),
            metadata: Some(vec![1, 2, 3]),
        };
        let mut body = round_trip(reply.message());
        assert_eq!(FrameReply::read(&mut body).unwrap(), reply);
        let plain = FrameReply {
            result: Ok(Verdict::DropNone),
            unfinished_metadata: None,
            metadata: None,
            ..reply
        };
        let mut body = round_trip(plain.message());
        assert_eq!(FrameReply::read(&mut body).unwrap(), plain);
    }

    #[test]
    fn a_descriptor_travels_with_its_message() {
        let file = std::fs::File::open("/proc/self/exe").unwrap();
        let mut message = Message::new(Tag::Eos);
        message.raw(b"body").with_fd(file.as_raw_fd());
        let body = round_trip(message);
        assert_eq!(body.rest(), b"body");
        let passed = body.fd.expect("a passed descriptor");
        assert_ne!(passed.as_raw_fd(), file.as_raw_fd());
        let meta = |fd: RawFd| {
            // SAFETY: fstat fills a stat buffer for an open descriptor.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            assert_eq!(unsafe { libc::fstat(fd, &mut st) }, 0);
            (st.st_dev, st.st_ino)
        };
        assert_eq!(meta(passed.as_raw_fd()), meta(file.as_raw_fd()));
        assert!(round_trip(Message::new(Tag::Eos)).fd.is_none());
    }

    #[test]
    fn cut_short_and_unknown_messages_are_errors() {
        let mut body = round_trip(Message::new(Tag::Buffer));
        assert!(FrameRequest::read(&mut body).is_err());
        let (a, b) = UnixStream::pair().unwrap();
        (&a).write_all(&[0, 0, 0, 0, 99]).unwrap();
        assert!(Channel::new(b, Patience::Fixed).receive().is_err());
        drop(a);
    }
}
