//! The element's side of `isolation=process`: its worker process, started at
//! start, called per buffer and per event, started anew after it died, and
//! stopped (killed when it does not stop in time) at stop.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use gst::glib::translate::IntoGlib;
use gvarust_meta::analytics::MetadataMode;
use gvarust_meta::transfer;
use serde_json::json;

use super::arena::Arena;
use super::channel::{
    failure_from_json, Body, BufferFields, Channel, FrameReply, FrameRequest, Message, Patience,
    Tag, VideoLayout, WORKER_ARENA_FD, WORKER_CHANNEL_FD,
};
use super::WORKER_NAME;
use crate::pyhost::{BufferCall, CallClock, CallbackSpec, HookResult, Host, PyFailure, StuckCall};
use crate::CAT;

/// How long a stopping worker has to finish `on_stop()` and exit.
const STOP_PATIENCE: Duration = Duration::from_secs(1);

/// One element's worker process, from start to stop.
#[derive(Debug, Default)]
pub struct WorkerHost {
    run: Mutex<Option<Run>>,
    clock: Arc<CallClock>,
    /// The live worker's pid, for [`WorkerHost::interrupt_stuck_call`] (which
    /// must not wait for `run`). Cleared, under this lock, before the worker is
    /// reaped: a pid is never signalled after it may have been reused.
    live_pid: Mutex<Option<libc::pid_t>>,
    /// The worker was killed because the element is stopping.
    killed_for_stop: AtomicBool,
    /// Workers started anew after one died, this run.
    restarts: std::sync::atomic::AtomicU64,
    /// Whether a worker that died is replaced (`on-error` drop and pass).
    restart_allowed: AtomicBool,
}

/// What one run (start to stop) keeps: how to start a worker, the shared
/// memory, and the worker (none after one died, until the next call).
#[derive(Debug)]
struct Run {
    start: serde_json::Value,
    arena: Arena,
    worker: Option<Worker>,
}

#[derive(Debug)]
struct Worker {
    child: Child,
    channel: Channel,
}

/// The worker's channel broke: it died (or said something that makes no sense).
struct Lost(io::Error);

impl WorkerHost {
    /// Whether a worker that died is started anew at the next call (the
    /// element's `on-error` is drop or pass); else its calls fail.
    pub fn allow_restarts(&self, allowed: bool) {
        self.restart_allowed.store(allowed, Ordering::Relaxed);
    }

