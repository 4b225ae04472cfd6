//! `VideoFrame.to_dict()` / `to_json()`: DL Streamer's gvametaconvert JSON layout.

mod common;

use common::{callback, module_key, records, run};
use serde_json::json;

#[test]
fn frame_metadata_exports_in_the_gvametaconvert_layout() {
    let r = run(&format!(
        "videotestsrc num-buffers=1 ! video/x-raw,format=BGRx,width=64,height=48 ! gvarust name=export module={} ! fakesink",
        callback("export_json.py")
    ));
    r.assert_ok();
    let seen = records(&module_key("export", "export_json"));
    let plain = &seen[0]["plain"];
    assert_eq!(plain["resolution"], json!({"width": 64, "height": 48}));
    assert_eq!(plain["timestamp"], 0);
    let face = &plain["objects"][0];
    assert_eq!(
        (
            face["x"].clone(),
            face["y"].clone(),
            face["w"].clone(),
            face["h"].clone()
        ),
        (json!(16), json!(12), json!(32), json!(24))
    );
    assert_eq!(face["id"], 7);
    assert_eq!(face["roi_type"], "face");
    // A fresh sequence number, or (GstAnalytics builds) the id of the region's
    // object-detection record, which counts from 0 on each buffer.
    assert!(face["region_id"].as_i64().unwrap() >= 0);
    assert_eq!(
        face["detection"],
        json!({
            "bounding_box": {"x_min": 0.25, "x_max": 0.75, "y_min": 0.25, "y_max": 0.75},
            "confidence": 0.8,
            "label_id": 1,
            "label": "face"
        })
    );
    assert_eq!(face["extra_params"], json!({"source": "cam1"}));
    assert_eq!(
        face["age"],
        json!({"label": "adult", "model": {"name": "age-gender"}, "confidence": 0.6, "label_id": 2})
    );
    assert!(face.get("tensors").is_none(), "no tensor data unless asked");
    // Frame-level classification: a whole-frame object.
    assert_eq!(
        plain["objects"][1],
        json!({"x": 0, "y": 0, "w": 64, "h": 48, "scene": {"label": "indoor"}})
    );
    // Raw frame tensors (without a `type` field), without data by default.
    assert_eq!(
        plain["tensors"],
        json!([{"precision": "U8", "dims": [4], "name": "ssd", "layer_name": "detection_out"}])
    );

    let with_data = &seen[0]["with_data"];
    assert_eq!(with_data["tensors"][0]["data"], json!([1, 2, 3, 4]));
    let roi_tensors = with_data["objects"][0]["tensors"].as_array().unwrap();
    assert_eq!(roi_tensors.len(), 2, "detection and age");
    assert_eq!(roi_tensors[1]["name"], "age");
}
