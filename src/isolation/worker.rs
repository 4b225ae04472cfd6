//! The worker's side: the whole life of a `gvarust-worker` process.
//!
//! It serves one element: it answers each request on its channel in order,
//! running the element's Python in a [`Session`] exactly as the element does in
//! process, and exits when told to stop or when the element is gone.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use gst::glib::translate::{from_glib_full, IntoGlibPtr};
use gst::prelude::*;
use gvarust_meta::analytics::MetadataMode;
use gvarust_meta::transfer;
use serde_json::json;

use super::arena::{FrameBytes, Mapping};
use super::channel::{
    failure_to_json, malformed, Body, BufferFields, Channel, FrameReply, FrameRequest, Message,
    Patience, Tag, WORKER_ARENA_FD, WORKER_CHANNEL_FD,
};
use crate::pyhost::{CallbackSpec, HookResult, Host, PyFailure, Session};

/// How many frame files the worker keeps mapped (a pool's buffers, a few pools).
const MAPPED_FILES: usize = 64;

/// Runs the worker; returns its exit status.
pub fn main() -> i32 {
    // SAFETY: F_GETFD only inspects the descriptor table.
    let inherited = |fd: RawFd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0;
    if !inherited(WORKER_CHANNEL_FD) || !inherited(WORKER_ARENA_FD) {
        eprintln!(
            "gvarust-worker runs the Python of a gvarust element with isolation=process; \
             the element starts it (it is not meant to be run by hand)"
        );
        return 2;
    }
    // SAFETY: the element started this process with its end of the channel as
    // fd 3 (checked open above); nothing else in this process owns it.
    let stream = unsafe { UnixStream::from_raw_fd(WORKER_CHANNEL_FD) };
    if let Err(err) = gst::init() {
        eprintln!("gvarust-worker: cannot initialize GStreamer: {err}");
        return 1;
    }
    exit_with_the_element(WORKER_CHANNEL_FD);
    let mut worker = Worker {
        channel: Arc::new(Channel::new(stream, Patience::Adaptive)),
        session: Session::default(),
        element: None,
        arena: Arc::new(Mapping::new(WORKER_ARENA_FD, 0).expect("an empty mapping")),
        files: HashMap::new(),
    };
    loop {
        let body = match worker.channel.receive() {
            Ok(body) => body,
            // The element closed the channel: it is gone or has let this worker go.
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return 0,
            Err(err) => {
                eprintln!("gvarust-worker: {err}");
                return 1;
            }
        };
        match worker.serve(body) {
            Ok(true) => {}
            Ok(false) => return 0,
            Err(err) => {
                eprintln!("gvarust-worker: {err}");
                return 1;
            }
        }
    }
}

/// A thread that ends the process as soon as the element's end of the channel
/// closes, also while a callback runs (the main thread then cannot notice).
fn exit_with_the_element(fd: RawFd) {
    let watch = move || loop {
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLRDHUP,
            revents: 0,
        };
        // SAFETY: one valid pollfd; waits without a time limit.
        let ready = unsafe { libc::poll(&mut poll, 1, -1) };
        if ready > 0 && poll.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0 {
            // SAFETY: _exit ends the process at once; nothing is left to clean up
            // for an element that is gone.
            unsafe { libc::_exit(0) };
        }
    };
    let _ = std::thread::Builder::new()
        .name("gvarust-element-watch".into())
        .spawn(watch);
}

struct Worker {
    channel: Arc<Channel>,
    session: Session,
    /// Stands for the element in this process (named like it): the Python
    /// logging bridge names it, and what the session posts on it is sent on
    /// to the element as a notice.
    element: Option<gst::Element>,
    /// The arena as mapped now (mapped anew, longer, when the element grew it).
    arena: Arc<Mapping>,
    /// The element's frame memfds mapped so far, by device and inode: a pool
    /// passes the same few files again and again.
    files: HashMap<(u64, u64), Arc<Mapping>>,
}

fn done(mut value: serde_json::Value, failure: Option<&PyFailure>) -> Message {
    if let Some(failure) = failure {
        value["failure"] = failure_to_json(failure);
    }
    Message::json(Tag::Done, &value)
}

impl Worker {
    /// Answers one request; `Ok(false)` after the last one (stop).
    fn serve(&mut self, mut body: Body) -> io::Result<bool> {
        let mut reply = match body.tag {
            Tag::Start => self.start(&body.json()?)?,
            Tag::Caps => {
                let caps = caps_of(&body.json()?["caps"])?;
                let element = self.element()?;
                if let Some(caps) = caps {
                    self.session.set_caps(element, &caps);
                }
                done(json!({}), None)
            }
            Tag::Buffer => self.frame(&mut body)?.message(),
            Tag::Event => {
                let event = event_of(&body.json()?)?;
                let result = self.session.process_event(self.element()?, &event);
                let drop = matches!(result, Ok(HookResult::Drop));
                done(json!({ "drop": drop }), result.as_ref().err())
            }
            Tag::Eos => {
                let result = self.session.eos(self.element()?);
                done(json!({}), result.as_ref().err())
            }
            Tag::Stop => {
                let result = match self.element.as_ref() {
                    Some(element) => self.session.stop(element).unwrap_or(Ok(())),
                    None => Ok(()),
                };
                self.channel
                    .send(&mut done(json!({}), result.as_ref().err()))?;
                return Ok(false);
            }
            other => return Err(malformed(format!("unexpected {other:?} request"))),
        };
        self.channel.send(&mut reply)?;
        Ok(true)
    }

