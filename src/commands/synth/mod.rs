//! `half-gen synth`: synthesises every stage of a build's RTL with Yosys `synth_xilinx` and
//! compares the cell counts with the analytical estimate.
//!
//! Stages: the module instances of `rtl/stages.json` grouped by their `layer`, and the glue
//! instances grouped by kind (`glue:fifo`, `glue:dwc`, `glue:fork` and `glue:axis` for the
//! AXI-Stream adapters; the estimate's glue items are summed by the same kinds). Each stage is
//! one Yosys run, out of
//! context (no I/O buffers, no clock buffer), on a generated wrapper that instantiates the
//! stage's modules with their parameters and brings every port of every instance out to its
//! own top-level port, so nothing is shared or optimised across instances: a stage is the sum
//! of its instances. The flow and the way cells are counted (LUTRAM primitives in LUTs, as
//! Vivado reports them) are in docs/cost-model.md, section "Calibration against Yosys".

pub mod cells;
pub mod report;
pub mod script;

use crate::error::{Error, Result};
use cells::Cells;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use report::{SynthReport, table};
pub use script::{module_ports, script, wrapper};

/// Options of a synthesis run.
#[derive(Debug, Clone, Copy)]
pub struct SynthOptions {
    /// Yosys processes run at once (at least 1).
    pub jobs: usize,
    /// Wall-clock limit of one Yosys run (one stage).
    pub timeout: Duration,
}

/// One module instance of `stages.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inst {
    /// Module name.
    pub module: String,
    /// Instance name.
    pub name: String,
    /// Layer, or `glue`.
    pub layer: String,
    /// Parameters in declaration order: name and the Verilog literal (number or quoted string).
    pub params: Vec<(String, String)>,
    /// Data width of each input port, in port order.
    pub in_widths: Vec<u64>,
    /// Data width of each output port, in port order.
    pub out_widths: Vec<u64>,
}

/// A stage to synthesise: its name, kind and the indices of its instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// A layer name, or `glue:<kind>`.
    pub name: String,
    /// `layer`, `fifo`, `dwc`, `fork` or `axis`.
    pub kind: String,
    /// Indices into the instance list.
    pub insts: Vec<usize>,
}

/// What one Yosys run gave.
#[derive(Debug, Clone)]
struct RunResult {
    cells: BTreeMap<String, u64>,
    wall_s: f64,
}

/// An error about a file of the build directory `dir` that `synth` reads.
fn bad_build(dir: &Path, msg: impl std::fmt::Display) -> Error {
    Error::InvalidBuildDir(format!("{}: {msg}", dir.display()))
}

/// A parameter value as a Verilog literal; None for a value that cannot be one safely.
fn literal(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_i64().map(|i| i.to_string()),
        Value::String(s) => {
            let ok = s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c));
            ok.then(|| format!("\"{s}\""))
        }
        _ => None,
    }
}

