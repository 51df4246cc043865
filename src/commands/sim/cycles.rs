//! `half-gen csim --cycles`: the cycle simulation of the generated HLS C++. The project's own
//! code is compiled with `-DHALF_CYCLES` against hls/include/host/half_cycles.h, where every
//! dataflow process is a coroutine, every pipelined-loop iteration one cycle and every stream
//! a FIFO bounded at the depth the project gives it (docs/hls.md, "Cycle simulation"). It
//! reports cycles per frame and frame-0 latency against the estimate, the largest occupancy
//! of every stream, and on a deadlock which process waits on which stream.

use super::csim::{compile, result_line, run_testbench, top_source};
use super::{hls_dir, number, quoted};
use crate::error::Result;
use serde::Serialize;
use std::path::Path;

/// A process that could not move when the design deadlocked.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Blocked {
    /// The region function and the process call (`layer_x: half::swg(in, win)`).
    pub process: String,
    /// `read` (the stream is empty) or `write` (it is full).
    pub op: String,
    /// The stream's label (`producer->consumer`).
    pub stream: String,
    /// Words in the stream.
    pub occupancy: u64,
    /// Its depth.
    pub depth: u64,
}

/// How full a stream got.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StreamUse {
    /// The stream's label.
    pub stream: String,
    /// Its depth in the project.
    pub depth: u64,
    /// The most words it held at once.
    pub max_occupancy: u64,
}

/// What the cycle simulation measured.
#[derive(Debug, Clone, Serialize)]
pub struct CyclesReport {
    /// Frames simulated, back to back.
    pub frames: u64,
    /// Bit-exact, protocol kept and no deadlock.
    pub passed: bool,
    /// Output elements that differ from the reference.
    pub mismatches: u64,
    /// Stream protocol errors.
    pub protocol_errors: u64,
    /// The design stopped with processes waiting on each other.
    pub deadlock: bool,
    /// The processes that waited, on a deadlock.
    pub blocked: Vec<Blocked>,
    /// Measured steady-state cycles per frame (0 with fewer than 2 frames).
    pub cycles_per_frame: f64,
    /// Measured frame-0 latency: first input beat to last output beat, cycles.
    pub latency_cycles: u64,
    /// The estimate's cycles per frame.
    pub model_cycles_per_frame: f64,
    /// The estimate's latency.
    pub model_latency_cycles: u64,
    /// `|measured - model| / model`, percent.
    pub cycles_error_pct: f64,
    /// Same for the latency.
    pub latency_error_pct: f64,
    /// Every stream's depth and largest occupancy.
    pub streams: Vec<StreamUse>,
    /// Cycles simulated.
    pub sim_cycles: u64,
    /// Seconds spent compiling.
    pub compile_s: f64,
    /// Seconds spent simulating.
    pub run_s: f64,
}

/// `|a - b| / b` in percent (0 when `b` is 0).
fn pct(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        100.0 * (a - b).abs() / b
    }
}

/// Compiles and runs the cycle simulation of the build in `dir` (`frames`: at most this many).
pub fn cycles(dir: &Path, frames: Option<usize>) -> Result<CyclesReport> {
    super::check_frames(frames)?;
    let hls = hls_dir(&crate::fsutil::absolute(dir)?)?;
    let model = super::modelled(hls.parent().unwrap_or(&hls))?;
    let (model_cycles, model_latency) = (model.cycles_per_frame, model.latency);
    let top = top_source(&hls)?;
    // The host shim only: the simulation's streams are its own.
    let ap = hls.join("include").join("host");
    let exe = hls.join("build").join("csim-cycles");
    // _FORTIFY_SOURCE's longjmp check rejects the coroutines' jumps between stacks.
    let flags = ["-DHALF_CYCLES", "-U_FORTIFY_SOURCE", "-D_FORTIFY_SOURCE=0"];
    let compile_s = compile(&hls, &top, &ap, &exe, &flags)?;
    let (run, run_s) = run_testbench(&hls, &exe, frames)?;
    let stdout = String::from_utf8_lossy(&run.stdout);
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("HALF_CYCLES "))
        .collect();
    let line = result_line(&run)?;
    let deadlock = number::<i64>(&line, "deadlock") == Some(1);
    let blocked = lines
        .iter()
        .filter(|l| l.contains(" blocked "))
        .map(|l| Blocked {
            process: quoted(l, "process").unwrap_or_default(),
            op: l
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix("op="))
                .unwrap_or("")
                .to_string(),
            stream: quoted(l, "stream").unwrap_or_default(),
            occupancy: number(l, "occupancy").unwrap_or(0.0) as u64,
            depth: number(l, "depth").unwrap_or(0.0) as u64,
        })
        .collect();
    let streams = lines
        .iter()
        .filter(|l| l.contains("max_occupancy="))
        .map(|l| StreamUse {
            stream: quoted(l, "stream").unwrap_or_default(),
            depth: number(l, "depth").unwrap_or(0.0) as u64,
            max_occupancy: number(l, "max_occupancy").unwrap_or(0.0) as u64,
        })
        .collect();
    let status = lines.iter().find(|l| l.contains("status=ok"));
    let get = |k: &str| status.and_then(|l| number(l, k)).unwrap_or(0.0);
    let (cycles_per_frame, latency) = (get("cycles_per_frame"), get("latency") as u64);
    let count = |k| number::<u64>(&line, k).unwrap_or(0);
    let (mismatches, protocol_errors) = (count("mismatches"), count("protocol_errors"));
    Ok(CyclesReport {
        frames: count("frames"),
        passed: !deadlock && run.status.success() && mismatches == 0 && protocol_errors == 0,
        mismatches,
        protocol_errors,
        deadlock,
        blocked,
        cycles_per_frame,
        latency_cycles: latency,
        model_cycles_per_frame: model_cycles,
        model_latency_cycles: model_latency,
        cycles_error_pct: pct(cycles_per_frame, model_cycles),
        latency_error_pct: pct(latency as f64, model_latency as f64),
        streams,
        sim_cycles: get("sim_cycles") as u64,
        compile_s,
        run_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_parse() {
        let l = "HALF_CYCLES blocked process=\"layer_x: half::swg(in, win)\" op=write stream=\"x.win\" occupancy=2 depth=2";
        assert_eq!(
            quoted(l, "process").as_deref(),
            Some("layer_x: half::swg(in, win)")
        );
        assert_eq!(quoted(l, "stream").as_deref(), Some("x.win"));
        assert_eq!(number(l, "depth"), Some(2.0));
        assert_eq!(pct(101.0, 100.0), 1.0);
    }
}
