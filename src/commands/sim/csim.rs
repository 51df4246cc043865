//! `half-gen csim`: compiles a build's testbench with g++ and runs it against the reference
//! vectors (bit-exact comparison of every output element).

use super::{hls_dir, number, run_tool, tail};
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// The first output element that differs from the reference.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Mismatch {
    /// Frame index.
    pub frame: i64,
    /// Index into the output tensor (H, W, C order).
    pub index: i64,
    /// The reference value.
    pub expected: i64,
    /// The simulated value.
    pub got: i64,
}

/// What `csim` measured.
#[derive(Debug, Clone, Serialize)]
pub struct CsimReport {
    /// Frames simulated.
    pub frames: u64,
    /// Output elements that differ from the reference.
    pub mismatches: u64,
    /// Stream protocol errors (missing or extra beats, TLAST, unconsumed input).
    pub protocol_errors: u64,
    /// True when every frame matched and the protocol held.
    pub passed: bool,
    /// The first mismatch.
    pub first_mismatch: Option<Mismatch>,
    /// Seconds spent compiling.
    pub compile_s: f64,
    /// Seconds spent running.
    pub run_s: f64,
    /// Simulated frames per second.
    pub fps: f64,
    /// The ap_int headers compiled against.
    pub ap_include: String,
    /// Every dataflow process's loop iterations per frame against the estimate's cycles for
    /// its unit ([`super::iterations`]); `passed` needs every one to agree.
    pub iterations: Vec<super::iterations::IterationCount>,
}

/// Where `ap_int.h` comes from: `$XILINX_HLS/include`, else `$HALF_AP_INCLUDE`, else the
/// project's host shim; absolute, since g++ runs inside the project directory.
pub fn ap_include(hls: &Path) -> PathBuf {
    let set = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let dir = if let Some(x) = set("XILINX_HLS") {
        PathBuf::from(x).join("include")
    } else if let Some(x) = set("HALF_AP_INCLUDE") {
        PathBuf::from(x)
    } else {
        hls.join("include").join("host")
    };
    std::path::absolute(&dir).unwrap_or(dir)
}

/// The build's top function source: the `.cpp` in `hls/src/`.
pub(super) fn top_source(hls: &Path) -> Result<PathBuf> {
    std::fs::read_dir(hls.join("src"))
        .map_err(|e| Error::Io {
            path: hls.join("src"),
            source: e,
        })?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "cpp"))
        .ok_or_else(|| Error::InvalidBuildDir(format!("{}: no top .cpp in src/", hls.display())))
}

/// Compiles the testbench and `top` into `exe` with `$CXX` (default g++) against the ap_int
/// headers in `ap`, with the extra compiler arguments `extra`; the seconds it took.
pub(super) fn compile(
    hls: &Path,
    top: &Path,
    ap: &Path,
    exe: &Path,
    extra: &[&str],
) -> Result<f64> {
    std::fs::create_dir_all(hls.join("build")).map_err(|e| Error::Io {
        path: hls.join("build"),
        source: e,
    })?;
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "g++".into());
    let t0 = Instant::now();
    let out = run_tool(
        Command::new(&cxx)
            .current_dir(hls)
            .args([
                "-std=c++14",
                "-O2",
                "-Wall",
                "-Werror",
                "-Wno-unknown-pragmas",
            ])
            .args(extra)
            .args(["-I", "include", "-I", "src", "-isystem"])
            .arg(ap)
            .args(["-isystem", "include/host", "-o"])
            .arg(exe)
            .arg("tb/tb.cpp")
            .arg(top),
        &cxx,
        "g++",
    )?;
    let compile_s = t0.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(Error::Tool {
            tool: cxx,
            message: format!("compiling the testbench failed:\n{}", tail(&out.stderr, 30)),
        });
    }
    Ok(compile_s)
}

/// The testbench's `HALF_CSIM ...` result line; an error when it printed none or reported an
/// error.
pub(super) fn result_line(run: &Output) -> Result<String> {
    let stdout = String::from_utf8_lossy(&run.stdout);
    let Some(line) = stdout.lines().find(|l| l.starts_with("HALF_CSIM ")) else {
        return Err(Error::Tool {
            tool: "csim".into(),
            message: format!(
                "the testbench stopped without a result ({}):\n{}{}",
                run.status,
                tail(&run.stdout, 10),
                tail(&run.stderr, 10)
            ),
        });
    };
    if let Some(msg) = line.split("error=").nth(1) {
        return Err(Error::Tool {
            tool: "csim".into(),
            message: msg.to_string(),
        });
    }
    Ok(line.to_string())
}

/// Runs the compiled testbench `exe` in the project `hls` on at most `frames` of its frames
/// (all when None): its output and the seconds it took.
pub(super) fn run_testbench(
    hls: &Path,
    exe: &Path,
    frames: Option<usize>,
) -> Result<(Output, f64)> {
    let t1 = Instant::now();
    let n = frames.map_or("-1".to_string(), |f| f.to_string());
    let run = run_tool(
        Command::new(exe).current_dir(hls).args([n.as_str(), "tb"]),
        "csim",
        "g++",
    )?;
    Ok((run, t1.elapsed().as_secs_f64()))
}

/// Compiles and runs the C simulation of the build in `dir` (`frames`: at most this many).
pub fn csim(dir: &Path, frames: Option<usize>) -> Result<CsimReport> {
    super::check_frames(frames)?;
    let hls = hls_dir(&crate::fsutil::absolute(dir)?)?;
    let top = top_source(&hls)?;
    let ap = ap_include(&hls);
    let estimate = super::estimate(hls.parent().unwrap_or(&hls))?;
    let exe = hls.join("build").join("csim");
    let compile_s = compile(&hls, &top, &ap, &exe, &["-DHALF_COUNT"])?;
    let (run, run_s) = run_testbench(&hls, &exe, frames)?;
    let line = result_line(&run)?;
    let get = |k| number::<i64>(&line, k).unwrap_or(0);
    let (frames, mismatches, protocol) = (
        get("frames") as u64,
        get("mismatches") as u64,
        get("protocol_errors") as u64,
    );
    let first_mismatch = (get("first_frame") >= 0 && mismatches > 0).then(|| Mismatch {
        frame: get("first_frame"),
        index: get("first_index"),
        expected: get("expected"),
        got: get("got"),
    });
    let stdout = String::from_utf8_lossy(&run.stdout);
    let iterations = super::iterations::check(&stdout, frames, &estimate);
    let counted = iterations.iter().all(|c| c.agrees);
    Ok(CsimReport {
        frames,
        mismatches,
        protocol_errors: protocol,
        passed: run.status.success() && mismatches == 0 && protocol == 0 && frames > 0 && counted,
        first_mismatch,
        compile_s,
        run_s,
        fps: frames as f64 / run_s.max(1e-9),
        ap_include: ap.display().to_string(),
        iterations,
    })
}
