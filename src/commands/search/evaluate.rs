//! Evaluating one candidate: the model parser, the IR, the folding optimizer under the board
//! budget, then the accuracy (a proxy or the user's evaluator). No weights are generated and
//! nothing is calibrated on this path: throughput, latency and resources depend only on the
//! shapes and types, and the requantisers keep the initial rule of docs/model-format.md
//! section 10.2. A requantiser's DSPs depend on its scale constant, so `half-gen estimate` of a
//! candidate (which calibrates weights) can differ from the search's figures in requantiser
//! DSPs and a few LUTs (docs/search-space.md, section 4).

use super::materialise::Candidate;
use super::proxy::Proxy;
use super::space::Space;
use crate::board::Board;
use crate::error::Error;
use crate::fold::{self, Design};
use crate::ir::Graph;
use crate::{ir, model};
use serde::{Deserialize, Serialize};

/// The violation of a candidate that is invalid or whose accuracy evaluation failed: larger
/// than any resource or throughput shortfall, so such candidates rank last.
pub const VIOLATION_INVALID: f64 = 1e6;

/// Why a candidate is (in)feasible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Feasible.
    Ok,
    /// The model parser or the IR rejected the candidate (shapes, accumulator width, ...).
    Invalid,
    /// Even the cheapest folding exceeds the board budget.
    NoFit,
    /// It fits but is slower than `--min-fps`.
    MinFps,
    /// The evaluator command failed or wrote no accuracy.
    EvaluatorFailed,
    /// The evaluator command ran out of time.
    EvaluatorTimeout,
}

/// One layer's fold in the chosen design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldRow {
    /// Layer name.
    pub layer: String,
    /// Output channels in parallel.
    pub pe: u32,
    /// Input elements in parallel.
    pub simd: u32,
    /// Multiplier style (`-` without a choice).
    pub mult: String,
    /// Weight memory style (`-` without weights).
    pub mem: String,
}

/// The folded design's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hardware {
    /// Frames per second at the board clock (the slowest stage sets it).
    pub fps: f64,
    /// Cycles per frame of the slowest stage.
    pub cycles_per_frame: u64,
    /// The slowest stage.
    pub bottleneck: String,
    /// First input beat to last output beat, analytical pipeline schedule, cycles.
    pub latency_cycles: u64,
    /// Same in microseconds.
    pub latency_us: f64,
    /// LUTs (layers and glue).
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// 18 Kib block RAMs.
    pub bram18: u64,
    /// UltraRAMs.
    pub uram: u64,
    /// DSP slices.
    pub dsp: u64,
    /// LUTs as a fraction of the board's.
    pub lut_share: f64,
    /// Every layer's fold.
    pub folds: Vec<FoldRow>,
}

/// Everything known about one evaluated architecture (one line of results.jsonl).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Architecture hash (FNV-1a 64 of the candidate's model text).
    pub hash: String,
    /// The choice vector that first produced it.
    pub arch: Vec<usize>,
    /// Verdict.
    pub status: Status,
    /// Constraint violation (0 when feasible; see docs/search-space.md).
    pub violation: f64,
    /// Why it is infeasible.
    pub reason: Option<String>,
    /// Weights and biases (when the model is valid).
    pub params: Option<u64>,
    /// MACs per frame (when the model is valid).
    pub macs: Option<u64>,
    /// The folded design (when it fits).
    pub hw: Option<Hardware>,
    /// Accuracy (the proxy's score, or the evaluator's figure).
    pub accuracy: Option<f64>,
}

impl Status {
    /// The name results.jsonl and the summaries use (`evaluator-failed`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Invalid => "invalid",
            Status::NoFit => "no-fit",
            Status::MinFps => "min-fps",
            Status::EvaluatorFailed => "evaluator-failed",
            Status::EvaluatorTimeout => "evaluator-timeout",
        }
    }
}

impl Record {
    /// Feasible: valid, fits, fast enough, accuracy known.
    pub fn feasible(&self) -> bool {
        self.status == Status::Ok
    }

    fn infeasible(hash: &str, arch: &[usize], status: Status, violation: f64, why: String) -> Self {
        Record {
            hash: hash.to_string(),
            arch: arch.to_vec(),
            status,
            violation,
            reason: Some(why),
            params: None,
            macs: None,
            hw: None,
            accuracy: None,
        }
    }
}

/// What every evaluation needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The board.
    pub board: Board,
    /// Folding options (caps, clock).
    pub fold: fold::Options,
    /// Candidates slower than this are infeasible.
    pub min_fps: Option<f64>,
    /// The accuracy proxy (unused with an evaluator).
    pub proxy: Proxy,
    /// Layer candidate lists shared by every evaluation (a layer configuration is costed
    /// once per search; `Default::default()` starts empty).
    pub candidate_cache: std::sync::Arc<fold::candidates::CandidateCache>,
}

fn round(v: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (v * m).round() / m
}

