//! `isolation=process`: the callback runs in a worker process. Metadata and
//! pixels cross to it and back, a worker that dies is handled as `on-error`
//! says, and stopping never hangs nor leaves processes or descriptors behind.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::callback;
use gst::prelude::*;
use serde_json::Value;

/// What one buffer carried at the sink: its JSON messages, its first four
/// bytes, the label and confidence of each region, and whether its memory is
/// a memfd (file-descriptor memory) the worker could map.
type Seen = (Vec<Value>, Vec<u8>, Vec<(String, f64)>, bool);

/// A pipeline from `description`, with what each buffer that reaches the
/// element named `sink` carried.
struct Watched {
    pipeline: gst::Pipeline,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// One test at a time: they count this process's children and descriptors.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn watched(description: &str) -> Watched {
    common::init();
    let pipeline = gst::parse::launch(description)
        .unwrap_or_else(|e| panic!("cannot parse '{description}': {e}"))
        .downcast::<gst::Pipeline>()
        .expect("a pipeline");
    let seen: Arc<Mutex<Vec<_>>> = Arc::default();
    let sink = pipeline.by_name("sink").expect("an element named sink");
    let store = seen.clone();
    sink.static_pad("sink").expect("sink pad").add_probe(
        gst::PadProbeType::BUFFER,
        move |_, info| {
            if let Some(buffer) = info.buffer() {
                let messages = gvarust_meta::frame::messages(buffer)
                    .iter()
                    .filter_map(|m| serde_json::from_str(&m.message()?).ok())
                    .collect();
                let pixels = buffer
                    .map_readable()
                    .map(|m| m.as_slice().iter().take(4).copied().collect())
                    .unwrap_or_default();
                let regions = gvarust_meta::frame::regions(buffer)
                    .iter()
                    .map(|r| {
                        (
                            r.roi_type().to_string(),
                            gvarust_meta::region::confidence(r).unwrap_or(-1.0),
                        )
                    })
                    .collect();
                let fd_backed = buffer.n_memory() == 1
                    && buffer
                        .peek_memory(0)
                        .downcast_memory_ref::<gst_allocators::FdMemory>()
                        .is_some();
                store
                    .lock()
                    .unwrap()
                    .push((messages, pixels, regions, fd_backed));
            }
            gst::PadProbeReturn::Ok
        },
    );
    Watched { pipeline, seen }
}

fn iso(function: &str, on_error: &str) -> String {
    format!(
        "gvarust name=iso isolation=process module={} function={function} on-error={on_error}",
        callback("isolated.py")
    )
}

fn stats(pipeline: &gst::Pipeline) -> gst::Structure {
    pipeline
        .by_name("iso")
        .expect("the isolated element")
        .property::<gst::Structure>("stats")
}

#[test]
fn metadata_and_pixels_cross_to_the_worker_and_back() {
    let _serial = one_at_a_time();
    let w = watched(&format!(
        "videotestsrc num-buffers=4 ! video/x-raw,format=BGRx,width=64,height=48 \
         ! gvarust module={} function=produce ! {} ! fakesink name=sink",
        callback("isolated.py"),
        iso("change", "fail")
    ));
    let run = common::run_pipeline(&w.pipeline);
    run.assert_ok();
    let seen = w.seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    for (messages, pixels, regions, fd_backed) in seen.iter() {
        // The source wrote into the memfd pool the element proposed, so the
        // worker mapped the frame itself (no copy) and wrote into it.
        assert!(fd_backed);
        let side = |name: &str| {
            messages
                .iter()
                .find(|m| m["side"] == name)
                .unwrap_or_else(|| panic!("no {name} message in {messages:?}"))
        };
        let (upstream, worker) = (side("upstream"), side("worker"));
        assert_eq!(upstream["pid"], std::process::id());
        assert_ne!(worker["pid"], std::process::id(), "ran in process");
        // Every region, tensor field (of every type) and message arrived as it was.
        assert_eq!(worker["seen"], upstream["seen"]);
        assert_eq!(upstream["seen"]["regions"].as_array().unwrap().len(), 3);
        // What the worker changed is on the pushed buffer.
        assert_eq!(
            regions,
            &vec![("obj1".to_string(), 0.875), ("obj2".to_string(), 0.75)]
        );
        assert_eq!(pixels, &vec![1, 2, 3, 4]);
    }
    let stats = stats(&w.pipeline);
    assert_eq!(stats.get::<u64>("calls").unwrap(), 4);
    assert!(stats.get::<f64>("ipc-mean-us").unwrap() > 0.0);
    assert_eq!(stats.get::<u64>("worker-restarts").unwrap(), 0);
}

