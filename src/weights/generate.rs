//! Deterministic pseudo-random parameters: the same bytes on every platform for a given seed.
//!
//! Every layer draws from its own SplitMix64 stream seeded with `seed ^ fnv1a64(layer name)`,
//! so adding a layer does not change the others. Weights are uniform over the symmetric
//! ("narrow") range `[-(2^(b-1)-1), 2^(b-1)-1]` of their type (bipolar: -1 or +1), which keeps
//! the accumulator zero-mean; biases are uniform within `±sigma/2`, where `sigma` is the
//! accumulator's standard deviation on random data (the rule `ir::requant` derives scales
//! from), clipped to the bias range of the IR.

use super::{LayerParams, Params, spec};
use crate::format::ElemType;
use crate::ir::Graph;
use crate::ops::requant::derive::{mean_square, weight_mean_square};

/// SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number generators", 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi` (by rejection, so exactly uniform).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        let zone = u64::MAX - u64::MAX % span;
        loop {
            let v = self.next_u64();
            if v < zone {
                return lo + (v % span) as i64;
            }
        }
    }

    /// A uniform value of type `t` over its full range (bipolar: -1 or +1).
    pub fn value(&mut self, t: ElemType) -> i64 {
        if t.is_bipolar() {
            if self.next_u64() & 1 == 1 { 1 } else { -1 }
        } else {
            self.range(t.min(), t.max())
        }
    }
}

/// FNV-1a, 64 bit, of `s` ([`crate::hash::fnv1a64`]).
pub fn fnv1a64(s: &str) -> u64 {
    crate::hash::fnv1a64(s.as_bytes())
}

/// Makes every output channel (the last, fastest axis of `w`, `cols` wide) non-negative in
/// sum and not all zero: a channel whose weights sum below zero is negated (its values stay in
/// the symmetric range), an all-zero channel gets a `+1`. With non-negative (relu) inputs no
/// generated channel is then dead, so no layer output is constant on random data.
fn balance_columns(w: &mut [i64], cols: usize) {
    if cols == 0 || w.is_empty() {
        return;
    }
    for c in 0..cols {
        let sum: i64 = w.iter().skip(c).step_by(cols).sum();
        if sum < 0 {
            w.iter_mut().skip(c).step_by(cols).for_each(|v| *v = -*v);
        } else if w.iter().skip(c).step_by(cols).all(|&v| v == 0) {
            w[c] = 1;
        }
    }
}

/// Generates every layer's parameters from `seed`.
pub fn generate(seed: u64, graph: &Graph) -> Params {
    let mut out = Params::default();
    for n in graph.layers() {
        let node = &graph.g[n];
        let Some(op) = node.op() else { continue };
        let s = spec(op, node);
        let Some(wt) = s.weight_type else { continue };
        let mut rng = SplitMix64::new(seed ^ fnv1a64(&node.name));
        let count: u64 = s.weight_shape.iter().product();
        let mut weight: Vec<i64> = (0..count)
            .map(|_| {
                if wt.is_bipolar() {
                    rng.value(wt)
                } else {
                    let m = wt.max();
                    rng.range(-m, m)
                }
            })
            .collect();
        balance_columns(
            &mut weight,
            s.bias_len.max(*s.weight_shape.last().unwrap_or(&1)) as usize,
        );
        let sigma = (s.fan_in as f64 * weight_mean_square(wt) * mean_square(s.input_type)).sqrt();
        let half = ((sigma / 2.0).round() as i64)
            .min(s.bias_range.1)
            .min(-s.bias_range.0)
            .max(0);
        let bias = (0..s.bias_len).map(|_| rng.range(-half, half)).collect();
        out.layers
            .insert(node.name.clone(), LayerParams { weight, bias });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (reference implementation by Vigna).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn ranges_are_respected() {
        let mut r = SplitMix64::new(7);
        for _ in 0..1000 {
            let v = r.range(-3, 3);
            assert!((-3..=3).contains(&v));
        }
        let bip = ElemType {
            bits: 1,
            signed: false,
        };
        assert!((0..100).all(|_| r.value(bip).abs() == 1));
    }

    #[test]
    fn balanced_columns() {
        let mut w = vec![-1, 0, -1, 0, 1, 0];
        balance_columns(&mut w, 2);
        assert_eq!(w, vec![1, 1, 1, 0, -1, 0]);
    }
}