/// Relative shortfall of the leanest design against the budget, summed over resources.
fn overrun(graph: &Graph, settings: &Settings) -> f64 {
    let budget = settings.fold.caps.budget(&settings.board.resources());
    let Ok(spaces) = fold::candidates::build_cached(
        graph,
        &settings.board,
        (&settings.fold.pins, settings.fold.padded_lanes),
        Some(&settings.candidate_cache),
    ) else {
        return VIOLATION_INVALID;
    };
    let lean = fold::select::leanest(graph, &spaces, &budget);
    lean.as_array()
        .iter()
        .zip(budget.as_array())
        .map(|(&l, b)| (l as f64 - b as f64).max(0.0) / b.max(1) as f64)
        .sum::<f64>()
        .max(1e-9)
}

/// The figures of a folded design.
pub fn hardware(graph: &Graph, board: &Board, d: &Design) -> Hardware {
    let p = &d.pipeline;
    let folds = d
        .spaces
        .iter()
        .zip(&d.selection)
        .map(|(s, &i)| {
            let f = s.list.cands[i].fold;
            FoldRow {
                layer: graph.g[s.node].name.clone(),
                pe: f.pe,
                simd: f.simd,
                mult: if s.list.has_mult { f.mult.name() } else { "-" }.to_string(),
                mem: if s.list.has_weights {
                    f.mem.name()
                } else {
                    "-"
                }
                .to_string(),
            }
        })
        .collect();
    Hardware {
        fps: round(d.clock_mhz * 1e6 / p.cycles.max(1) as f64, 2),
        cycles_per_frame: p.cycles,
        bottleneck: p.bottleneck.clone(),
        latency_cycles: p.latency,
        latency_us: round(p.latency as f64 / d.clock_mhz, 3),
        lut: d.total.lut,
        ff: d.total.ff,
        bram18: d.total.bram18,
        uram: d.total.uram,
        dsp: d.total.dsp,
        lut_share: round(d.total.lut as f64 / board.lut.max(1) as f64, 6),
        folds,
    }
}

/// Weights and MACs per frame of a graph.
pub fn size(graph: &Graph) -> (u64, u64) {
    graph.layers().fold((0, 0), |(p, m), n| {
        let node = &graph.g[n];
        match node.op() {
            Some(op) => (p + op.op().params(node), m + op.op().macs(node)),
            None => (p, m),
        }
    })
}

/// The record of a candidate that folded into `hw`: feasible, or infeasible below `min_fps`.
fn folded(hash: &str, arch: &[usize], hw: Hardware, min_fps: Option<f64>) -> Record {
    let mut r = Record {
        hash: hash.to_string(),
        arch: arch.to_vec(),
        status: Status::Ok,
        violation: 0.0,
        reason: None,
        params: None,
        macs: None,
        hw: None,
        accuracy: None,
    };
    if let Some(min) = min_fps
        && hw.fps < min
    {
        r.status = Status::MinFps;
        r.violation = (min - hw.fps) / min;
        r.reason = Some(format!("{} frames/s is below --min-fps {min}", hw.fps));
    }
    r.hw = Some(hw);
    r
}

/// The hardware side of an evaluation: a record with `hw`, `params` and `macs`, its status
/// `Ok` or infeasible (invalid, no fit, below `min_fps`), and no accuracy yet. The validated
/// model and graph come back for an accuracy proxy that needs them.
pub fn hardware_side(
    space: &Space,
    cand: &Candidate,
    arch: &[usize],
    settings: &Settings,
) -> (Record, Option<(model::Model, Graph)>) {
    let invalid = |e: Error| {
        let why = cand.map_error(space, e, false).to_string();
        Record::infeasible(&cand.hash, arch, Status::Invalid, VIOLATION_INVALID, why)
    };
    // The JSON tree reads several times faster than the text; a candidate it rejects is
    // read again from the text, whose messages have positions to map into the space.
    let fast = cand.tree.as_ref().and_then(|t| {
        let m = model::from_json(t, &space.file, &space.name, &space.dir).ok()?;
        let g = ir::build(&m).ok()?;
        Some((m, g))
    });
    let (m, graph) = match fast {
        Some(x) => x,
        None => {
            let m = match model::parse(&cand.text, &space.file, &space.name, &space.dir) {
                Ok(m) => m,
                Err(e) => return (invalid(e), None),
            };
            match ir::build(&m) {
                Ok(g) => (m, g),
                Err(e) => return (invalid(e), None),
            }
        }
    };
    let (params, macs) = size(&graph);
    let mut rec = match fold::optimize_cached(
        &graph,
        &settings.board,
        &settings.fold,
        Some(&settings.candidate_cache),
    ) {
        Ok(d) => folded(
            &cand.hash,
            arch,
            hardware(&graph, &settings.board, &d),
            settings.min_fps,
        ),
        Err(Error::NoFit(nf)) => Record::infeasible(
            &cand.hash,
            arch,
            Status::NoFit,
            overrun(&graph, settings),
            format!(
                "does not fit even fully folded: {}",
                nf.lines
                    .iter()
                    .filter(|l| l.contains("<- over"))
                    .map(|l| l.trim().trim_end_matches("<- over").trim())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        Err(e) => return (invalid(e), None),
    };
    rec.params = Some(params);
    rec.macs = Some(macs);
    (rec, Some((m, graph)))
}