#[test]
fn memfd_memory_another_buffer_shares_is_copied_not_written_in_place() {
    let _serial = one_at_a_time();
    let w = watched(&format!(
        "appsrc name=src format=time caps=video/x-raw,format=BGRx,width=64,height=48,framerate=30/1 \
         ! {} ! fakesink name=sink",
        iso("change_pixels", "fail")
    ));
    let src = w.pipeline.by_name("src").unwrap();
    w.pipeline.set_state(gst::State::Playing).unwrap();
    // Frames in memfd memory (which the worker could map) that another buffer
    // also holds: the worker must get a copy, or the other holder would see
    // what the callback writes.
    let allocator = gstgvarust::isolation::MemfdAllocator::get();
    let mut others = Vec::new();
    for i in 0..3u64 {
        let memory = allocator.alloc(64 * 48 * 4, None).unwrap();
        let mut other = gst::Buffer::new();
        other.get_mut().unwrap().append_memory(memory.clone());
        let mut frame = gst::Buffer::new();
        {
            let frame = frame.get_mut().unwrap();
            frame.append_memory(memory);
            frame.set_pts(gst::ClockTime::from_mseconds(33 * i));
        }
        let pushed = src.emit_by_name::<gst::FlowReturn>("push-buffer", &[&frame]);
        assert_eq!(pushed, gst::FlowReturn::Ok);
        others.push(other);
    }
    let _ = src.emit_by_name::<gst::FlowReturn>("end-of-stream", &[]);
    let bus = w.pipeline.bus().unwrap();
    let msg = bus
        .timed_pop_filtered(
            gst::ClockTime::from_seconds(30),
            &[gst::MessageType::Eos, gst::MessageType::Error],
        )
        .expect("EOS within 30 s");
    assert_eq!(msg.type_(), gst::MessageType::Eos, "{msg:?}");
    w.pipeline.set_state(gst::State::Null).unwrap();
    let seen = w.seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .iter()
        .all(|(_, pixels, ..)| pixels == &vec![1, 2, 3, 4]));
    for other in &others {
        let first = other.map_readable().unwrap().as_slice()[..4].to_vec();
        assert_eq!(
            first,
            vec![0, 0, 0, 0],
            "the other holder saw the callback's write"
        );
    }
}

/// The pid of the worker of each buffer that reached the sink.
fn worker_pids(w: &Watched) -> Vec<u64> {
    w.seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(messages, ..)| messages.iter().find_map(|m| m["pid"].as_u64()))
        .collect()
}

/// A worker that dies on the second frame, in each `on-error` mode.
fn dies_on_second_frame(function: &str, death: &str) {
    for on_error in ["fail", "drop", "pass"] {
        let w = watched(&format!(
            "videotestsrc num-buffers=4 ! video/x-raw,width=32,height=24 ! {} ! fakesink name=sink",
            iso(function, on_error),
        ));
        let run = common::run_pipeline(&w.pipeline);
        match on_error {
            "fail" => {
                let (error, _) = run.error();
                let text = error.message();
                assert!(
                    text.contains("Python callback segfault_on_second()")
                        || text.contains("Python callback exit_on_second()"),
                    "{text}"
                );
                assert!(text.contains(death), "{on_error}: {text}");
                assert_eq!(worker_pids(&w).len(), 1);
            }
            _ => {
                run.assert_ok();
                let warned = run.warning_messages();
                assert!(
                    warned.iter().any(|t| t.contains(death)),
                    "{on_error}: {warned:?}"
                );
                // Each fresh worker dies on its second frame: frames 2 and 4.
                let expected = if on_error == "drop" { 2 } else { 4 };
                assert_eq!(run.buffers_at_sink, expected, "{on_error}");
                let pids = worker_pids(&w);
                assert_eq!(pids.len(), 2, "{on_error}: {pids:?}");
                assert_ne!(pids[0], pids[1], "{on_error}: a new worker");
                // One worker for frames 3 and 4, one for the EOS hook.
                assert_eq!(stats(&w.pipeline).get::<u64>("worker-restarts").unwrap(), 2);
                assert_eq!(stats(&w.pipeline).get::<u64>("errors").unwrap(), 2);
            }
        }
    }
}

