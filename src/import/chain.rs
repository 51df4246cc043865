//! A layer's accumulator on its way to the next quantizer, as the ONNX model computes it: the
//! real value `v = acc * s0[c]`, then float32 steps (a conv's float bias, batch
//! normalisation, `Mul`, `Div`, `Add` by constants, `Relu`, a pool's division), then a
//! quantizer (`Quant`, `BipolarQuant`, `Trunc`, `MultiThreshold`). Every step is
//! non-decreasing in `v` when the channel's direction is positive, so the quantizer's level is
//! a non-decreasing function of the integer accumulator: a count of thresholds, found here by
//! evaluating the very float32 arithmetic the executor runs (qonnx's numpy quantizers,
//! onnxruntime's batch normalisation `x * s + (beta - mean * s)`, `s = (1 / sqrt(var + eps)) *
//! gamma`)
//! at integer accumulators, so the thresholds are exact wherever the executor's accumulator is
//! (power-of-two weight and input scales: docs/import.md).

/// One float32 step, per channel (one entry for every channel, or one per channel).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `v * m`.
    Mul(Vec<f32>),
    /// `v / d`.
    Div(Vec<f32>),
    /// `v + a`.
    Add(Vec<f32>),
    /// `v * scale + bias` (onnxruntime's batch normalisation, folded constants).
    MulAdd(Vec<f32>, Vec<f32>),
    /// `max(v, 0)`.
    Relu,
}

fn at(v: &[f32], c: usize) -> f32 {
    if v.len() == 1 {
        v[0]
    } else {
        v.get(c).copied().unwrap_or(0.0)
    }
}

/// The steps from an accumulator to the real value the quantizer sees.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chain {
    /// Real value of one accumulator step per channel (one entry when shared).
    pub s0: Vec<f64>,
    /// The float32 steps after it.
    pub steps: Vec<Step>,
}

impl Chain {
    /// The real value the quantizer sees for accumulator `acc` on channel `c`.
    pub fn eval(&self, c: usize, acc: i64) -> f32 {
        let s0 = if self.s0.len() == 1 {
            self.s0[0]
        } else {
            self.s0.get(c).copied().unwrap_or(0.0)
        };
        let mut v = (acc as f64 * s0) as f32;
        for s in &self.steps {
            v = match s {
                Step::Mul(m) => v * at(m, c),
                Step::Div(d) => v / at(d, c),
                Step::Add(a) => v + at(a, c),
                Step::MulAdd(m, a) => v * at(m, c) + at(a, c),
                Step::Relu => v.max(0.0),
            };
        }
        v
    }

    /// +1 when the value grows with the accumulator on channel `c`, -1 when it falls, 0 when
    /// it is constant (a zero factor).
    pub fn direction(&self, c: usize) -> i32 {
        let s0 = if self.s0.len() == 1 {
            self.s0[0]
        } else {
            self.s0.get(c).copied().unwrap_or(0.0)
        };
        let mut sign = s0.signum() as i32;
        if s0 == 0.0 {
            sign = 0;
        }
        for s in &self.steps {
            let f = match s {
                Step::Mul(m) | Step::Div(m) | Step::MulAdd(m, _) => at(m, c),
                Step::Add(_) | Step::Relu => 1.0,
            };
            if f == 0.0 {
                return 0;
            }
            if f < 0.0 {
                sign = -sign;
            }
        }
        sign
    }

    /// The chain when channel `c`'s accumulator is negated (`acc' = -acc`).
    pub fn negate(&mut self, channels: usize, flip: &[bool]) {
        let mut s0: Vec<f64> = (0..channels)
            .map(|c| {
                if self.s0.len() == 1 {
                    self.s0[0]
                } else {
                    self.s0[c]
                }
            })
            .collect();
        for (c, s) in s0.iter_mut().enumerate() {
            if flip.get(c).copied().unwrap_or(false) {
                *s = -*s;
            }
        }
        self.s0 = s0;
    }

    /// True when the steps keep the value an integer multiple of one real step: only
    /// multiplications and divisions by constants shared by every channel, and additions of
    /// multiples of that step. Returns that step and the integer added per channel.
    pub fn as_integer(&self, channels: usize) -> Option<(f64, Vec<i64>)> {
        let first = *self.s0.first()?;
        if self.s0.iter().any(|&s| s != first) {
            return None;
        }
        let mut step = first;
        let mut bias = vec![0i64; channels];
        for s in &self.steps {
            match s {
                Step::Mul(m) if m.len() == 1 && m[0] > 0.0 => step *= f64::from(m[0]),
                Step::Div(d) if d.len() == 1 && d[0] > 0.0 => step /= f64::from(d[0]),
                Step::Add(a) => {
                    for (c, b) in bias.iter_mut().enumerate() {
                        let q = f64::from(at(a, c)) / step;
                        if q.fract() != 0.0 || q.abs() > (1u64 << 40) as f64 {
                            return None;
                        }
                        *b += q as i64;
                    }
                }
                _ => return None,
            }
        }
        Some((step, bias))
    }
}