pub(crate) fn ident_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// Parses `rtl/stages.json` into its instances.
pub fn parse_netlist(dir: &Path, text: &str) -> Result<Vec<Inst>> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| bad_build(dir, format!("rtl/stages.json: {e}")))?;
    let insts = v["instances"]
        .as_array()
        .ok_or_else(|| bad_build(dir, "rtl/stages.json has no `instances` list"))?;
    let widths: BTreeMap<&str, u64> = v["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["name"].as_str()?, c["width"].as_u64()?)))
        .collect();
    let mut out = Vec::new();
    for (i, inst) in insts.iter().enumerate() {
        let field = |k: &str| {
            inst[k]
                .as_str()
                .filter(|s| ident_ok(s))
                .map(str::to_string)
                .ok_or_else(|| bad_build(dir, format!("rtl/stages.json: instance {i}: bad `{k}`")))
        };
        let (module, name) = (field("module")?, field("name")?);
        let layer = inst["layer"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| bad_build(dir, format!("rtl/stages.json: instance {i}: no `layer`")))?;
        let mut params = Vec::new();
        for p in inst["params"].as_array().into_iter().flatten() {
            let (pn, pv) = (p[0].as_str().filter(|s| ident_ok(s)), literal(&p[1]));
            let (Some(pn), Some(pv)) = (pn, pv) else {
                return Err(bad_build(
                    dir,
                    format!("rtl/stages.json: instance `{name}`: bad parameter {p}"),
                ));
            };
            params.push((pn.to_string(), pv));
        }
        // The top's own ports (s_axis, m_axis) are as wide as the adapter's W.
        let own = params
            .iter()
            .find(|(n, _)| n == "W")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1u64);
        let width = |k: &str| -> Result<Vec<u64>> {
            inst[k]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| match c.as_str() {
                    Some(crate::stage::netlist::TOP_IN) | Some(crate::stage::netlist::TOP_OUT) => {
                        Ok(own)
                    }
                    Some(c) => widths.get(c).copied().filter(|w| *w > 0).ok_or_else(|| {
                        bad_build(
                            dir,
                            format!("rtl/stages.json: instance `{name}`: unknown channel `{c}`"),
                        )
                    }),
                    None => Err(bad_build(
                        dir,
                        format!("rtl/stages.json: instance `{name}`: bad `{k}`"),
                    )),
                })
                .collect()
        };
        let (in_widths, out_widths) = (width("inputs")?, width("outputs")?);
        out.push(Inst {
            module,
            name,
            layer,
            params,
            in_widths,
            out_widths,
        });
    }
    Ok(out)
}

/// Groups instances into stages: layers in order of first appearance, then the glue by kind
/// (`glue:fifo`, `glue:dwc` with the converters' queues, `glue:fork`, `glue:axis`).
pub fn stages(insts: &[Inst]) -> Vec<Stage> {
    let mut out: Vec<Stage> = Vec::new();
    let mut glue: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, inst) in insts.iter().enumerate() {
        if inst.layer == "glue" {
            // By the name `stage::glue` gives the instance, not its module: a two-word edge
            // FIFO and a converter's queue are `half_axis_in` skid buffers, the queue costed
            // with its converter.
            let stem = inst.name.split('_').next().unwrap_or("");
            let kind = match stem {
                "fifo" => "fifo",
                "dwc" | "queue" => "dwc",
                "fork" => "fork",
                _ => "axis",
            };
            glue.entry(kind).or_default().push(i);
        } else if let Some(s) = out.iter_mut().find(|s| s.name == inst.layer) {
            s.insts.push(i);
        } else {
            out.push(Stage {
                name: inst.layer.clone(),
                kind: "layer".into(),
                insts: vec![i],
            });
        }
    }
    for kind in ["fifo", "dwc", "fork", "axis"] {
        if let Some(v) = glue.remove(kind) {
            out.push(Stage {
                name: format!("glue:{kind}"),
                kind: kind.into(),
                insts: v,
            });
        }
    }
    out
}

/// The environment variable naming the Yosys command to run (default `yosys` on `PATH`).
pub const YOSYS_ENV: &str = "HALF_GEN_YOSYS";

/// The Yosys version the cost model is calibrated to (scripts/yosys-requirements.txt pins its
/// pyosys package; docs/cost-model.md, section 13).
pub const CALIBRATED_YOSYS: &str = "Yosys 0.70";

/// How to get the calibrated Yosys when the command is missing.
const YOSYS_HINT: &str = "not found; run scripts/yosys-env.sh (Yosys 0.70 from the pyosys \
    package) and set HALF_GEN_YOSYS to the command it prints, or put that command on PATH";

/// The Yosys command: `$HALF_GEN_YOSYS` when set and not empty, else `yosys`.
pub fn yosys_command() -> Command {
    match std::env::var_os(YOSYS_ENV) {
        Some(p) if !p.is_empty() => Command::new(p),
        _ => Command::new("yosys"),
    }
}

