//! `half-gen eval`: runs the reference on a data set (or seeded random frames), reports top-1
//! accuracy when labels are given and the interpreter's speed.

use super::{check_input, random_input, run};
use crate::error::{Error, Result};
use crate::ir::Graph;
use crate::limits::{self, MAX_ARRAY_VALUES, MAX_EVAL_FRAMES};
use crate::weights::{Params, npz, write_npy_i64};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// What `eval` measured.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Model name.
    pub model: String,
    /// Frames run.
    pub frames: usize,
    /// Top-1 accuracy in [0, 1], when labels were given.
    pub accuracy: Option<f64>,
    /// Correct predictions, when labels were given.
    pub correct: Option<usize>,
    /// Wall time of the reference, seconds.
    pub run_s: f64,
    /// Frames per second.
    pub fps: f64,
}

/// Input frames and optional labels.
pub type DataSet = (Vec<Vec<i64>>, Option<Vec<i64>>);

/// Index of the largest value (the first on ties).
pub fn argmax(v: &[i64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// Loads `x` (and optional `y`) from a data `.npz`: `x` has shape `[N, ...input shape]`, `y`
/// holds N integer labels (or N one-hot rows).
pub fn load_data(graph: &Graph, path: &Path) -> Result<DataSet> {
    let file = path.display().to_string();
    let mut ar = npz::open(path)?;
    let bad = |m: String| Error::BadInputFile(format!("{file}: {m}"));
    let (shape, x) = npz::read_array(&mut ar, &file, "x", crate::limits::MAX_ARRAY_VALUES)?
        .ok_or_else(|| bad("no array `x` (the input frames)".into()))?;
    let t = graph.g[graph.input].out;
    let want: Vec<u64> = t.shape.dims().iter().map(|&d| d as u64).collect();
    if shape.len() != want.len() + 1 || shape[1..] != want[..] {
        return Err(bad(format!(
            "array `x` has shape {shape:?}; expected [N, {}]",
            want.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if shape[0] == 0 {
        return Err(bad("array `x` holds no frames".into()));
    }
    let per = t.shape.elems() as usize;
    let frames: Vec<Vec<i64>> = x.chunks_exact(per.max(1)).map(<[i64]>::to_vec).collect();
    for (i, f) in frames.iter().enumerate() {
        check_input(graph, f).map_err(|e| bad(format!("frame {i}: {e}")))?;
    }
    let y = match npz::read_array(&mut ar, &file, "y", crate::limits::MAX_ARRAY_VALUES)? {
        None => None,
        Some((ys, yv)) if ys.len() == 1 && ys[0] == shape[0] => Some(yv),
        Some((ys, yv)) if ys.len() == 2 && ys[0] == shape[0] && ys[1] > 0 => Some(
            yv.chunks_exact(ys[1] as usize)
                .map(|r| argmax(r) as i64)
                .collect(),
        ),
        Some((ys, _)) => {
            return Err(bad(format!(
                "array `y` has shape {ys:?}; expected [{}] labels or [{}, classes]",
                shape[0], shape[0]
            )));
        }
    };
    let classes = graph.g[graph.output].out.shape.elems() as i64;
    if let Some((i, l)) = y
        .iter()
        .flatten()
        .enumerate()
        .find(|(_, l)| !(0..classes).contains(*l))
    {
        return Err(bad(format!(
            "label {i} is {l}, but the model has {classes} outputs (labels are 0..={})",
            classes - 1
        )));
    }
    Ok((frames, y))
}

/// Runs the evaluation; writes the outputs to `out` (`[N, ...output shape]` int64 `.npy`).
/// Random frames (no `data`) are generated one at a time, so only `--out` holds all outputs.
pub fn evaluate(
    graph: &Graph,
    params: &Params,
    seed: u64,
    data: Option<&Path>,
    frames: usize,
    out: Option<&Path>,
) -> Result<EvalReport> {
    let (inputs, labels) = match data {
        Some(p) => {
            let (x, y) = load_data(graph, p)?;
            (Some(x), y)
        }
        None => {
            if frames == 0 || frames > MAX_EVAL_FRAMES {
                return Err(Error::InvalidOption(format!(
                    "--frames must be in 1..={MAX_EVAL_FRAMES}, got {frames}"
                )));
            }
            (None, None)
        }
    };
    let n = inputs.as_ref().map_or(frames, Vec::len);
    let out_shape = graph.g[graph.output].out.shape;
    if out.is_some() {
        let values = (n as u64).saturating_mul(out_shape.elems());
        if values > MAX_ARRAY_VALUES {
            return Err(Error::InvalidOption(format!(
                "--out: {}",
                limits::exceeded("the number of output values", values, MAX_ARRAY_VALUES)
            )));
        }
    }
    let t0 = Instant::now();
    let mut kept: Vec<i64> = Vec::new();
    let mut correct = 0usize;
    for i in 0..n {
        let o = match &inputs {
            Some(x) => run(graph, params, &x[i])?,
            None => run(graph, params, &random_input(graph, seed, i))?,
        };
        if labels.as_ref().is_some_and(|y| argmax(&o) as i64 == y[i]) {
            correct += 1;
        }
        if out.is_some() {
            kept.extend_from_slice(&o);
        }
    }
    let run_s = t0.elapsed().as_secs_f64();
    if let Some(path) = out {
        let mut shape = vec![n as u64];
        shape.extend(out_shape.dims().iter().map(|&d| d as u64));
        write_npy_i64(path, &shape, &kept)?;
    }
    let correct = labels.as_ref().map(|_| correct);
    Ok(EvalReport {
        model: graph.name.clone(),
        frames: n,
        accuracy: correct.map(|c| c as f64 / n.max(1) as f64),
        correct,
        run_s,
        fps: n as f64 / run_s.max(1e-9),
    })
}
