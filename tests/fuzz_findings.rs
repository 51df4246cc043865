//! Regression tests for the inputs the fuzz harness (`fuzz/`, `bench/fuzz.sh`) found crashing,
//! aborting or hanging a loader. Each file under `fuzz/findings/<target>/` goes through the same
//! entry point as under AFL++ (`fuzz/src/targets.rs`, included below) and must come back with
//! Ok or an error, without a panic, within a time limit. Which message the error carries is not
//! checked. `fuzz/findings/README.md` describes every finding.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Longest a loader may take on one finding (AFL++ flagged anything over 1 s per input).
const LIMIT: Duration = Duration::from_secs(10);

/// Every finding this file tests, as `(target, file name)`.
const FINDINGS: &[(&str, &str)] = &[
    ("model", "dwconv_kernel_area_overflow.yaml"),
    ("weights", "npy_header_nested_braces.npz"),
    ("weights", "npy_shape_product_overflow.npz"),
];

fn findings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/findings")
}

/// Runs `data` through target `target`, files of the weights target in `scratch`.
fn run(target: &str, data: &[u8], scratch: &Path) -> targets::Outcome {
    match target {
        "model" => targets::model(data),
        "space" => targets::space(data),
        "folding" => targets::folding(data),
        "board" => targets::board(data),
        "weights" => targets::weights(data, scratch),
        other => panic!("unknown fuzz target `{other}`"),
    }
}

/// Loads finding `name` of `target` on a thread and fails on a panic or when no answer comes
/// within [`LIMIT`] (the thread is then left behind; the test process ends it).
fn check(target: &'static str, name: &str) {
    let data = std::fs::read(findings_dir().join(target).join(name)).expect("the finding file");
    let scratch = std::env::temp_dir().join(format!(
        "half-gen-fuzz-findings-{}-{target}-{name}",
        std::process::id()
    ));
    let (tx, rx) = mpsc::channel();
    let dir = scratch.clone();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| run(target, &data, &dir));
        let _ = tx.send(r);
    });
    let answer = rx.recv_timeout(LIMIT);
    let _ = std::fs::remove_dir_all(&scratch);
    match answer {
        Ok(Ok(_ok_or_error)) => {}
        Ok(Err(_)) => panic!("{target}/{name}: the loader panicked (message above)"),
        Err(_) => panic!("{target}/{name}: no answer within {LIMIT:?}"),
    }
}

#[test]
fn every_finding_file_is_tested() {
    let mut on_disk = Vec::new();
    for target in ["model", "space", "folding", "board", "weights"] {
        let Ok(entries) = std::fs::read_dir(findings_dir().join(target)) else {
            continue;
        };
        for e in entries {
            let name = e.expect("a directory entry").file_name();
            on_disk.push((target.to_string(), name.to_string_lossy().into_owned()));
        }
    }
    on_disk.sort();
    let mut listed: Vec<(String, String)> = FINDINGS
        .iter()
        .map(|(t, n)| (t.to_string(), n.to_string()))
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed, "fuzz/findings and FINDINGS differ");
}

#[test]
fn model_dwconv_kernel_area_overflow() {
    check("model", "dwconv_kernel_area_overflow.yaml");
}

#[test]
fn weights_npy_header_nested_braces() {
    check("weights", "npy_header_nested_braces.npz");
}

#[test]
fn weights_npy_shape_product_overflow() {
    check("weights", "npy_shape_product_overflow.npz");
}
