//! Helpers shared by the `half-gen search` tests.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory, unique per process and call, removed when dropped.
pub struct Tmp(PathBuf);

impl std::ops::Deref for Tmp {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A fresh directory.
pub fn tmp() -> Tmp {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("half-gen-search-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    Tmp(d)
}

/// What one run of the binary gave.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary in `cwd`.
pub fn half_gen(args: &[&str], cwd: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let r = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!r.stderr.contains("panicked"), "panic:\n{}", r.stderr);
    r
}

/// A space with an 8x8x3 input; `layers` are the lines after `layers:` (line 4 on).
pub fn space(dir: &Path, layers: &str) -> PathBuf {
    let p = dir.join("space.yaml");
    fs::write(
        &p,
        format!("name: t\ninput: {{shape: [8, 8, 3], bits: 8}}\nlayers:\n{layers}"),
    )
    .unwrap();
    p
}

/// 3 x 3 x 2 x 2 = 36 architectures, all valid.
pub const SMALL: &str = "  - {name: c0, op: conv, channels: {choice: [4, 8, 16]}, kernel: {choice: [1, 3, 5]}, padding: same, weight_bits: {choice: [4, 8]}, activation: relu, output: {bits: 4}}
  - {name: p0, op: maxpool, kernel: 2, optional: true}
  - {name: gap, op: avgpool, global: true, output: {bits: 8}}
  - {name: fc, op: dense, units: 4, weight_bits: 8, output: {bits: 16, signed: true}}
";

/// The hashes of history.jsonl, in order.
pub fn history_hashes(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("history.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["hash"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// The records of results.jsonl.
pub fn records(dir: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(dir.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