/// How a quantizer turns a real number into an integer (qonnx's `rounding_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// `ROUND`, `HALF_EVEN`: to the nearest, ties to even (numpy's `round`).
    HalfEven,
    /// `CEIL`.
    Ceil,
    /// `FLOOR`.
    Floor,
    /// `UP`: away from zero.
    Up,
    /// `DOWN`: toward zero.
    Down,
    /// `HALF_UP`: to the nearest, ties away from zero.
    HalfUp,
    /// `HALF_DOWN`: to the nearest, ties toward zero.
    HalfDown,
}

impl Rounding {
    /// The mode qonnx names `name` (any case).
    pub fn parse(name: &str) -> Option<Rounding> {
        Some(match name.to_ascii_uppercase().as_str() {
            "ROUND" | "HALF_EVEN" => Rounding::HalfEven,
            "CEIL" => Rounding::Ceil,
            "FLOOR" => Rounding::Floor,
            "UP" => Rounding::Up,
            "DOWN" => Rounding::Down,
            "HALF_UP" => Rounding::HalfUp,
            "HALF_DOWN" => Rounding::HalfDown,
            _ => return None,
        })
    }

    /// `x` rounded, in float32 as numpy computes it (qonnx's `resolve_rounding_mode`).
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Rounding::HalfEven => x.round_ties_even(),
            Rounding::Ceil => x.ceil(),
            Rounding::Floor => x.floor(),
            Rounding::Up => x.signum() * x.abs().ceil(),
            Rounding::Down => x.trunc(),
            Rounding::HalfUp => x.signum() * (x.abs() + 0.5).floor(),
            Rounding::HalfDown => x.signum() * (x.abs() - 0.5).ceil(),
        }
    }
}

/// A quantizer after a chain: what level an input value gives.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantizer {
    /// qonnx `Quant`: `clip(round(v / scale + zeropt), lo, hi)`.
    Uniform {
        /// The rounding mode.
        mode: Rounding,
        /// Scale per channel (one when shared).
        scale: Vec<f32>,
        /// Zero point (must be 0 for an integer stream).
        zero: f32,
        /// Smallest level.
        lo: i64,
        /// Largest level.
        hi: i64,
    },
    /// qonnx `Trunc`: `round(v / scale)` (half to even), divided by `2^bits`, clipped to
    /// `lo..=hi` (version 2 only), then rounded by `mode` (version 1: no clipping, `lo`, `hi`
    /// the levels the accumulator's range reaches).
    Trunc {
        /// Scale (one).
        scale: f32,
        /// `2^(input bits - output bits)`.
        divisor: f32,
        /// The rounding mode.
        mode: Rounding,
        /// Smallest level.
        lo: i64,
        /// Largest level.
        hi: i64,
        /// Clip before rounding (version 2).
        clip: bool,
    },
    /// qonnx `BipolarQuant`: `v >= 0 ? +1 : -1`.
    Bipolar,
    /// FINN's `MultiThreshold`: `bias + #{i : v >= t[c][i]}`, thresholds `[C or 1][n]`.
    Thresholds {
        /// Thresholds, rows of `n`.
        t: Vec<f32>,
        /// Thresholds per channel.
        n: usize,
        /// The level below every threshold.
        bias: i64,
    },
}

impl Quantizer {
    /// The lowest and the highest level.
    pub fn range(&self) -> (i64, i64) {
        match self {
            Quantizer::Uniform { lo, hi, .. } | Quantizer::Trunc { lo, hi, .. } => (*lo, *hi),
            Quantizer::Bipolar => (-1, 1),
            Quantizer::Thresholds { n, bias, .. } => (*bias, bias.saturating_add(*n as i64)),
        }
    }

    /// Thresholds per channel in half-gen's format (bipolar: one, the sign's).
    pub fn count(&self) -> usize {
        match self {
            Quantizer::Uniform { lo, hi, .. } | Quantizer::Trunc { lo, hi, .. } => {
                hi.saturating_sub(*lo).max(0) as usize
            }
            Quantizer::Bipolar => 1,
            Quantizer::Thresholds { n, .. } => *n,
        }
    }