    /// Workers started anew after one died, since the last start.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    fn lock_run(&self) -> std::sync::MutexGuard<'_, Option<Run>> {
        self.run.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a worker for `run` and waits until its code is loaded and started.
    fn spawn(&self, element: &gst::Element, run: &mut Run) -> Result<(), PyFailure> {
        let program = worker_executable().map_err(PyFailure::plain)?;
        let (ours, theirs) = UnixStream::pair()
            .map_err(|e| PyFailure::plain(format!("Cannot create the worker's channel: {e}")))?;
        let channel_fd = theirs.as_raw_fd();
        let arena_fd = run.arena.fd();
        let mut command = Command::new(&program);
        command.stdin(Stdio::null());
        // SAFETY: runs in the forked child before exec, where only
        // async-signal-safe calls are allowed: fcntl and dup2 are. The two
        // descriptors are first moved above the target numbers, so neither
        // target overwrites the other source; the temporary copies close at exec.
        unsafe {
            command.pre_exec(move || {
                let channel = libc::fcntl(channel_fd, libc::F_DUPFD_CLOEXEC, 10);
                let arena = libc::fcntl(arena_fd, libc::F_DUPFD_CLOEXEC, 10);
                if channel < 0
                    || arena < 0
                    || libc::dup2(channel, WORKER_CHANNEL_FD) < 0
                    || libc::dup2(arena, WORKER_ARENA_FD) < 0
                {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|e| {
            PyFailure::plain(format!(
                "Cannot start the worker process {}: {e}",
                program.display()
            ))
        })?;
        drop(theirs);
        *self.lock_pid() = Some(child.id() as libc::pid_t);
        gst::debug!(CAT, obj = element, "started worker process {}", child.id());
        let worker = Worker {
            child,
            channel: Channel::new(ours, Patience::Fixed),
        };
        self.clock.begin_untracked(
            "Python start in the worker process (import, constructor, on_start())".into(),
        );
        let reply = self.transact(element, &worker, &mut Message::json(Tag::Start, &run.start));
        self.clock.finish();
        match reply.and_then(|body| body.json().map_err(Lost)) {
            Ok(reply) if reply["failure"].is_null() => {
                if let Some(label) = reply["label"].as_str() {
                    self.clock.set_label(label.to_string());
                }
                run.worker = Some(worker);
                Ok(())
            }
            Ok(reply) => {
                self.retire_worker(worker);
                Err(failure_from_json(&reply["failure"]))
            }
            Err(Lost(err)) => {
                drop(worker.channel);
                let status = self.reap(worker.child);
                Err(PyFailure::plain(format!(
                    "The worker process {} before it started ({err})",
                    describe_exit(status)
                )))
            }
        }
    }

    fn lock_pid(&self) -> std::sync::MutexGuard<'_, Option<libc::pid_t>> {
        self.live_pid.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `message` and waits for the reply, posting the notices that come
    /// before it on `element`.
    fn transact(
        &self,
        element: &gst::Element,
        worker: &Worker,
        message: &mut Message,
    ) -> Result<Body, Lost> {
        worker.channel.send(message).map_err(Lost)?;
        loop {
            let body = worker.channel.receive().map_err(Lost)?;
            if body.tag != Tag::Notice {
                return Ok(body);
            }
            post_notice(element, &body);
        }
    }

    /// Kills (if needed) and reaps `child`; its exit status.
    fn reap(&self, mut child: Child) -> Option<ExitStatus> {
        let mut pid = self.lock_pid();
        *pid = None;
        if !matches!(child.try_wait(), Ok(Some(_))) {
            let _ = child.kill();
        }
        let status = child.wait().ok();
        drop(pid);
        status
    }

    /// Lets a healthy worker go: closing the channel ends it.
    fn retire_worker(&self, worker: Worker) {
        let Worker { child, channel } = worker;
        drop(channel);
        self.reap_within(child, STOP_PATIENCE);
    }

    fn retire(&self, run: Run) {
        if let Some(worker) = run.worker {
            self.retire_worker(worker);
        }
    }

    /// Waits up to `patience` for `child` to exit, then kills it; reaps it.
    fn reap_within(&self, mut child: Child, patience: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(_) => break,
            }
        }
        self.reap(child)
    }

    /// Starts a worker for `run` anew when the last one died.
    fn ensure_worker(&self, element: &gst::Element, run: &mut Run) -> Result<(), PyFailure> {
        if run.worker.is_none() && !self.restart_allowed.load(Ordering::Relaxed) {
            return Err(PyFailure::plain(
                "The worker process died earlier and on-error=fail does not start another",
            ));
        }
        if run.worker.is_none() {
            self.spawn(element, run).map_err(|failure| PyFailure {
                message: format!("Restarting the worker process failed: {}", failure.message),
                ..failure
            })?;
            self.restarts.fetch_add(1, Ordering::Relaxed);
            gst::info!(CAT, obj = element, "worker process started anew");
        }
        Ok(())
    }

    /// The worker of `run` died during a call to `label`: reaps it and says how.
    fn lose_worker(&self, run: &mut Run, label: &str, err: &io::Error) -> PyFailure {
        let Worker { child, channel } = run.worker.take().expect("a worker was called");
        drop(channel);
        let pid = child.id();
        let status = self.reap(child);
        let how = describe_exit(status);
        gst::debug!(CAT, "worker process {pid} lost ({err})");
        PyFailure {
            message: format!("{label} did not return: its worker process (pid {pid}) {how}"),
            debug: String::new(),
            kind: format!("{label}: worker process {how}"),
        }
    }

    /// Sends a request other than a frame to the worker and reads its JSON reply.
    fn request(
        &self,
        element: &gst::Element,
        label: &str,
        message: &mut Message,
    ) -> Result<serde_json::Value, PyFailure> {
        let mut guard = self.lock_run();
        let Some(run) = guard.as_mut() else {
            return Ok(json!({}));
        };
        if run.worker.is_none() && !self.restart_allowed.load(Ordering::Relaxed) {
            // The death was reported already (on-error=fail): no hooks run.
            return Ok(json!({}));
        }
        self.ensure_worker(element, run)?;
        let worker = run.worker.as_ref().expect("ensured above");
        self.clock.begin_untracked(label.to_string());
        let reply = self.transact(element, worker, message);
        self.clock.finish();
        let reply = match reply.and_then(|body| body.json().map_err(Lost)) {
            Ok(reply) => reply,
            Err(Lost(err)) => return Err(self.lose_worker(run, label, &err)),
        };
        if reply["failure"].is_null() {
            Ok(reply)
        } else {
            Err(failure_from_json(&reply["failure"]))
        }
    }
}

impl Drop for WorkerHost {
    fn drop(&mut self) {
        if let Some(run) = self.lock_run().take() {
            self.retire(run);
        }
    }
}

/// The buffer's one memory as a file the worker can map: file-descriptor
/// memory over a regular file (a memfd, not a device buffer) that no other
/// buffer shares (the callback may write it). Its descriptor and the offset of
/// the buffer's bytes in the file.
fn shared_file(buffer: &gst::BufferRef) -> Option<(RawFd, u64)> {
    if buffer.n_memory() != 1 {
        return None;
    }
    let memory = buffer.peek_memory(0);
    let fd = memory
        .downcast_memory_ref::<gst_allocators::FdMemory>()?
        .fd();
    // SAFETY: the memory is a valid GstMemory (a mini object) for this call.
    let exclusive = unsafe {
        gst::ffi::gst_mini_object_is_writable(memory.as_ptr() as *const gst::ffi::GstMiniObject)
    } != 0;
    if !exclusive || memory.flags().contains(gst::MemoryFlags::READONLY) {
        return None;
    }
    // SAFETY: fstat fills a stat buffer (plain C data) for an open descriptor.
    let regular = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstat(fd, &mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFREG
    };
    regular.then_some((fd, memory.offset() as u64))
}

/// The request for `buffer` and the descriptor to pass along with it: the
/// buffer's own memory when the worker can map it (see [`shared_file`]), else
/// none and the bytes copied into the arena. Its metadata encoded.
fn frame_request(
    buffer: &gst::BufferRef,
    arena: &mut Arena,
) -> Result<(FrameRequest, Option<RawFd>), PyFailure> {
    let size = (buffer.n_memory() > 0).then(|| buffer.size());
    let shared = shared_file(buffer);
    if let (Some(size), None) = (size, shared) {
        arena.reserve(size).map_err(|e| {
            PyFailure::plain(format!(
                "Cannot grow the worker's shared memory to {size} bytes: {e}"
            ))
        })?;
        buffer
            .copy_to_slice(0, arena.bytes_mut(size))
            .map_err(|_| PyFailure::plain("Cannot read the buffer's memory for the worker"))?;
    }
    let metadata = transfer::encode(buffer).map_err(|e| {
        PyFailure::plain(format!(
            "The buffer's metadata cannot be passed to the worker process: {e}"
        ))
    })?;
    let video = buffer.meta::<gst_video::VideoMeta>().map(|meta| {
        let planes = (meta.n_planes() as usize).min(4);
        let mut offsets = [0u64; 4];
        let mut strides = [0i32; 4];
        for plane in 0..planes {
            offsets[plane] = meta.offset()[plane] as u64;
            strides[plane] = meta.stride()[plane];
        }
        VideoLayout {
            format: meta.format().into_glib() as u32,
            flags: meta.flags().bits(),
            width: meta.width(),
            height: meta.height(),
            offsets,
            strides,
            n_planes: planes as u32,
        }
    });
    let request = FrameRequest {
        fields: BufferFields::of(buffer),
        size: size.map(|s| s as u64),
        fd_offset: shared.map(|(_, offset)| offset),
        arena_len: arena.len() as u64,
        video,
        metadata,
    };
    Ok((request, shared.map(|(fd, _)| fd)))
}

/// Puts what the callback changed on `buffer`: the pixels it wrote, its
/// timestamps, offsets and flags, its metadata.
fn apply_reply(
    buffer: &mut gst::BufferRef,
    arena: &mut Arena,
    pixels_written: bool,
    reply: &FrameReply,
) -> Result<(), PyFailure> {
    if let Some(fields) = &reply.fields {
        fields.apply(buffer);
    }
    if pixels_written {
        let size = buffer.size();
        let mut mapped = buffer.map_writable().map_err(|_| {
            PyFailure::plain("The pixels the callback wrote cannot be written to the buffer")
        })?;
        let len = size.min(arena.len());
        mapped[..len].copy_from_slice(arena.bytes_mut(len));
    }
    if let Some(metadata) = &reply.metadata {
        transfer::replace(buffer, metadata).map_err(|e| {
            PyFailure::plain(format!(
                "The metadata from the worker process is invalid: {e}"
            ))
        })?;
    }
    Ok(())
}

/// Posts a message the worker's stand-in element posted, as `element`'s own.
fn post_notice(element: &gst::Element, body: &Body) {
    let Ok(notice) = body.json() else {
        return;
    };
    let text = notice["message"].as_str().unwrap_or_default();
    let debug = notice["debug"].as_str().unwrap_or_default();
    match notice["level"].as_str() {
        Some("error") => {
            gst::element_error!(
                element,
                gst::LibraryError::Failed,
                ("{}", text),
                ["{}", debug]
            )
        }
        Some("warning") => {
            gst::element_warning!(
                element,
                gst::LibraryError::Failed,
                ("{}", text),
                ["{}", debug]
            )
        }
        _ => gst::element_info!(
            element,
            gst::LibraryError::Failed,
            ("{}", text),
            ["{}", debug]
        ),
    }
}

/// `exited with status 3`, `was killed by SIGSEGV`.
fn describe_exit(status: Option<ExitStatus>) -> String {
    let Some(status) = status else {
        return "ended (its exit status is unknown)".into();
    };
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    match status.signal() {
        Some(signal) => format!("was killed by {}", signal_name(signal)),
        None => format!("ended ({status})"),
    }
}

fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGKILL => "SIGKILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGSYS => "SIGSYS",
        libc::SIGXCPU => "SIGXCPU",
        _ => return format!("signal {signal}"),
    };
    name.into()
}

