//! The `read_metadata` example: the metadata a Python callback writes, read
//! through the gvarust-meta Rust API. The example's code runs in-process here;
//! when cargo has built the example binary (a plain `cargo test` builds all
//! examples), that binary is run too and its output checked.

#[path = "../examples/read_metadata.rs"]
mod read_metadata;

use std::path::PathBuf;
use std::process::Command;

fn check(lines: &[String]) {
    let text = lines.join("\n");
    let frames: Vec<&String> = lines.iter().filter(|l| l.starts_with("frame ")).collect();
    assert_eq!(frames.len(), 5, "{text}");
    assert!(
        frames[0].starts_with("frame 0 pts=0:00:00.000000000"),
        "{text}"
    );
    for n in 0..5u32 {
        let x = 40 + 10 * n;
        assert!(
            text.contains(&format!(
                "label=ball rect=({x}, 30, 64, 48) confidence=0.90 object_id={}",
                100 + n
            )),
            "frame {n}: {text}"
        );
        let values: Vec<String> = (0..4).map(|i| format!("{:?}", (i + n) as f32)).collect();
        assert!(
            text.contains(&format!(
                "frame tensor embedding layer=features precision=FP32 dims=[4] data=[{}]",
                values.join(", ")
            )),
            "frame {n}: {text}"
        );
        assert!(
            text.contains(&format!("message {{\"frame\": {n}, \"objects\": 1}}")),
            "{text}"
        );
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.trim() == "tensor color label=red label_id=2 confidence=0.75")
            .count(),
        5,
        "{text}"
    );
    assert!(
        text.contains("detection extra_params={\"source\": \"example\"}"),
        "{text}"
    );
}

#[test]
fn example_reads_regions_tensors_and_messages() {
    let lines = read_metadata::run().expect("the example pipeline runs");
    check(&lines);
}

/// `target/<profile>/examples/read_metadata`, next to the `deps` directory of this test.
fn example_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let binary = profile_dir.join("examples").join("read_metadata");
    binary.exists().then_some(binary)
}

#[test]
fn example_binary_prints_the_metadata() {
    let Some(binary) = example_binary() else {
        eprintln!("read_metadata example binary not built (run a plain `cargo test`); skipped");
        return;
    };
    let output = Command::new(&binary)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the example runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    check(&lines);
}