    /// The number of thresholds value `v` reaches on channel `c` (so the level is the
    /// lowest level plus it).
    pub fn passed(&self, c: usize, v: f32) -> i64 {
        match self {
            Quantizer::Uniform {
                mode,
                scale,
                zero,
                lo,
                hi,
            } => {
                let q = mode.apply(v / at(scale, c) + zero);
                let q = if q.is_nan() { *lo as f32 } else { q };
                (q as i64).clamp(*lo, *hi) - lo
            }
            Quantizer::Trunc {
                scale,
                divisor,
                mode,
                lo,
                hi,
                clip,
            } => {
                let mut y = (v / scale).round_ties_even() / divisor;
                if *clip {
                    y = y.clamp(*lo as f32, *hi as f32);
                }
                let q = mode.apply(y);
                let q = if q.is_nan() { *lo as f32 } else { q };
                (q as i64).clamp(*lo, *hi) - lo
            }
            Quantizer::Bipolar => i64::from(v >= 0.0),
            Quantizer::Thresholds { t, n, .. } => {
                let row = if t.len() == *n { 0 } else { c };
                let row = t.get(row * n..(row + 1) * n).unwrap_or(&[]);
                row.iter().filter(|&&th| v >= th).count() as i64
            }
        }
    }
}

/// The thresholds on the integer accumulator of channels `0..channels` that reproduce
/// `q(chain(acc))`: threshold `k` is the least accumulator in `lo..=hi + 1` whose level has
/// passed `k + 1` steps (`hi + 1` when none does). The chain must be non-decreasing on every
/// channel (see [`Chain::direction`]).
pub fn thresholds(chain: &Chain, q: &Quantizer, channels: usize, lo: i64, hi: i64) -> Vec<i64> {
    let n = q.count();
    let mut out = Vec::with_capacity(channels * n);
    for c in 0..channels {
        let passed = |acc: i64| q.passed(c, chain.eval(c, acc));
        for k in 1..=n as i64 {
            // Least acc in [lo, hi + 1] with passed(acc) >= k (hi + 1 stands for "never").
            let (mut a, mut b) = (lo, hi.saturating_add(1));
            while a < b {
                let mid = (i128::from(a) + i128::from(b)).div_euclid(2) as i64;
                if passed(mid) >= k {
                    b = mid;
                } else {
                    a = mid + 1;
                }
            }
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_reproduce_the_quantizer() {
        // v = acc * 0.25, batch norm, relu, 2-bit unsigned at scale 0.3.
        let chain = Chain {
            s0: vec![0.25],
            steps: vec![Step::MulAdd(vec![1.3, 0.7], vec![-0.2, 0.4]), Step::Relu],
        };
        let q = Quantizer::Uniform {
            mode: Rounding::HalfEven,
            scale: vec![0.3],
            zero: 0.0,
            lo: 0,
            hi: 3,
        };
        let t = thresholds(&chain, &q, 2, -100, 100);
        assert_eq!(t.len(), 6);
        for c in 0..2 {
            let row = &t[c * 3..c * 3 + 3];
            for acc in -100..=100 {
                let count = row.iter().filter(|&&x| acc >= x).count() as i64;
                assert_eq!(count, q.passed(c, chain.eval(c, acc)), "c {c} acc {acc}");
            }
        }
    }

    #[test]
    fn thresholds_over_negative_and_extreme_ranges() {
        // The bisection's midpoint rounds down for negative ranges too (rounding toward zero
        // once looped forever), and the widest range does not overflow.
        let chain = Chain {
            s0: vec![1.0],
            steps: Vec::new(),
        };
        let q = Quantizer::Thresholds {
            t: vec![-500.0, -20.5],
            n: 2,
            bias: 0,
        };
        assert_eq!(thresholds(&chain, &q, 1, -1000, -10), vec![-500, -20]);
        assert_eq!(thresholds(&chain, &q, 1, -1000, -600), vec![-599, -599]);
        let wide = thresholds(&chain, &q, 1, i64::MIN, i64::MAX);
        assert_eq!(wide.len(), 2);
    }

    #[test]
    fn integer_chains_and_directions() {
        let chain = Chain {
            s0: vec![0.5],
            steps: vec![Step::Mul(vec![0.25]), Step::Add(vec![0.375, -0.25])],
        };
        assert_eq!(chain.as_integer(2), Some((0.125, vec![3, -2])));
        let bn = Chain {
            s0: vec![0.5, 0.5],
            steps: vec![Step::MulAdd(vec![1.0, -2.0], vec![0.0, 0.0])],
        };
        assert_eq!((bn.direction(0), bn.direction(1)), (1, -1));
        assert_eq!(bn.as_integer(2), None);
        let q = Quantizer::Bipolar;
        assert_eq!((q.passed(0, -0.0), q.passed(0, -1e-9)), (1, 0));
    }
}