/// Maps a failure to start Yosys to a clear message.
fn yosys_spawn_error(e: std::io::Error) -> Error {
    Error::Tool {
        tool: "yosys".into(),
        message: if e.kind() == std::io::ErrorKind::NotFound {
            YOSYS_HINT.into()
        } else {
            e.to_string()
        },
    }
}

/// The Yosys version line (`Yosys 0.70 (git sha1 ...)`).
pub fn yosys_version() -> Result<String> {
    let out = yosys_command()
        .arg("-V")
        .output()
        .map_err(yosys_spawn_error)?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .next()
        .unwrap_or("Yosys (unknown version)")
        .trim()
        .to_string())
}

/// Runs one Yosys script with a time limit; the log goes to `log`. Yosys runs through
/// [`crate::child::run`]: in its own process group, its whole process tree killed on the time
/// limit or when half-gen is interrupted (the pyosys launcher forks the synthesis).
fn run_yosys(
    rtl: &Path,
    ys: &Path,
    log: &Path,
    json: &Path,
    timeout: Duration,
) -> Result<RunResult> {
    let t0 = Instant::now();
    let io = |p: &Path, e: std::io::Error| Error::Io {
        path: p.to_path_buf(),
        source: e,
    };
    let finished = crate::child::run(
        yosys_command().current_dir(rtl).arg("-q").arg("-s").arg(ys),
        Some(timeout),
    )
    .map_err(yosys_spawn_error)?;
    let mut text = finished.stdout.bytes;
    text.extend_from_slice(&finished.stderr.bytes);
    std::fs::write(log, &text).map_err(|e| io(log, e))?;
    let Some(status) = finished.status else {
        return Err(Error::Tool {
            tool: "yosys".into(),
            message: format!("timed out after {} s ({})", timeout.as_secs(), ys.display()),
        });
    };
    if !status.success() {
        return Err(Error::Tool {
            tool: "yosys".into(),
            message: format!(
                "failed on {}:\n{}",
                ys.display(),
                crate::commands::sim::tail(&text, 15)
            ),
        });
    }
    let text = std::fs::read_to_string(json).map_err(|e| io(json, e))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| Error::Tool {
        tool: "yosys".into(),
        message: format!("{}: unreadable `stat -json` output: {e}", json.display()),
    })?;
    let cells = v["design"]["num_cells_by_type"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    Ok(RunResult {
        cells,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}

/// The Yosys family of a build: from its board (built-in name) or its part string.
fn family(est: &Value) -> &'static str {
    let board = est["board"].as_str().unwrap_or("");
    if let Ok(b) = crate::board::lookup(board) {
        return match b.family {
            crate::cost::Family::Xc7 => "xc7",
            crate::cost::Family::Xcup => "xcup",
        };
    }
    if est["part"].as_str().unwrap_or("").starts_with("xc7") {
        "xc7"
    } else {
        "xcup"
    }
}

/// Synthesises every stage of the build in `dir` (scripts, logs and statistics go to
/// `dir/synth/`) and compares them with `dir/report/estimate.json`.
pub fn synth(dir: &Path, opts: SynthOptions) -> Result<SynthReport> {
    let dir = &crate::fsutil::absolute(dir)?;
    let rtl = dir.join("rtl");
    let stages_path = rtl.join("stages.json");
    let text = std::fs::read_to_string(&stages_path).map_err(|_| {
        bad_build(
            dir,
            "no rtl/stages.json; run `half-gen build` first (a build of a layer kind the Verilog backend does not cover has no rtl/)",
        )
    })?;
    let insts = parse_netlist(dir, &text)?;
    let est: Value = std::fs::read_to_string(dir.join("report/estimate.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| bad_build(dir, "no readable report/estimate.json"))?;
    let stages = stages(&insts);
    let family = family(&est);
    let version = yosys_version()?;
    let jobs = write_jobs(dir, &stages, &insts, family)?;
    let t0 = Instant::now();
    let results = run_jobs(&rtl, &jobs, opts);
    let per_stage = stage_runs(&stages, &insts, results)?;
    Ok(report::build(
        &est,
        family,
        &version,
        per_stage,
        t0.elapsed().as_secs_f64(),
    ))
}

/// The build's Verilog library.
struct Library {
    /// Its files in `rtl/` (names relative to it).
    files: Vec<String>,
    /// The ports of each module found in them.
    ports: BTreeMap<String, Vec<(bool, String)>>,
}

/// Reads the library files of [`crate::stage::library::RTL`] that `rtl` holds.
fn library(rtl: &Path) -> Library {
    let mut files = Vec::new();
    let mut ports = BTreeMap::new();
    for (f, _) in crate::stage::library::RTL.iter() {
        let Ok(text) = std::fs::read_to_string(rtl.join(f)) else {
            continue;
        };
        files.push(f.to_string());
        let module = f.trim_end_matches(".v");
        if let Some(p) = module_ports(&text, module) {
            ports.insert(module.to_string(), p);
        }
    }
    Library { files, ports }
}

/// One Yosys run: its script (relative to `rtl/`, where Yosys runs), its log and its
/// statistics file.
type Job = (PathBuf, PathBuf, PathBuf);

/// Writes every stage's wrapper and script into `dir/synth/`; the runs to make, in stage
/// order.
fn write_jobs(dir: &Path, stages: &[Stage], insts: &[Inst], family: &str) -> Result<Vec<Job>> {
    let lib = library(&dir.join("rtl"));
    let out_dir = dir.join("synth");
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::Io {
        path: out_dir.clone(),
        source: e,
    })?;
    // Per stage: the wrapper, the script, the log and the statistics, named by position and
    // stage name; Yosys runs in rtl/, so the files are named relative to it.
    let mut jobs: Vec<Job> = Vec::new();
    for (k, st) in stages.iter().enumerate() {
        let clean: String = st
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let base = format!("{k:02}_{clean}");
        let members: Vec<&Inst> = st.insts.iter().map(|&i| &insts[i]).collect();
        let v = wrapper(&members, &lib.ports)
            .map_err(|e| bad_build(dir, format!("stage `{}`: {e}", st.name)))?;
        let rel = |ext: &str| format!("../synth/{base}.{ext}");
        crate::fsutil::write_atomic(&out_dir.join(format!("{base}.v")), v.as_bytes())?;
        let ys = script(&lib.files, &rel("v"), family, &rel("json"));
        crate::fsutil::write_atomic(&out_dir.join(format!("{base}.ys")), ys.as_bytes())?;
        let json = out_dir.join(format!("{base}.json"));
        let _ = std::fs::remove_file(&json);
        jobs.push((
            PathBuf::from(rel("ys")),
            out_dir.join(format!("{base}.log")),
            json,
        ));
    }
    Ok(jobs)
}

/// Runs the jobs on `opts.jobs` threads; per job its result, None when it did not run (a
/// missing Yosys stops the others from starting).
fn run_jobs(rtl: &Path, jobs: &[Job], opts: SynthOptions) -> Vec<Option<Result<RunResult>>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<RunResult>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.clamp(1, jobs.len().max(1)) {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    if k >= jobs.len() {
                        break;
                    }
                    let (ys, log, json) = &jobs[k];
                    let r = run_yosys(rtl, ys, log, json, opts.timeout);
                    let missing = matches!(&r, Err(Error::Tool { message, .. }) if message.starts_with("not found"));
                    if let Ok(mut v) = results.lock() {
                        v[k] = Some(r);
                    }
                    if missing {
                        next.store(jobs.len(), Ordering::SeqCst);
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

/// Each stage's cells, time and error from its run; an error of the whole command when Yosys
/// is missing.
fn stage_runs(
    stages: &[Stage],
    insts: &[Inst],
    results: Vec<Option<Result<RunResult>>>,
) -> Result<Vec<report::StageRun>> {
    // A missing Yosys is an error of the whole command, not of a stage.
    for r in results.iter().flatten() {
        if let Err(Error::Tool { message, .. }) = r
            && message.starts_with("not found")
        {
            return Err(Error::Tool {
                tool: "yosys".into(),
                message: message.clone(),
            });
        }
    }
    Ok(stages
        .iter()
        .zip(results)
        .map(|(st, r)| {
            let mut cells = Cells::default();
            let (mut wall_s, mut error) = (0.0, None);
            match r {
                Some(Ok(r)) => {
                    cells.add(&r.cells);
                    wall_s = r.wall_s;
                }
                Some(Err(e)) => error = Some(e.to_string()),
                None => error = Some("not run".into()),
            }
            report::StageRun {
                stage: st.clone(),
                instances: st.insts.iter().map(|&i| insts[i].name.clone()).collect(),
                cells,
                wall_s,
                error,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netlist_parsing_stages_and_wrapper() {
        let text = r#"{"channels": [{"name": "a", "width": 16}, {"name": "w_c", "width": 8},
                                    {"name": "b", "width": 4}],
            "instances": [
            {"module": "half_axis_in", "name": "axis_in", "layer": "glue", "params": [["W", 16]],
             "inputs": ["s_axis"], "outputs": ["a"]},
            {"module": "half_swg", "name": "swg_c", "layer": "c", "params": [["P", 2]],
             "inputs": ["a"], "outputs": ["w_c"]},
            {"module": "half_mvu", "name": "mvu_c", "layer": "c",
             "params": [["ROM_STYLE", "block"], ["WFILE", "mem/c_w.hex"], ["SCALE", -3]],
             "inputs": ["w_c"], "outputs": ["b"]},
            {"module": "half_fifo", "name": "fifo_e_c__d", "layer": "glue", "params": [["W", 4]],
             "inputs": ["b"], "outputs": ["b"]}
        ]}"#;
        let insts = parse_netlist(Path::new("d"), text).unwrap();
        assert_eq!(insts.len(), 4);
        assert_eq!(insts[2].params[0].1, "\"block\"");
        assert_eq!(insts[2].params[2].1, "-3");
        assert_eq!((insts[0].in_widths[0], insts[2].in_widths[0]), (16, 8));
        let st = stages(&insts);
        let names: Vec<&str> = st.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["c", "glue:fifo", "glue:axis"]);
        assert_eq!(st[0].insts, [1, 2]);
        let lib = crate::stage::library::RTL;
        let text = lib.iter().find(|(f, _)| *f == "half_fifo.v").unwrap().1;
        let p = module_ports(text, "half_fifo").unwrap();
        assert_eq!(p.first().unwrap(), &(true, "ap_clk".to_string()));
        assert_eq!(p.last().unwrap(), &(false, "count".to_string()));
        let mut ports = BTreeMap::new();
        ports.insert("half_fifo".to_string(), p);
        let v = wrapper(&[&insts[3]], &ports).unwrap();
        assert!(v.contains("input  wire [3:0] u0_s_axis_tdata"));
        assert!(v.contains("(* keep_hierarchy *) half_fifo #(.W(4)) u0 (.ap_clk(ap_clk)"));
        assert!(!v.contains("count"));
        assert!(wrapper(&[&insts[2]], &ports).is_err());
        let s = script(
            &["half_mvu.v".into()],
            "../synth/x.v",
            "xc7",
            "../synth/x.json",
        );
        assert!(s.contains("hierarchy -top half_synth_top"));
        assert!(s.contains("synth_xilinx -family xc7"));
        // Hostile strings never reach the script.
        let evil = r#"{"instances": [{"module": "m", "name": "n", "layer": "l",
            "params": [["F", "a\"; shell"]]}]}"#;
        assert!(parse_netlist(Path::new("d"), evil).is_err());
        assert!(parse_netlist(Path::new("d"), "{}").is_err());
    }
}
