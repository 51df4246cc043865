//! What the ONNX import tests share: the Python environment of scripts/onnx-env.sh
//! (HALF_ONNX_PYTHON when set; a test fails when neither works), the networks
//! tests/onnx/networks.py writes, and scratch directories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The python of the ONNX environment.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("HALF_ONNX_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let out = Command::new(root().join("scripts/onnx-env.sh"))
        .output()
        .expect("run scripts/onnx-env.sh");
    assert!(
        out.status.success(),
        "scripts/onnx-env.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    PathBuf::from(
        stdout
            .lines()
            .last()
            .expect("onnx-env.sh prints the python")
            .trim(),
    )
}

/// A scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh one named after `tag` and the process.
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("half-gen-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the networks of tests/onnx/networks.py into `dir`.
pub fn networks(python: &Path, dir: &Path) {
    let out = Command::new(python)
        .arg(root().join("tests/onnx/networks.py"))
        .arg(dir)
        .output()
        .expect("run tests/onnx/networks.py");
    assert!(
        out.status.success(),
        "networks.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
