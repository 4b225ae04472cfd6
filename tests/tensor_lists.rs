//! Lists stored in tensor fields inside a real callback: items GStreamer cannot
//! hold in one array raise `TypeError` naming the field, with no GLib critical
//! and nothing stored cut short (compat.md section 4.1).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{callback, module_key, records, run};
use gst::glib;
use serde_json::json;

#[test]
fn mixed_lists_raise_type_error_without_criticals() {
    common::init();
    let criticals = Arc::new(AtomicUsize::new(0));
    let count = |criticals: Arc<AtomicUsize>| {
        move |domain: Option<&str>, _level: glib::LogLevel, message: &str| {
            eprintln!("GLib critical in {domain:?}: {message}");
            criticals.fetch_add(1, Ordering::SeqCst);
        }
    };
    let levels = glib::LogLevels::LEVEL_CRITICAL | glib::LogLevels::LEVEL_WARNING;
    let gst_handler = glib::log_set_handler(
        Some("GStreamer"),
        levels,
        false,
        false,
        count(criticals.clone()),
    );
    let glib_handler = glib::log_set_handler(
        Some("GLib-GObject"),
        levels,
        false,
        false,
        count(criticals.clone()),
    );
    let r = run(&format!(
        "videotestsrc num-buffers=1 ! video/x-raw,format=BGRx,width=64,height=48 ! \
         gvarust name=lists module={} ! fakesink name=sink",
        callback("tensor_lists.py")
    ));
    glib::log_remove_handler(Some("GStreamer"), gst_handler);
    glib::log_remove_handler(Some("GLib-GObject"), glib_handler);
    r.assert_ok();
    assert_eq!(criticals.load(Ordering::SeqCst), 0, "no GLib critical");

    let seen = records(&module_key("lists", "tensor_lists"));
    let item = &seen[0];
    let refused = &item["refused"];
    for (field, names) in [
        ("mixed", "'mixed'"),
        ("b", "'b'"),
        ("n", "'n.a.b'"),
        ("s", "'s'"),
        ("lists", "'lists'"),
        ("dicts", "'dicts'"),
    ] {
        let text = refused[field].as_str().unwrap_or_default();
        assert!(
            text.contains(&format!("tensor field {names}")),
            "{field}: {text}"
        );
    }
    let mixed = refused["mixed"].as_str().unwrap();
    assert!(mixed.contains("int and str"), "{mixed}");
    let b = refused["b"].as_str().unwrap();
    assert!(b.contains("bool and int"), "{b}");
    let lists = refused["lists"].as_str().unwrap();
    assert!(lists.contains("list of int and list of str"), "{lists}");
    assert_eq!(
        item["mixed_kept"], "before",
        "a refused value leaves the field as it was"
    );
    let fields = item["fields"].as_array().unwrap();
    for refused_field in ["b", "n", "s", "lists", "dicts"] {
        assert!(
            !fields.contains(&json!(refused_field)),
            "{refused_field} not stored: {fields:?}"
        );
    }
    let stored = &item["stored"];
    assert_eq!(stored["numbers"], json!([["float", 1.0], ["float", 2.5]]));
    assert_eq!(
        stored["nested_numbers"],
        json!([[["float", 1.0], ["float", 2.0]], [["float", 3.5]]])
    );
    assert_eq!(
        stored["wide"],
        json!([[["int", 1]], [["int", 1_099_511_627_776_i64]]])
    );
    assert_eq!(stored["bools"], json!([["bool", true], ["bool", false]]));
    assert_eq!(stored["strs"], json!([["str", "a"], ["str", "b"]]));
    assert_eq!(
        stored["dicts_ok"],
        json!([{"a": ["int", 1]}, {"b": ["str", "x"]}])
    );
    assert_eq!(stored["empty_inner"], json!([[], [["str", "x"]]]));
    assert_eq!(stored["tuple"], json!([["float", 1.0], ["float", 2.0]]));
}