#[test]
fn a_segfault_in_the_worker_follows_on_error() {
    let _serial = one_at_a_time();
    dies_on_second_frame("segfault_on_second", "killed by SIGSEGV");
}

#[test]
fn os_exit_in_the_worker_follows_on_error() {
    let _serial = one_at_a_time();
    dies_on_second_frame("exit_on_second", "exited with status 3");
}

/// The pid a worker running `isolated.py`'s `name` announces (see `announce()`):
/// a FIFO is made where it writes, and read on a thread of its own, so the
/// test waits for the announcement itself (at most 30 s).
struct Announcement(std::sync::mpsc::Receiver<i32>);

impl Announcement {
    fn expect(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("gvarust-iso-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
        let (sender, pid) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Opening blocks until the worker opens the FIFO to write.
            let text = std::fs::read_to_string(&path).expect("the announcement");
            let _ = std::fs::remove_file(&path);
            let _ = sender.send(text.trim().parse().expect("a pid"));
        });
        Announcement(pid)
    }

    fn pid(&self) -> i32 {
        self.0
            .recv_timeout(Duration::from_secs(30))
            .expect("the worker announced itself within 30 s")
    }
}

#[test]
fn a_worker_killed_from_outside_follows_on_error() {
    let _serial = one_at_a_time();
    for on_error in ["fail", "drop", "pass"] {
        let announced = Announcement::expect("wait_to_be_killed");
        let w = watched(&format!(
            "videotestsrc num-buffers=3 ! video/x-raw,width=32,height=24 ! {} ! fakesink name=sink",
            iso("wait_to_be_killed", on_error),
        ));
        let killer = std::thread::spawn(move || {
            let pid = announced.pid();
            // SAFETY: kill only sends a signal, to the worker that announced its pid.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        });
        let run = common::run_pipeline(&w.pipeline);
        killer.join().unwrap();
        let pids = worker_pids(&w);
        if on_error == "fail" {
            let text = run.error().0.message().to_string();
            assert!(
                text.contains("Python callback wait_to_be_killed()")
                    && text.contains("was killed by SIGKILL"),
                "{text}"
            );
            assert_eq!(run.buffers_at_sink, 1);
            assert_eq!(pids.len(), 1, "{pids:?}");
            continue;
        }
        run.assert_ok();
        assert!(
            run.warning_messages()
                .iter()
                .any(|t| t.contains("was killed by SIGKILL")),
            "{on_error}: {:?}",
            run.warning_messages()
        );
        // The killed worker's frame was dropped, or went on unchanged (no
        // message); the third frame came from a new worker.
        let expected = if on_error == "drop" { 2 } else { 3 };
        assert_eq!(run.buffers_at_sink, expected, "{on_error}");
        assert_eq!(pids.len(), 2, "{on_error}: {pids:?}");
        assert_ne!(pids[0], pids[1]);
        assert_eq!(stats(&w.pipeline).get::<u64>("worker-restarts").unwrap(), 1);
    }
}

/// Stops a pipeline whose callback never returns; `set_state(NULL)` must come
/// back within 3 s and say the worker was killed.
fn stops_in_time(function: &str) {
    let announced = Announcement::expect(function);
    let w = watched(&format!(
        "videotestsrc ! video/x-raw,width=32,height=24 ! {} ! fakesink name=sink",
        iso(function, "fail")
    ));
    let warnings: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = warnings.clone();
    w.pipeline.bus().unwrap().set_sync_handler(move |_, msg| {
        if let gst::MessageView::Warning(m) = msg.view() {
            sink.lock().unwrap().push(m.error().message().to_string());
        }
        gst::BusSyncReply::Drop
    });
    w.pipeline.set_state(gst::State::Playing).unwrap();
    let pid = announced.pid();
    let began = Instant::now();
    w.pipeline.set_state(gst::State::Null).unwrap();
    let took = began.elapsed();
    assert!(took < Duration::from_secs(3), "stopping took {took:?}");
    let warnings = warnings.lock().unwrap();
    assert!(
        warnings
            .iter()
            .any(|t| t.contains(&format!("{function}() had not returned"))
                && t.contains("worker process was killed")),
        "{warnings:?}"
    );
    // SAFETY: signal 0 only checks whether the process exists.
    assert_ne!(
        unsafe { libc::kill(pid, 0) },
        0,
        "worker {pid} still exists"
    );
}

#[test]
fn a_callback_that_never_returns_is_stopped_within_3_s() {
    let _serial = one_at_a_time();
    stops_in_time("forever");
    stops_in_time("forever_in_sleep");
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn child_processes() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| {
            std::fs::read_to_string(e.path().join("stat"))
                .ok()
                .and_then(|stat| {
                    // pid (comm) state ppid ...: comm may hold spaces; split after ')'.
                    let after = stat.rsplit_once(')')?.1.to_string();
                    after.split_whitespace().nth(1).map(|ppid| ppid == me)
                })
                .unwrap_or(false)
        })
        .count()
}

#[test]
fn start_stop_cycles_leave_no_process_or_descriptor_behind() {
    let _serial = one_at_a_time();
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc ! video/x-raw,width=32,height=24 ! {} ! fakesink",
        iso("pid_message", "fail")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    // A first cycle loads whatever GStreamer and the tests keep open for good.
    let cycle = |pipeline: &gst::Pipeline| {
        pipeline.set_state(gst::State::Paused).unwrap();
        let (result, _, _) = pipeline.state(gst::ClockTime::from_seconds(30));
        result.expect("prerolled");
        pipeline.set_state(gst::State::Null).unwrap();
    };
    cycle(&pipeline);
    let (fds, children) = (open_descriptors(), child_processes());
    for _ in 0..1000 {
        cycle(&pipeline);
    }
    assert_eq!(child_processes(), children, "worker processes left behind");
    assert_eq!(open_descriptors(), fds, "descriptors left open");
}

/// Sends the JSON messages of every buffer reaching `sink` to the returned channel.
fn messages_at(sink: &gst::Element) -> std::sync::mpsc::Receiver<(Value, usize)> {
    let (sender, messages) = std::sync::mpsc::channel();
    let sender = Mutex::new(sender);
    sink.static_pad("sink").expect("sink pad").add_probe(
        gst::PadProbeType::BUFFER,
        move |_, info| {
            if let Some(buffer) = info.buffer() {
                for message in gvarust_meta::frame::messages(buffer) {
                    if let Some(value) = message
                        .message()
                        .and_then(|m| serde_json::from_str(&m).ok())
                    {
                        let _ = sender.lock().unwrap().send((value, buffer.size()));
                    }
                }
            }
            gst::PadProbeReturn::Ok
        },
    );
    messages
}

/// Receives messages until one satisfies `pred` (at most 20 s).
fn wait_for_message(
    messages: &std::sync::mpsc::Receiver<(Value, usize)>,
    pred: impl Fn(&Value) -> bool,
) -> (Value, usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (message, size) = messages
            .recv_timeout(left)
            .expect("the awaited message within 20 s");
        if pred(&message) {
            return (message, size);
        }
    }
}

