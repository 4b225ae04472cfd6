//! `isolation=process`: the user's Python runs in a worker process of its own.
//!
//! Each gvarust element with `isolation=process` starts one worker at start: the
//! `gvarust-worker` executable installed next to the plugin, which embeds the same
//! Python the plugin does (same bootstrap, same virtual environment handling) and
//! runs the element's [`Session`](crate::pyhost::Session) there. Every worker has
//! its own GIL, so the callbacks of several elements use several cores, and a
//! crash in user code or a C extension ends the worker, not the pipeline.
//!
//! - `channel`: the private connection (a socketpair inherited by the worker)
//!   and the messages that cross it.
//! - `arena`: the shared memory (a memfd) the pixels of each frame travel in.
//! - `host`: the element's side: starting, calling, restarting and stopping
//!   its worker.
//! - `worker`: the worker's side, the `gvarust-worker` program's whole life.

mod arena;
mod channel;
mod host;
mod memfd;
mod worker;

pub use host::WorkerHost;
pub use memfd::MemfdAllocator;
pub use worker::main as worker_main;

/// The worker executable's file name, looked for next to the plugin.
pub const WORKER_NAME: &str = "gvarust-worker";
