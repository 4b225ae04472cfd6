//! The worker process of `gvarust isolation=process`: started by the element
//! with its channel and shared memory inherited, never by hand.

fn main() {
    std::process::exit(gstgvarust::isolation::worker_main());
}