#[test]
fn reload_works_in_the_worker_and_a_failed_reload_is_a_warning_of_the_element() {
    let _serial = one_at_a_time();
    common::init();
    let dir = std::env::temp_dir().join(format!("gvarust-iso-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let module = dir.join("live.py");
    let write = |source: &str, bump: u64| {
        std::fs::write(&module, source).unwrap();
        // The modification time must move even on coarse-grained file systems.
        std::fs::File::options()
            .write(true)
            .open(&module)
            .unwrap()
            .set_modified(std::time::SystemTime::now() + Duration::from_secs(bump))
            .unwrap();
    };
    let version = |tag: &str| {
        format!(
            "import json, os\n\
             def process_frame(frame):\n    \
                 frame.add_message(json.dumps({{\"version\": \"{tag}\", \"pid\": os.getpid()}}))\n    \
                 return True\n"
        )
    };
    write(&version("v1"), 0);
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc is-live=true ! video/x-raw,width=32,height=24,framerate=50/1 \
         ! gvarust name=iso isolation=process reload=true module={} ! fakesink name=sink",
        module.display()
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let messages = messages_at(&pipeline.by_name("sink").unwrap());
    let (warning_sender, warnings) = std::sync::mpsc::channel::<String>();
    let warning_sender = Mutex::new(warning_sender);
    pipeline.bus().unwrap().set_sync_handler(move |_, msg| {
        if let gst::MessageView::Warning(w) = msg.view() {
            let _ = warning_sender
                .lock()
                .unwrap()
                .send(w.error().message().to_string());
        }
        gst::BusSyncReply::Drop
    });
    pipeline.set_state(gst::State::Playing).unwrap();
    let (first, _) = wait_for_message(&messages, |m| m["version"] == "v1");
    assert_ne!(first["pid"], std::process::id());
    write(&version("v2"), 2);
    let (second, _) = wait_for_message(&messages, |m| m["version"] == "v2");
    // Reloaded inside the same worker, not by starting another.
    assert_eq!(second["pid"], first["pid"]);
    write("def process_frame(frame):\n    return (\n", 4);
    let warning = warnings
        .recv_timeout(Duration::from_secs(20))
        .expect("a warning for the failed reload");
    assert!(
        warning.contains("Reloading") && warning.contains("the previous code keeps running"),
        "{warning}"
    );
    // The previous code goes on.
    wait_for_message(&messages, |m| m["version"] == "v2");
    pipeline.set_state(gst::State::Null).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn frames_follow_a_caps_change_mid_stream() {
    let _serial = one_at_a_time();
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=12 ! capsfilter name=cf caps=video/x-raw,format=BGRx,width=32,height=24 \
         ! {} ! fakesink name=sink",
        iso("frame_shape", "fail")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let messages = messages_at(&pipeline.by_name("sink").unwrap());
    // After the fourth buffer, ask for a larger frame: the source renegotiates.
    let filter = pipeline.by_name("cf").unwrap();
    let seen = std::sync::atomic::AtomicUsize::new(0);
    filter
        .static_pad("sink")
        .unwrap()
        .add_probe(gst::PadProbeType::BUFFER, move |pad, _| {
            if seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 3 {
                let filter = pad.parent_element().unwrap();
                filter.set_property(
                    "caps",
                    gst::Caps::builder("video/x-raw")
                        .field("format", "BGRx")
                        .field("width", 64)
                        .field("height", 48)
                        .build(),
                );
            }
            gst::PadProbeReturn::Ok
        });
    let run = common::run_pipeline(&pipeline);
    run.assert_ok();
    let shapes: Vec<(Value, usize)> = messages.try_iter().collect();
    assert_eq!(shapes.len(), 12);
    for (shape, size) in &shapes {
        // The worker's frame had the pushed buffer's size, as its caps say.
        let (h, w) = (
            shape["shape"][0].as_u64().unwrap(),
            shape["shape"][1].as_u64().unwrap(),
        );
        assert_eq!(*size as u64, w * h * 4, "{shape}");
    }
    assert_eq!(shapes[0].0["shape"], serde_json::json!([24, 32, 4]));
    assert_eq!(shapes[11].0["shape"], serde_json::json!([48, 64, 4]));
}

#[test]
fn an_audio_frame_in_the_worker_reads_writes_and_adds_events() {
    let _serial = one_at_a_time();
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "audiotestsrc num-buffers=3 samplesperbuffer=100 volume=0.5 \
         ! audio/x-raw,format=S16LE,channels=2,rate=8000,layout=interleaved \
         ! gvarust module={m} function=audio_upstream \
         ! gvarust name=iso isolation=process module={m} function=audio on-error=fail \
         ! fakesink name=sink",
        m = callback("isolated.py")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let messages = messages_at(&pipeline.by_name("sink").unwrap());
    // Each buffer's second sample (both channels), and its events.
    let seen = common::seen_at(&pipeline, "sink", |buffer| {
        let map = buffer.map_readable().unwrap();
        let sample = |i: usize| i16::from_le_bytes([map[2 * i], map[2 * i + 1]]);
        let events: Vec<(String, Option<f64>, Option<i32>)> =
            gvarust_meta::frame::audio_events(buffer)
                .iter()
                .map(|meta| {
                    let meta: &gvarust_meta::AudioEventMeta = meta;
                    (
                        meta.event_type().unwrap_or("").to_string(),
                        meta.confidence(),
                        meta.label_id(),
                    )
                })
                .collect();
        (sample(2), sample(3), events)
    });
    common::run_pipeline(&pipeline).assert_ok();
    let said: Vec<(Value, usize)> = messages.try_iter().collect();
    assert_eq!(said.len(), 3);
    for (message, size) in &said {
        assert_ne!(message["pid"], std::process::id(), "ran in process");
        assert_eq!(message["is_audio_frame"], true);
        assert_eq!(message["shape"], serde_json::json!([100, 2]));
        assert_eq!(message["dtype"], "int16");
        assert_eq!(
            (message["rate"].as_u64(), message["channels"].as_u64()),
            (Some(8000), Some(2))
        );
        // The event added upstream arrived in the worker.
        assert_eq!(message["events"], serde_json::json!([["Dog", 0.5]]));
        assert_eq!(*size, 400);
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for (left, right, events) in seen.iter() {
        // The worker's write to the first channel reached the pushed buffer;
        // the second channel kept the wave.
        assert_eq!(*left, 7);
        assert_ne!(*right, 7);
        assert_eq!(
            events,
            &vec![
                ("Dog".to_string(), Some(0.5), None),
                ("Speech".to_string(), Some(0.75), Some(3))
            ]
        );
    }
}

#[test]
fn eight_isolated_pipelines_survive_random_state_changes() {
    const PIPELINES: usize = 8;
    const TRANSITIONS: usize = 1000;
    let _serial = one_at_a_time();
    common::init();
    let progress = Arc::new(AtomicU64::new(0));
    let watchdog = common::watchdog("isolation", progress.clone(), Duration::from_secs(240));
    let flowing = Arc::new(AtomicU64::new(0));
    let pipelines: Vec<gst::Pipeline> = (0..PIPELINES)
        .map(|_| {
            let pipeline = gst::parse::launch(&format!(
                "videotestsrc ! video/x-raw,format=BGRx,width=32,height=24 ! queue max-size-buffers=4 \
                 ! {} ! fakesink name=sink sync=false",
                iso("pid_message", "fail")
            ))
            .unwrap()
            .downcast::<gst::Pipeline>()
            .unwrap();
            common::count_buffers_at(&pipeline, "sink", &flowing);
            pipeline
        })
        .collect();
    let (fds, children) = (open_descriptors(), child_processes());
    let mut workers_seen = 0;
    common::random_state_changes(&pipelines, TRANSITIONS, &progress, |_| {
        workers_seen = workers_seen.max(child_processes());
    });
    for pipeline in &pipelines {
        pipeline.set_state(gst::State::Null).unwrap();
    }
    watchdog.done();
    for (i, pipeline) in pipelines.iter().enumerate() {
        let bus = pipeline.bus().unwrap();
        let error = bus.pop_filtered(&[gst::MessageType::Error]);
        assert!(error.is_none(), "pipeline {i}: {error:?}");
    }
    println!(
        "isolation: {TRANSITIONS} state changes over {PIPELINES} pipelines, {} buffers, \
         up to {workers_seen} workers at once",
        flowing.load(Ordering::Relaxed)
    );
    assert!(workers_seen > children + 1, "workers ran: {workers_seen}");
    assert!(flowing.load(Ordering::Relaxed) > 100, "buffers flowed");
    assert_eq!(child_processes(), children, "worker processes left behind");
    assert_eq!(open_descriptors(), fds, "descriptors left open");
}

#[test]
fn timestamps_offsets_and_flags_the_callback_sets_are_on_the_pushed_buffer() {
    let _serial = one_at_a_time();
    common::init();
    // (pts, duration, offset, marker) of each buffer at the sink.
    type Fields = (Option<u64>, Option<u64>, u64, bool);
    let mut by_isolation = Vec::new();
    for isolation in ["none", "process"] {
        let pipeline = gst::parse::launch(&format!(
            "videotestsrc num-buffers=3 ! video/x-raw,width=32,height=24,framerate=25/1 \
             ! gvarust isolation={isolation} module={} function=retime on-error=fail \
             ! fakesink name=sink",
            callback("isolated.py")
        ))
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
        let seen = common::seen_at(&pipeline, "sink", |b| -> Fields {
            (
                b.pts().map(gst::ClockTime::nseconds),
                b.duration().map(gst::ClockTime::nseconds),
                b.offset(),
                b.flags().contains(gst::BufferFlags::MARKER),
            )
        });
        let run = common::run_pipeline(&pipeline);
        let outcome = match run.errors.first() {
            Some((error, _)) => Err(error.message().to_string()),
            None => Ok(seen.lock().unwrap().clone()),
        };
        by_isolation.push(outcome);
    }
    // Where the callback could set the fields, they are on the pushed buffers.
    // Since GStreamer 1.24, PyGObject's Gst overrides refuse to set them on a
    // buffer that is not writable (frame.buffer() holds a reference of its
    // own); there both modes must refuse alike.
    let expected: Vec<Fields> = (0..3u64)
        .map(|i| {
            (
                Some(i * 40_000_000 + 1_000_000),
                Some(3_000_000),
                1000 + i,
                true,
            )
        })
        .collect();
    match &by_isolation[0] {
        Ok(seen) => assert_eq!(seen, &expected),
        Err(refusal) => {
            assert!(gst::version() >= (1, 24, 0, 0), "{refusal}");
            assert!(refusal.contains("NotWritableMiniObject"), "{refusal}");
        }
    }
    assert_eq!(by_isolation[0], by_isolation[1], "none, then process");
}

#[test]
fn planes_are_written_through_and_kept_frames_are_invalidated_in_the_worker() {
    let _serial = one_at_a_time();
    common::init();
    let pipeline = gst::parse::launch(&format!(
        "videotestsrc num-buffers=3 ! video/x-raw,format=I420,width=32,height=24 ! {} \
         ! fakesink name=sink",
        iso("planes_and_kept", "fail")
    ))
    .unwrap()
    .downcast::<gst::Pipeline>()
    .unwrap();
    let messages = messages_at(&pipeline.by_name("sink").unwrap());
    // The first byte of the U plane (after 32x24 bytes of Y) of each buffer.
    let first_u = common::seen_at(&pipeline, "sink", |buffer| {
        buffer.map_readable().unwrap()[32 * 24]
    });
    common::run_pipeline(&pipeline).assert_ok();
    let said: Vec<Value> = messages.try_iter().map(|(m, _)| m).collect();
    assert_eq!(said.len(), 3);
    for (i, message) in said.iter().enumerate() {
        assert_ne!(message["pid"], std::process::id(), "ran in process");
        assert_eq!(
            message["planes"],
            serde_json::json!([[24, 32], [12, 16], [12, 16]])
        );
        let kept = if i == 0 { "none" } else { "InvalidatedError" };
        assert_eq!(message["kept"], kept, "call {i}");
    }
    assert_eq!(*first_u.lock().unwrap(), vec![7, 7, 7]);
}
