//! Simulations of generated designs against the reference: C simulation with g++ (`csim`)
//! and Verilator co-simulation (`cosim`).

pub mod cosim;
pub mod csim;
pub mod cycles;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `cmd`, mapping a missing program to a clear message naming the Debian package.
pub fn run_tool(cmd: &mut Command, tool: &str, package: &str) -> Result<Output> {
    cmd.output().map_err(|e| Error::Tool {
        tool: tool.into(),
        message: if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "not found; install the Debian package `{package}` (scripts/install-tools.sh does)"
            )
        } else {
            e.to_string()
        },
    })
}

/// The project directory of a build: `DIR/hls` when given the build directory, else `DIR`.
pub fn hls_dir(dir: &Path) -> Result<PathBuf> {
    for d in [dir.join("hls"), dir.to_path_buf()] {
        if d.join("tb").join("tb.cpp").is_file() {
            return Ok(d);
        }
    }
    Err(Error::InvalidBuildDir(format!(
        "{} is not a half-gen build directory (no hls/tb/tb.cpp); run `half-gen build` first",
        dir.display()
    )))
}

/// `--frames` of a simulation: at least 1 when given, and within what a testbench's `int`
/// counts.
pub fn check_frames(frames: Option<usize>) -> Result<()> {
    match frames {
        Some(n) if n == 0 || n > i32::MAX as usize => Err(Error::InvalidOption(format!(
            "--frames must be in 1..={}, got {n}",
            i32::MAX
        ))),
        _ => Ok(()),
    }
}

/// The last `n` lines of a tool's output.
pub fn tail(bytes: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
