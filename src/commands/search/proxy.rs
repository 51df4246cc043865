//! Accuracy proxies for a search without an evaluator: the parameter count, the MAC count, or
//! the NASWOT score of the untrained network (Mellor, Turner, Storkey, Crowley: "Neural
//! Architecture Search without Training", ICML 2021), computed with the bit-exact reference
//! interpreter on the candidate's seeded weights.

use crate::error::{Error, Result};
use crate::format::Activation;
use crate::ir::Graph;
use crate::model::Model;
use crate::ops::NodeKind;
use crate::reference::{self, calibrate::calibrate, random_inputs};
use crate::weights;
use std::path::Path;

/// Input frames NASWOT looks at.
pub const NASWOT_BATCH: usize = 32;

/// Salt so NASWOT's seeded frames differ from the test vectors and the calibration frames.
const NASWOT_SALT: u64 = 0x4E41_5357_4F54;

/// A pivot below this is taken as this value in the log-determinant (see [`naswot_score`]).
const PIVOT_FLOOR: f64 = 1e-9;

/// The built-in accuracy proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proxy {
    /// Weights and biases: more capacity, more accuracy (the default).
    #[default]
    Params,
    /// Multiply-accumulates per frame.
    Macs,
    /// NASWOT: log-determinant of the activation-pattern kernel on a seeded batch.
    Naswot,
}

impl Proxy {
    /// Parses `params`, `macs` or `naswot`.
    pub fn parse(s: &str) -> Result<Proxy> {
        match s {
            "params" => Ok(Proxy::Params),
            "macs" => Ok(Proxy::Macs),
            "naswot" => Ok(Proxy::Naswot),
            _ => Err(Error::InvalidOption(format!(
                "--proxy: unknown proxy `{s}`; expected params, macs or naswot"
            ))),
        }
    }

    /// The proxy's name.
    pub fn name(&self) -> &'static str {
        match self {
            Proxy::Params => "params",
            Proxy::Macs => "macs",
            Proxy::Naswot => "naswot",
        }
    }
}

/// Frames for NASWOT: the first [`NASWOT_BATCH`] of `data` (an `x` array of whole input
/// frames), else seeded random frames uniform over the input type.
fn frames(graph: &Graph, seed: u64, data: Option<&[Vec<i64>]>) -> Result<Vec<Vec<i64>>> {
    match data {
        None => Ok(random_inputs(graph, seed ^ NASWOT_SALT, NASWOT_BATCH)),
        Some(d) => {
            let f: Vec<Vec<i64>> = d.iter().take(NASWOT_BATCH).cloned().collect();
            for x in &f {
                reference::check_input(graph, x)?;
            }
            Ok(f)
        }
    }
}

/// Loads the input frames `x` of a data `.npz` (checked per candidate against its input).
pub fn load_frames(path: &Path) -> Result<Vec<Vec<i64>>> {
    let file = path.display().to_string();
    let mut ar = weights::npz::open(path)?;
    let (shape, x) =
        weights::npz::read_array(&mut ar, &file, "x", crate::limits::MAX_ARRAY_VALUES)?
            .ok_or_else(|| {
                Error::BadInputFile(format!("{file}: no array `x` (the input frames)"))
            })?;
    let per = shape.iter().skip(1).product::<u64>().max(1) as usize;
    Ok(x.chunks_exact(per).map(<[i64]>::to_vec).collect())
}

/// The NASWOT score of a candidate: its weights generated from the model seed and its
/// requantisers calibrated (as `half-gen build` does), then every ReLU layer's output on each
/// frame binarised (`> 0`); `c_i` is frame `i`'s code over all those units. The kernel is
/// `K[i][j] = N_A - hamming(c_i, c_j)` (`N_A` = number of units) and the score is `ln |det K|`
/// (Mellor et al. 2021, eq. 2). A zero pivot (two frames with identical codes, or no ReLU at
/// all) counts as [`PIVOT_FLOOR`], so degenerate networks score low but finite.
pub fn naswot(model: &Model, graph: &Graph, data: Option<&[Vec<i64>]>) -> Result<f64> {
    let mut g = graph.clone();
    let mut params = weights::load(model, &mut g)?;
    calibrate(&mut g, &mut params, model.seed, model.weights.is_none())?;
    let relu: Vec<usize> = g
        .layers()
        .filter(|&n| g.g[n].activation == Activation::Relu)
        .filter(|&n| matches!(g.g[n].kind, NodeKind::Layer { .. }))
        .map(|n| n.index())
        .collect();
    let mut codes: Vec<Vec<u64>> = Vec::new();
    let mut units = 0usize;
    for x in frames(&g, model.seed, data)? {
        let t = reference::trace(&g, &params, &x)?;
        let mut bits: Vec<u64> = Vec::new();
        let mut k = 0usize;
        for &i in &relu {
            for &v in &t.values[i] {
                if k.is_multiple_of(64) {
                    bits.push(0);
                }
                if v > 0
                    && let Some(w) = bits.last_mut()
                {
                    *w |= 1 << (k % 64);
                }
                k += 1;
            }
        }
        units = k;
        codes.push(bits);
    }
    let n = codes.len();
    let kernel: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let ham: u32 = codes[i]
                        .iter()
                        .zip(&codes[j])
                        .map(|(a, b)| (a ^ b).count_ones())
                        .sum();
                    (units - ham as usize) as f64
                })
                .collect()
        })
        .collect();
    Ok(naswot_score(kernel))
}

/// `ln |det K|` by Gaussian elimination with partial pivoting; pivots below [`PIVOT_FLOOR`]
/// in magnitude count as [`PIVOT_FLOOR`].
pub fn naswot_score(mut k: Vec<Vec<f64>>) -> f64 {
    let n = k.len();
    let mut logdet = 0.0;
    for c in 0..n {
        let p = (c..n)
            .max_by(|&a, &b| k[a][c].abs().total_cmp(&k[b][c].abs()))
            .unwrap_or(c);
        k.swap(c, p);
        let piv = k[c][c];
        if piv.abs() < PIVOT_FLOOR {
            logdet += PIVOT_FLOOR.ln();
            continue;
        }
        logdet += piv.abs().ln();
        let (top, rest) = k.split_at_mut(c + 1);
        let pivot_row = &top[c];
        for row in rest.iter_mut() {
            let f = row[c] / piv;
            if f != 0.0 {
                for (x, p) in row[c..].iter_mut().zip(&pivot_row[c..]) {
                    *x -= f * p;
                }
            }
        }
    }
    logdet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_determinants() {
        let k = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        assert!((naswot_score(k) - 8f64.ln()).abs() < 1e-12);
        let singular = vec![vec![1.0, 1.0], vec![1.0, 1.0]];
        assert!((naswot_score(singular) - PIVOT_FLOOR.ln()).abs() < 1e-9);
    }
}