/// The worker program: `GVARUST_WORKER` when set, else `gvarust-worker` in the
/// directory the plugin was loaded from.
fn worker_executable() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("GVARUST_WORKER") {
        return Ok(PathBuf::from(path));
    }
    // The address of a function of this library names the plugin's file.
    let library = crate::library::file_of(worker_executable as *const libc::c_void)
        .map(|file| PathBuf::from(std::ffi::OsStr::from_bytes(file.as_bytes())));
    let Some(dir) = library.as_deref().and_then(std::path::Path::parent) else {
        return Err(format!(
            "isolation=process: cannot tell where the gvarust plugin was loaded from to find \
             {WORKER_NAME}; set GVARUST_WORKER to its path"
        ));
    };
    let program = dir.join(WORKER_NAME);
    if program.is_file() {
        Ok(program)
    } else {
        Err(format!(
            "isolation=process needs the {WORKER_NAME} program next to the plugin, at {}; it is \
             built with the plugin (cargo build) and installed with it by scripts/install.sh \
             (or set GVARUST_WORKER to its path)",
            program.display()
        ))
    }
}

impl Host for WorkerHost {
    fn clock(&self) -> Arc<CallClock> {
        self.clock.clone()
    }

    /// Starts the worker, which loads the user code and calls `on_start()`.
    fn start(
        &self,
        element: &gst::Element,
        spec: CallbackSpec,
        watch_for_changes: bool,
        metadata: MetadataMode,
        caps: Option<&gst::CapsRef>,
    ) -> Result<(), PyFailure> {
        self.killed_for_stop.store(false, Ordering::Relaxed);
        self.restarts.store(0, Ordering::Relaxed);
        let start = json!({
            "module": spec.module,
            "class": spec.class,
            "function": spec.function,
            "args": spec.args_json,
            "kwargs": spec.kwargs_json,
            "element": spec.element_name,
            "reload": watch_for_changes,
            "metadata": metadata.nick(),
            "caps": caps.map(|c| c.to_string()),
        });
        let arena = Arena::new().map_err(|e| {
            PyFailure::plain(format!(
                "Cannot create the shared memory for the worker: {e}"
            ))
        })?;
        let mut run = Run {
            start,
            arena,
            worker: None,
        };
        self.spawn(element, &mut run)?;
        if let Some(stale) = self.lock_run().replace(run) {
            self.retire(stale);
        }
        Ok(())
    }

