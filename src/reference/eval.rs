//! `half-gen eval`: runs the reference on a data set (or seeded random frames), reports top-1
//! accuracy when labels are given and the interpreter's speed.

use super::{check_input, random_inputs, run};
use crate::error::{Error, Result};
use crate::ir::Graph;
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
    let bad = |m: String| Error::Usage(format!("{file}: {m}"));
    let (shape, x) = npz::read_array(&mut ar, &file, "x")?
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
    let per = t.shape.elems() as usize;
    let frames: Vec<Vec<i64>> = x.chunks_exact(per.max(1)).map(<[i64]>::to_vec).collect();
    for (i, f) in frames.iter().enumerate() {
        check_input(graph, f).map_err(|e| bad(format!("frame {i}: {e}")))?;
    }
    let y = match npz::read_array(&mut ar, &file, "y")? {
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
    Ok((frames, y))
}

/// Runs the evaluation; writes the outputs to `out` (`[N, ...output shape]` int64 `.npy`).
pub fn evaluate(
    graph: &Graph,
    params: &Params,
    seed: u64,
    data: Option<&Path>,
    frames: usize,
    out: Option<&Path>,
) -> Result<EvalReport> {
    let (inputs, labels) = match data {
        Some(p) => load_data(graph, p)?,
        None => (random_inputs(graph, seed, frames), None),
    };
    let t0 = Instant::now();
    let outputs: Vec<Vec<i64>> = inputs
        .iter()
        .map(|x| run(graph, params, x))
        .collect::<Result<_>>()?;
    let run_s = t0.elapsed().as_secs_f64();
    let correct = labels.as_ref().map(|y| {
        outputs
            .iter()
            .zip(y)
            .filter(|(o, l)| argmax(o) as i64 == **l)
            .count()
    });
    if let Some(path) = out {
        let mut shape = vec![outputs.len() as u64];
        shape.extend(
            graph.g[graph.output]
                .out
                .shape
                .dims()
                .iter()
                .map(|&d| d as u64),
        );
        let flat: Vec<i64> = outputs.concat();
        write_npy_i64(path, &shape, &flat)?;
    }
    let n = inputs.len();
    Ok(EvalReport {
        model: graph.name.clone(),
        frames: n,
        accuracy: correct.map(|c| c as f64 / n.max(1) as f64),
        correct,
        run_s,
        fps: n as f64 / run_s.max(1e-9),
    })
}
