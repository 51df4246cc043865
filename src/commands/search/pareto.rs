//! The Pareto front of a search and the files that present it: pareto.json, pareto.csv and
//! one ready-to-build model file per point (pareto/<hash>.yaml).

use super::evaluate::{FoldRow, Record};
use super::nsga2::dominates;
use super::objective::{Objective, minimised};
use super::space::Space;
use crate::error::{Error, Result};
use serde::Serialize;

/// One decision and the option taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    /// Variable name.
    pub variable: String,
    /// The option, as YAML text.
    pub value: String,
}

/// One objective's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjValue {
    /// Objective name.
    pub objective: &'static str,
    /// Its value.
    pub value: f64,
}

/// One point of the front.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Architecture hash.
    pub hash: String,
    /// The model file, relative to the search directory.
    pub file: String,
    /// The options taken.
    pub choices: Vec<Choice>,
    /// The objectives searched.
    pub objectives: Vec<ObjValue>,
    /// Frames per second.
    pub fps: f64,
    /// Latency, microseconds.
    pub latency_us: f64,
    /// Latency, cycles.
    pub latency_cycles: u64,
    /// Cycles per frame.
    pub cycles_per_frame: u64,
    /// The slowest stage.
    pub bottleneck: String,
    /// LUTs.
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
    /// Weights and biases.
    pub params: u64,
    /// MACs per frame.
    pub macs: u64,
    /// Accuracy (proxy score or evaluator figure).
    pub accuracy: f64,
    /// Every layer's fold.
    pub folds: Vec<FoldRow>,
}

/// pareto.json.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParetoFile {
    /// The space's name.
    pub space: String,
    /// The board.
    pub board: String,
    /// Objectives searched.
    pub objectives: Vec<&'static str>,
    /// Where accuracy comes from (`proxy: params`, `evaluator: CMD`).
    pub accuracy: String,
    /// Choice vectors in the space.
    pub size: String,
    /// Decision variables.
    pub variables: Vec<String>,
    /// Architectures evaluated (all runs in the directory).
    pub evaluated: usize,
    /// Of which feasible.
    pub feasible: usize,
    /// The non-dominated feasible architectures, best first objective first.
    pub front: Vec<Point>,
}

/// Indices of the non-dominated feasible records (by `objs`), sorted by the minimised
/// objectives, then hash.
pub fn front(records: &[Record], objs: &[Objective]) -> Vec<usize> {
    let feas: Vec<(usize, Vec<f64>)> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.feasible())
        .map(|(i, r)| (i, minimised(objs, r)))
        .collect();
    let mut out: Vec<(usize, &Vec<f64>)> = feas
        .iter()
        .filter(|(_, a)| !feas.iter().any(|(_, b)| dominates(b, a)))
        .map(|(i, a)| (*i, a))
        .collect();
    out.sort_by(|x, y| {
        x.1.iter()
            .zip(y.1)
            .map(|(a, b)| a.total_cmp(b))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(records[x.0].hash.cmp(&records[y.0].hash))
    });
    out.into_iter().map(|(i, _)| i).collect()
}

/// The file name of a front point's model.
pub fn model_file(hash: &str) -> String {
    format!("pareto/{hash}.yaml")
}

/// The front as points (records without a design are skipped).
pub fn points(space: &Space, records: &[Record], idx: &[usize], objs: &[Objective]) -> Vec<Point> {
    idx.iter()
        .filter_map(|&i| {
            let r = &records[i];
            let hw = r.hw.as_ref()?;
            Some(Point {
                hash: r.hash.clone(),
                file: model_file(&r.hash),
                choices: space
                    .vars
                    .iter()
                    .zip(&r.arch)
                    .map(|(v, &o)| Choice {
                        variable: v.name.clone(),
                        value: v.options.get(o).cloned().unwrap_or_default(),
                    })
                    .collect(),
                objectives: objs
                    .iter()
                    .map(|o| ObjValue {
                        objective: o.name(),
                        value: o.value(r).unwrap_or(f64::NAN),
                    })
                    .collect(),
                fps: hw.fps,
                latency_us: hw.latency_us,
                latency_cycles: hw.latency_cycles,
                cycles_per_frame: hw.cycles_per_frame,
                bottleneck: hw.bottleneck.clone(),
                lut: hw.lut,
                ff: hw.ff,
                bram18: hw.bram18,
                uram: hw.uram,
                dsp: hw.dsp,
                lut_share: hw.lut_share,
                params: r.params.unwrap_or(0),
                macs: r.macs.unwrap_or(0),
                accuracy: r.accuracy.unwrap_or(f64::NAN),
                folds: hw.folds.clone(),
            })
        })
        .collect()
}

/// `layer=PExSIMD/mult/mem; ...`: a one-cell folding summary.
pub fn folding_summary(folds: &[FoldRow]) -> String {
    folds
        .iter()
        .map(|f| format!("{}={}x{}/{}/{}", f.layer, f.pe, f.simd, f.mult, f.mem))
        .collect::<Vec<_>>()
        .join("; ")
}

/// pareto.csv: one row per point; a column per variable, per objective, then the design.
pub fn csv(space: &Space, objs: &[Objective], pts: &[Point]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Serialization(format!("writing CSV: {e}"));
    let mut head: Vec<String> = vec!["hash".into(), "file".into()];
    head.extend(space.vars.iter().map(|v| v.name.clone()));
    head.extend(objs.iter().map(|o| format!("objective_{}", o.name())));
    head.extend(
        [
            "fps",
            "latency_us",
            "latency_cycles",
            "cycles_per_frame",
            "bottleneck",
            "lut",
            "ff",
            "bram18",
            "uram",
            "dsp",
            "lut_share",
            "params",
            "macs",
            "accuracy",
            "folding",
        ]
        .map(String::from),
    );
    w.write_record(&head).map_err(err)?;
    for p in pts {
        let mut row: Vec<String> = vec![p.hash.clone(), p.file.clone()];
        row.extend(p.choices.iter().map(|c| c.value.clone()));
        row.extend(p.objectives.iter().map(|o| o.value.to_string()));
        row.extend([
            p.fps.to_string(),
            p.latency_us.to_string(),
            p.latency_cycles.to_string(),
            p.cycles_per_frame.to_string(),
            p.bottleneck.clone(),
            p.lut.to_string(),
            p.ff.to_string(),
            p.bram18.to_string(),
            p.uram.to_string(),
            p.dsp.to_string(),
            p.lut_share.to_string(),
            p.params.to_string(),
            p.macs.to_string(),
            p.accuracy.to_string(),
            folding_summary(&p.folds),
        ]);
        w.write_record(&row).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Serialization(format!("writing CSV: {e}")))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A front point's model file: the candidate named `<space>_<hash prefix>`, with a comment
/// saying where it comes from.
pub fn model_text(space: &Space, board: &str, p: &Point, arch: &[usize]) -> String {
    let cand = space.materialise(arch);
    let name = space.candidate_name(&p.hash);
    let objs: Vec<String> = p
        .objectives
        .iter()
        .map(|o| format!("{}={}", o.objective, o.value))
        .collect();
    let choices: Vec<String> = p
        .choices
        .iter()
        .map(|c| format!("{}={}", c.variable, c.value))
        .collect();
    let mut out = format!(
        "# Pareto point {} of search space `{}` ({}) on {board}: {}\n",
        p.hash,
        space.name,
        space.file,
        objs.join(", ")
    );
    if !choices.is_empty() {
        out.push_str(&format!("# choices: {}\n", choices.join(", ")));
    }
    out.push_str(&cand.named(&name));
    out
}