    /// Follows a caps change: the worker's frames are then built for `caps`,
    /// and a worker started anew starts with them.
    fn set_caps(&self, element: &gst::Element, caps: &gst::CapsRef) {
        if let Some(run) = self.lock_run().as_mut() {
            run.start["caps"] = caps.to_string().into();
        }
        let message = &mut Message::json(Tag::Caps, &json!({ "caps": caps.to_string() }));
        if let Err(failure) = self.request(element, "Following the caps", message) {
            gst::warning!(CAT, obj = element, "{}", failure.message);
        }
    }

    /// Calls the callback in the worker on `buffer`.
    fn process_buffer(
        &self,
        element: &gst::Element,
        buffer: &mut gst::BufferRef,
    ) -> Option<BufferCall> {
        let began = Instant::now();
        let mut guard = self.lock_run();
        let run = guard.as_mut()?;
        let mut call = BufferCall {
            result: Ok(crate::pyhost::Verdict::Push),
            gil_wait: Duration::ZERO,
            duration: Duration::ZERO,
            interrupted: false,
            none_trap: false,
            unfinished_metadata: None,
            channel: Duration::ZERO,
            worker_lost: false,
            restart_failed: false,
        };
        if let Err(failure) = self.ensure_worker(element, run) {
            call.result = Err(failure);
            call.restart_failed = true;
            return Some(call);
        }
        let (request, fd) = match frame_request(buffer, &mut run.arena) {
            Ok(request) => request,
            Err(failure) => {
                call.result = Err(failure);
                return Some(call);
            }
        };
        let worker = run.worker.as_ref().expect("ensured above");
        let call_start = Instant::now();
        self.clock.start_callback_untracked(call_start);
        let mut message = request.message();
        gst::trace!(
            CAT,
            obj = element,
            "frame of {:?} bytes {}",
            request.size,
            if fd.is_some() {
                "in its own memfd"
            } else {
                "copied into the arena"
            }
        );
        if let Some(fd) = fd {
            // The buffer (and so its memory and descriptor) lives through the send.
            message.with_fd(fd);
        }
        let reply = self
            .transact(element, worker, &mut message)
            .and_then(|mut body| match body.tag {
                Tag::BufferDone => FrameReply::read(&mut body).map_err(Lost),
                other => Err(Lost(super::channel::malformed(format!(
                    "{other:?} in reply to a frame"
                )))),
            });
        self.clock.finish();
        match reply {
            Ok(reply) => {
                // Written into the buffer's own memory, pixels are there already.
                let copy_back = reply.pixels_written && fd.is_none();
                let applied = apply_reply(buffer, &mut run.arena, copy_back, &reply);
                call.result = applied.and(reply.result);
                call.none_trap = reply.none_trap;
                call.unfinished_metadata = reply.unfinished_metadata;
                call.gil_wait = reply.gil_wait;
                call.duration = reply.duration;
            }
            Err(Lost(err)) => {
                call.duration = call_start.elapsed();
                call.result = Err(self.lose_worker(run, &self.clock.label(), &err));
                call.worker_lost = true;
                call.interrupted = self.killed_for_stop.load(Ordering::Relaxed);
            }
        }
        call.channel = began
            .elapsed()
            .saturating_sub(call.duration + call.gil_wait);
        Some(call)
    }

