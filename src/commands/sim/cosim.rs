//! `half-gen cosim`: builds a design's Verilog with Verilator, streams the reference frames
//! through it (optionally with random stalls on both AXI-Stream ports), checks every output
//! bit-exact, and compares the measured cycles per frame and latency with the cycle model.

use super::{Modelled, number, run_tool, tail};
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

/// What `cosim` measured.
#[derive(Debug, Clone, Serialize)]
pub struct CosimReport {
    /// Frames streamed.
    pub frames: u64,
    /// Output elements that differ from the reference.
    pub mismatches: u64,
    /// True when every element matched and the protocol (TLAST) held.
    pub passed: bool,
    /// Steady-state cycles between consecutive frames' last output beats.
    pub measured_cycles_per_frame: f64,
    /// The cycle model's cycles per frame.
    pub model_cycles_per_frame: f64,
    /// |measured - model| / measured, in percent.
    pub cycles_error_pct: f64,
    /// Frame 0: first input beat to last output beat, inclusive.
    pub measured_latency_cycles: u64,
    /// The model's latency.
    pub model_latency_cycles: u64,
    /// |measured - model| / measured, in percent.
    pub latency_error_pct: f64,
    /// Seconds of simulation (excluding the Verilator build).
    pub sim_s: f64,
    /// Seconds spent building with Verilator.
    pub build_s: f64,
    /// Simulated cycles per second.
    pub cycles_per_s: f64,
    /// Probability of a stall per port per cycle.
    pub stall: f64,
    /// True when the design stopped moving (the watchdog fired).
    pub deadlock: bool,
    /// On a deadlock: the channel (`producer->consumer`) whose handshake was the last to fire.
    pub last_stage: Option<String>,
}

/// Reads `report/estimate.json` of the build in `dir`, after checking it has an `rtl/`.
fn modelled_rtl(dir: &Path) -> Result<Modelled> {
    if !dir.join("rtl").join("tb").join("tb.cpp").is_file() {
        return Err(Error::InvalidBuildDir(format!(
            "{} has no rtl/ (built by an older half-gen, or a layer kind the Verilog backend does not cover yet)",
            dir.display()
        )));
    }
    super::modelled(dir)
}

/// Builds the testbench `rtl/obj_dir/Vtb` from every `.v` of `rtl` with Verilator; the
/// seconds it took.
fn verilate(rtl: &Path, name: &str) -> Result<f64> {
    let mut sources: Vec<String> = std::fs::read_dir(rtl)
        .map_err(|e| Error::Io {
            path: rtl.to_path_buf(),
            source: e,
        })?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".v"))
        .collect();
    sources.sort();
    let t0 = Instant::now();
    let out = run_tool(
        Command::new("verilator")
            .current_dir(rtl)
            .args([
                "--cc",
                "--exe",
                "--build",
                "-O2",
                "-j",
                "2",
                "-Wno-fatal",
                "--x-assign",
                "0",
                "--x-initial",
                "0",
            ])
            .args([
                "--top-module",
                &format!("{name}_top"),
                "-Mdir",
                "obj_dir",
                "-o",
                "Vtb",
            ])
            .args(&sources)
            .arg("tb/tb.cpp"),
        "verilator",
        "verilator",
    )?;
    let build_s = t0.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(Error::Tool {
            tool: "verilator".into(),
            message: format!(
                "build failed:\n{}\n{}",
                tail(&out.stdout, 10),
                tail(&out.stderr, 30)
            ),
        });
    }
    Ok(build_s)
}

/// The testbench's `HALF_COSIM ...` result line; an error when it printed none or reported
/// an error.
fn result_line(run: &Output) -> Result<String> {
    let stdout = String::from_utf8_lossy(&run.stdout);
    let Some(line) = stdout.lines().find(|l| l.starts_with("HALF_COSIM ")) else {
        return Err(Error::Tool {
            tool: "Vtb".into(),
            message: format!(
                "the testbench stopped without a result:\n{}{}",
                tail(&run.stdout, 10),
                tail(&run.stderr, 10)
            ),
        });
    };
    if let Some(msg) = line.split("error=").nth(1) {
        return Err(Error::Tool {
            tool: "cosim".into(),
            message: msg.to_string(),
        });
    }
    Ok(line.to_string())
}

/// Runs the co-simulation of the build in `dir`.
pub fn cosim(dir: &Path, frames: Option<usize>, stall: f64) -> Result<CosimReport> {
    super::check_frames(frames)?;
    let dir = &crate::fsutil::absolute(dir)?;
    let rtl = dir.join("rtl");
    let model = modelled_rtl(dir)?;
    let build_s = verilate(&rtl, &model.name)?;
    let watchdog = (model.cycles_per_frame as u64)
        .saturating_mul(8)
        .max(10_000)
        + model.latency * 4;
    let n = frames.map_or("-1".to_string(), |f| f.to_string());
    let t1 = Instant::now();
    let run = run_tool(
        Command::new(rtl.join("obj_dir").join("Vtb"))
            .current_dir(&rtl)
            .args([
                n.as_str(),
                &stall.to_string(),
                "12345",
                &watchdog.to_string(),
            ]),
        "Vtb",
        "verilator",
    )?;
    let sim_s = t1.elapsed().as_secs_f64();
    let line = result_line(&run)?;
    Ok(report(
        &line,
        run.status.success(),
        &model,
        stall,
        build_s,
        sim_s,
    ))
}

/// The report of a result line (`key=value` fields) against the model's figures.
fn report(
    line: &str,
    exited_ok: bool,
    model: &Modelled,
    stall: f64,
    build_s: f64,
    sim_s: f64,
) -> CosimReport {
    let deadlock = line.contains("deadlock=1");
    let last_stage = deadlock.then(|| {
        line.split("last_stream=")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or("input")
            .to_string()
    });
    let get = |k| number(line, k).unwrap_or(0.0);
    let measured = get("cycles_per_frame");
    let latency = get("latency") as u64;
    let pct = |m: f64, x: f64| {
        if m > 0.0 {
            (m - x).abs() / m * 100.0
        } else {
            0.0
        }
    };
    let sim_cycles = get("sim_cycles");
    CosimReport {
        frames: get("frames") as u64,
        mismatches: get("mismatches") as u64,
        passed: !deadlock && exited_ok && get("mismatches") == 0.0 && get("protocol_errors") == 0.0,
        measured_cycles_per_frame: measured,
        model_cycles_per_frame: model.cycles_per_frame,
        cycles_error_pct: pct(measured, model.cycles_per_frame),
        measured_latency_cycles: latency,
        model_latency_cycles: model.latency,
        latency_error_pct: pct(latency as f64, model.latency as f64),
        sim_s,
        build_s,
        cycles_per_s: sim_cycles / sim_s.max(1e-9),
        stall,
        deadlock,
        last_stage,
    }
}