    fn element(&self) -> io::Result<&gst::Element> {
        self.element
            .as_ref()
            .ok_or_else(|| malformed("request before start"))
    }

    fn start(&mut self, request: &serde_json::Value) -> io::Result<Message> {
        let text = |key: &str| request[key].as_str().map(str::to_string);
        let spec = CallbackSpec {
            module: text("module").unwrap_or_default(),
            class: text("class"),
            function: text("function").unwrap_or_default(),
            args_json: text("args").unwrap_or_else(|| "[]".into()),
            kwargs_json: text("kwargs").unwrap_or_else(|| "{}".into()),
            element_name: text("element").unwrap_or_default(),
        };
        let metadata = MetadataMode::from_nick(request["metadata"].as_str().unwrap_or("gva"))
            .map_err(malformed)?;
        let caps = caps_of(&request["caps"])?;
        let element = self.stand_in(&spec.element_name);
        let started = self.session.start(
            &element,
            spec,
            request["reload"].as_bool().unwrap_or(false),
            metadata,
            caps.as_deref(),
        );
        self.element = Some(element);
        Ok(done(
            json!({ "label": self.session.clock().callback_label() }),
            started.as_ref().err(),
        ))
    }

    /// A pipeline named like the element: what the session posts on it goes to
    /// the element as a notice (the element posts it as its own).
    fn stand_in(&self, name: &str) -> gst::Element {
        let pipeline = gst::Pipeline::builder().name(name).build();
        let channel = self.channel.clone();
        let bus = pipeline.bus().expect("a pipeline has a bus");
        bus.set_sync_handler(move |_, message| {
            let (level, error, debug) = match message.view() {
                gst::MessageView::Error(m) => ("error", m.error(), m.debug()),
                gst::MessageView::Warning(m) => ("warning", m.error(), m.debug()),
                gst::MessageView::Info(m) => ("info", m.error(), m.debug()),
                _ => return gst::BusSyncReply::Drop,
            };
            let notice = json!({
                "level": level,
                "message": error.message(),
                "debug": debug.map(|d| d.to_string()).unwrap_or_default(),
            });
            let _ = channel.send(&mut Message::json(Tag::Notice, &notice));
            gst::BusSyncReply::Drop
        });
        pipeline.upcast()
    }

    /// Calls the callback on the frame `body` describes.
    fn frame(&mut self, body: &mut Body) -> io::Result<FrameReply> {
        let fd = body.fd.take();
        let request = FrameRequest::read(body)?;
        let (map, offset) = match (fd, request.fd_offset) {
            (Some(fd), Some(offset)) => (
                self.file_mapping(&fd)?,
                usize::try_from(offset).map_err(|_| malformed("frame offset"))?,
            ),
            (None, None) => {
                if (self.arena.len() as u64) < request.arena_len {
                    let len = usize::try_from(request.arena_len)
                        .map_err(|_| malformed("arena length"))?;
                    self.arena = Arc::new(Mapping::new(WORKER_ARENA_FD, len)?);
                }
                (self.arena.clone(), 0)
            }
            _ => return Err(malformed("a frame's descriptor and its offset disagree")),
        };
        let mut buffer = self.buffer_for(&request, &map, offset)?;
        let first_memory =
            |buffer: &gst::Buffer| (buffer.n_memory() > 0).then(|| buffer.peek_memory(0).as_ptr());
        let memory = first_memory(&buffer);
        let writes_before = gvarust_meta::py::writable_maps();
        let element = self.element()?.clone();
        let buffer_ref = buffer.get_mut().expect("a buffer only this function holds");
        let Some(call) = self.session.process_buffer(&element, buffer_ref) else {
            return Err(malformed("frame before start"));
        };
        let mut pixels_written = gvarust_meta::py::writable_maps() != writes_before;
        if pixels_written && memory.is_some() && first_memory(&buffer) != memory {
            // The callback's write mapping replaced the memory with a copy (it
            // was shared): the new bytes go where the element reads them.
            // SAFETY: the element waits for this reply; no other slice of these
            // bytes is in use while they are copied in.
            let bytes = unsafe { map.bytes_mut(offset, buffer.size()) };
            pixels_written = buffer.copy_to_slice(0, bytes).is_ok();
        }
        let mut result = call.result;
        let fields = Some(BufferFields::of(&buffer)).filter(|after| *after != request.fields);
        let metadata = match transfer::encode(&buffer) {
            Ok(after) => (after != request.metadata).then_some(after),
            Err(err) => {
                if result.is_ok() {
                    result = Err(PyFailure::plain(format!(
                        "The frame's metadata cannot be passed back from the worker process: {err}"
                    )));
                }
                None
            }
        };
        Ok(FrameReply {
            result,
            none_trap: call.none_trap,
            pixels_written,
            unfinished_metadata: call.unfinished_metadata,
            gil_wait: call.gil_wait,
            duration: call.duration,
            fields,
            metadata,
        })
    }