    /// Calls the `process_event(event)` hook in the worker.
    fn process_event(
        &self,
        element: &gst::Element,
        event: &gst::EventRef,
    ) -> Result<HookResult, PyFailure> {
        let message = &mut Message::json(
            Tag::Event,
            &json!({
                "type": event.type_().into_glib(),
                "structure": event.structure().map(|s| s.to_string()),
            }),
        );
        let reply = self.request(element, "Python hook process_event()", message)?;
        Ok(if reply["drop"].as_bool() == Some(true) {
            HookResult::Drop
        } else {
            HookResult::Keep
        })
    }

    /// Calls the `on_eos()` hook in the worker.
    fn eos(&self, element: &gst::Element) -> Result<(), PyFailure> {
        self.request(element, "Python hook on_eos()", &mut Message::new(Tag::Eos))
            .map(drop)
    }

    /// Calls `on_stop()` in the worker and lets it exit; a worker that does not
    /// within a second is killed. `None` when nothing was running.
    fn stop(&self, element: &gst::Element) -> Option<Result<(), PyFailure>> {
        let run = self.lock_run().take()?;
        let Some(worker) = run.worker else {
            return Some(Ok(()));
        };
        let label = "Python hook on_stop()";
        self.clock.begin_untracked(label.into());
        let stopped = worker
            .channel
            .set_receive_timeout(Some(STOP_PATIENCE))
            .map_err(Lost)
            .and_then(|()| self.transact(element, &worker, &mut Message::new(Tag::Stop)));
        self.clock.finish();
        let Worker { child, channel } = worker;
        drop(channel);
        let result = match stopped.and_then(|body| body.json().map_err(Lost)) {
            Ok(reply) if reply["failure"].is_null() => Ok(()),
            Ok(reply) => Err(failure_from_json(&reply["failure"])),
            Err(Lost(err)) => Err(PyFailure::plain(
                if err.kind() == io::ErrorKind::WouldBlock || err.kind() == io::ErrorKind::TimedOut
                {
                    format!(
                    "{label} had not returned {:.1} s after the element began to stop; its worker \
                     process was killed",
                    STOP_PATIENCE.as_secs_f64()
                )
                } else {
                    format!("{label} did not return: the worker process ended ({err})")
                },
            )),
        };
        self.reap_within(child, Duration::from_millis(500));
        Some(result)
    }

    /// Called as the element begins to stop: a per-buffer call still running
    /// after `grace` has its worker killed (the element then stops at once, so
    /// `patience` is not needed).
    fn interrupt_stuck_call(&self, grace: Duration, _patience: Duration) -> Option<StuckCall> {
        let call = self.clock.running()?;
        if !self.clock.still_running_after(call.id, grace) {
            return None;
        }
        if let Some(pid) = *self.lock_pid() {
            self.killed_for_stop.store(true, Ordering::Relaxed);
            // SAFETY: kill sends a signal; `pid` is the live worker's, not yet
            // reaped (the lock is held and reaping clears it first).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        Some(StuckCall::Killed {
            label: self.clock.label(),
        })
    }
}
