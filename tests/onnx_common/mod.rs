//! What the ONNX import tests share: the Python environment of scripts/onnx-env.sh
//! (HALF_ONNX_PYTHON when set; a test fails when neither works), the networks
//! tests/onnx/networks.py writes, and scratch directories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Runs the binary in `cwd` (relative paths, as a user types them).
pub fn half_gen(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .current_dir(cwd)
        .args(args)
        .env_remove("XILINX_HLS")
        .output()
        .unwrap()
}

/// The standard output of a successful run, else why it failed.
pub fn ok(o: &Output, what: &str) -> Result<String, String> {
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    if o.status.success() {
        Ok(text)
    } else {
        Err(format!(
            "{what}: {text}{}",
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

/// What [`build_and_simulate`] runs after csim.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Sims {
    /// csim only.
    Csim,
    /// csim and cosim.
    Cosim,
    /// csim, the HLS cycle simulation and cosim.
    All,
}

/// Builds `model` into `build` (in `dir`) and runs csim (bit-exact) and, as `sims` says, the
/// HLS cycle simulation and cosim (bit-exact, both on the estimate's cycles per frame and
/// latency); returns their cycles.
pub fn build_and_simulate(
    dir: &Path,
    model: &str,
    build: &str,
    sims: Sims,
) -> Result<String, String> {
    ok(
        &half_gen(dir, &["build", model, "-o", build, "--frames", "3"]),
        "build",
    )?;
    let mut cycles = Vec::new();
    for (what, args) in [
        ("csim", vec!["csim", build, "--json"]),
        ("csim --cycles", vec!["csim", build, "--cycles", "--json"]),
        ("cosim", vec!["cosim", build, "--json"]),
    ] {
        let skip = match what {
            "csim --cycles" => sims != Sims::All,
            "cosim" => sims == Sims::Csim,
            _ => false,
        };
        if skip {
            continue;
        }
        let text = ok(&half_gen(dir, &args), what)?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{what}: {e}: {text}"))?;
        if v["passed"] != true || v["mismatches"] != 0 {
            return Err(format!("{model}: {what} did not pass: {text}"));
        }
        if what != "csim" {
            if v["cycles_error_pct"]
                .as_f64()
                .is_none_or(|e| e.abs() > 1e-9)
            {
                return Err(format!("{model}: {what} off the estimate's cycles: {text}"));
            }
            cycles.push(format!("{what} {} cycles/frame", v["cycles_per_frame"]));
        }
    }
    Ok(format!("built; csim bit-exact; {}", cycles.join(", ")))
}
