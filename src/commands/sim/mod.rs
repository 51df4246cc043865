//! Simulations of generated designs against the reference: C simulation with g++ (`csim`)
//! and Verilator co-simulation (`cosim`).

pub mod cosim;
pub mod csim;
pub mod cycles;
pub mod iterations;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Output kept of each stream of a simulation tool (a testbench prints a line per process,
/// which the C simulation reads back in full).
const TOOL_OUTPUT_CAP: usize = 64 << 20;

/// Runs `cmd` through [`crate::child::run_capped`] (its own process group, its whole tree
/// killed when it ends or when half-gen is interrupted, so Ctrl-C or a SIGTERM leaves no
/// compiler, simulator or testbench running), mapping a missing program to a clear message
/// naming the Debian package.
pub fn run_tool(cmd: &mut Command, tool: &str, package: &str) -> Result<Output> {
    let error = |message: String| Error::Tool {
        tool: tool.into(),
        message,
    };
    let finished = crate::child::run_capped(cmd, None, TOOL_OUTPUT_CAP).map_err(|e| {
        error(if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "not found; install the Debian package `{package}` (scripts/install-tools.sh does)"
            )
        } else {
            e.to_string()
        })
    })?;
    let status = finished
        .status
        .ok_or_else(|| error("stopped without an exit status".into()))?;
    Ok(Output {
        status,
        stdout: finished.stdout.bytes,
        stderr: finished.stderr.bytes,
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

/// The number of field `key=` of a testbench's result line, as `T` (`f64`, `i64`, ...).
pub fn number<T: std::str::FromStr>(line: &str, key: &str) -> Option<T> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
}

/// The text of the quoted field `key="..."` of a testbench's result line.
pub fn quoted(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!("{key}=\""))? + key.len() + 2;
    let end = line[start..].find('"')? + start;
    Some(line[start..end].to_string())
}

/// What a build's estimate says a simulation should measure.
pub struct Modelled {
    /// The model name (the Verilog top module is `<name>_top`).
    pub name: String,
    /// Cycles per frame: the cycle-level schedule's when there is one.
    pub cycles_per_frame: f64,
    /// Frame-0 latency, cycles.
    pub latency: u64,
}

/// Reads the figures of `report/estimate.json` in the build directory `dir`.
pub fn modelled(dir: &Path) -> Result<Modelled> {
    let est = estimate(dir)?;
    Ok(Modelled {
        name: est["model"].as_str().unwrap_or("top").to_string(),
        // The scheduled figure (the cycle-level schedule) when there is one.
        cycles_per_frame: est["schedule"]["cycles_per_frame"]
            .as_f64()
            .or(est["cycles_per_frame"].as_f64())
            .unwrap_or(0.0),
        latency: est["latency_cycles"].as_u64().unwrap_or(0),
    })
}

/// The build's report/estimate.json (`dir`: the build directory).
pub fn estimate(dir: &Path) -> Result<serde_json::Value> {
    std::fs::read_to_string(dir.join("report/estimate.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| {
            Error::InvalidBuildDir(format!("{}: no report/estimate.json", dir.display()))
        })
}

/// The last `n` lines of a tool's output.
pub fn tail(bytes: &[u8], n: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