    /// The whole file `fd` (a frame's memfd) mapped, from the cache when it
    /// was mapped before at its present length.
    fn file_mapping(&mut self, fd: &OwnedFd) -> io::Result<Arc<Mapping>> {
        // SAFETY: fstat fills a stat buffer (plain C data) for an open descriptor.
        let st = unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(fd.as_raw_fd(), &mut st) != 0 {
                return Err(io::Error::last_os_error());
            }
            st
        };
        let key = (st.st_dev, st.st_ino);
        let len = usize::try_from(st.st_size).map_err(|_| malformed("frame file size"))?;
        if let Some(map) = self.files.get(&key).filter(|map| map.len() >= len) {
            return Ok(map.clone());
        }
        // Files of pools that are gone: forget them now and then (a buffer
        // Python still holds keeps its own mapping).
        if self.files.len() >= MAPPED_FILES {
            self.files.clear();
        }
        let map = Arc::new(Mapping::new(fd.as_raw_fd(), len)?);
        self.files.insert(key, map.clone());
        Ok(map)
    }

    /// The buffer the callback sees: the arena's bytes, the element buffer's
    /// fields, plane layout and metadata.
    fn buffer_for(
        &self,
        request: &FrameRequest,
        map: &Arc<Mapping>,
        offset: usize,
    ) -> io::Result<gst::Buffer> {
        let mut buffer = gst::Buffer::new();
        let b = buffer.get_mut().expect("a new buffer is writable");
        if let Some(size) = request.size {
            let len = usize::try_from(size)
                .ok()
                .filter(|&len| offset.checked_add(len).is_some_and(|end| end <= map.len()))
                .ok_or_else(|| malformed("frame outside its shared memory"))?;
            b.append_memory(gst::Memory::from_mut_slice(FrameBytes {
                map: map.clone(),
                offset,
                len,
            }));
        }
        request.fields.apply(b);
        if let Some(video) = &request.video {
            let planes = (video.n_planes as usize).min(4);
            // SAFETY: the format value came from a GstVideoFormat of the
            // element's buffer; from_glib maps unknown values to Unknown.
            let format: gst_video::VideoFormat =
                unsafe { gst::glib::translate::from_glib(video.format as i32) };
            let offsets: Vec<usize> = video.offsets[..planes]
                .iter()
                .map(|&o| o as usize)
                .collect();
            gst_video::VideoMeta::add_full(
                b,
                gst_video::VideoFrameFlags::from_bits_truncate(video.flags),
                format,
                video.width,
                video.height,
                &offsets,
                &video.strides[..planes],
            )
            .map_err(|e| malformed(format!("video layout: {e}")))?;
        }
        transfer::replace(b, &request.metadata).map_err(|e| malformed(e.to_string()))?;
        Ok(buffer)
    }
}

fn caps_of(value: &serde_json::Value) -> io::Result<Option<gst::Caps>> {
    match value.as_str() {
        None => Ok(None),
        Some(text) => text
            .parse::<gst::Caps>()
            .map(Some)
            .map_err(|_| malformed(format!("caps {text:?}"))),
    }
}

/// The event the element passed: its type and structure.
fn event_of(request: &serde_json::Value) -> io::Result<gst::Event> {
    let type_ = request["type"]
        .as_u64()
        .and_then(|t| u32::try_from(t).ok())
        .ok_or_else(|| malformed("event without a type"))?;
    let structure = request["structure"].as_str().map(|text| {
        text.parse::<gst::Structure>().unwrap_or_else(|_| {
            // A structure whose fields do not serialize (an object, a pointer)
            // keeps its name at least.
            let name = text.split([',', ';']).next().unwrap_or_default().trim();
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/-_.:+".contains(c));
            gst::Structure::new_empty(if valid { name } else { "event" })
        })
    });
    // SAFETY: gst_event_new_custom takes ownership of the structure (or NULL)
    // and returns a new event of `type_`, which came from a GstEventType.
    let event: gst::Event = unsafe {
        from_glib_full(gst::ffi::gst_event_new_custom(
            type_ as gst::ffi::GstEventType,
            structure.map_or(std::ptr::null_mut(), |s| s.into_glib_ptr()),
        ))
    };
    Ok(event)
}
