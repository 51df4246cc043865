//! The pure arithmetic of the int8 QDQ / QOperator importer: onnxruntime's float32 multipliers,
//! multipliers that share one shift, element types from ONNX data types, and the shapes a
//! `Reshape` may produce.

use crate::format::ElemType;
use crate::import::proto::data_type as dt;

/// The largest requantisation scale the importer writes: `2^21 - 1` (as `fixed_point`).
const TOP: f64 = ((1i64 << 21) - 1) as f64;

/// `a * b` in float32, as onnxruntime computes `input scale * weight scale`.
pub fn product_f32(a: f64, b: f64) -> f64 {
    f64::from(a as f32 * b as f32)
}

/// `num / den` in float32, as onnxruntime computes a requantisation multiplier
/// (`x_scale * w_scale / y_scale`, `a_scale / c_scale`).
pub fn ratio_f32(num: f64, den: f64) -> f64 {
    f64::from(num as f32 / den as f32)
}

/// Positive factors `f_i` as integer scales sharing one right shift, `scale_i / 2^shift`: the
/// finest shift in `0..=62` that keeps every scale at most `2^21 - 1`, each scale rounded and
/// at least 1. `None` when a factor is not finite and positive, or there is none.
pub fn shared_fixed_point(f: &[f64]) -> Option<(Vec<i64>, i64)> {
    if f.is_empty() || f.iter().any(|x| !x.is_finite() || *x <= 0.0) {
        return None;
    }
    let max = f.iter().copied().fold(0.0, f64::max);
    let mut shift = 0i32;
    while shift < 62 && (max * 2f64.powi(shift + 1)).round() <= TOP {
        shift += 1;
    }
    let scales = f
        .iter()
        .map(|x| (x * 2f64.powi(shift)).round().clamp(1.0, TOP) as i64)
        .collect();
    Some((scales, i64::from(shift)))
}

/// The largest requantisation scale a model may hold is below 2^22 (docs/model-format.md,
/// section 9); the exact fit below stays inside it.
const EXACT_TOP: i128 = (1 << 22) - 1;

/// onnxruntime's requantisation of an integer accumulator by its float32 multiplier `m`
/// (MLAS `MlasRequantizeOutput`, used by QLinearConv, QLinearMatMul and the QDQ kernels):
/// `float(acc) * m` in float32, rounded half to even, clamped to `[lo, hi]`.
pub fn ort_requant(acc: i64, m: f32, (lo, hi): (i64, i64)) -> i64 {
    ((acc as f32 * m).round_ties_even() as i64).clamp(lo, hi)
}

/// The reachable accumulators `[lo, hi]` per output channel of a layer whose weights array has
/// the output channel as its last axis (`[kh, kw, cin, cout]`, `[kh, kw, c]`, `[k, n]`), on
/// inputs of type `x`, with the optional per-channel `bias`.
pub fn acc_ranges(
    weights: &[i64],
    outs: usize,
    x: ElemType,
    bias: Option<&[i64]>,
) -> Vec<(i64, i64)> {
    let (xl, xh) = (x.min(), x.max());
    let mut r: Vec<(i64, i64)> = (0..outs)
        .map(|c| {
            let b = bias.and_then(|b| b.get(c)).copied().unwrap_or(0);
            (b, b)
        })
        .collect();
    for (i, &w) in weights.iter().enumerate() {
        if let Some(e) = r.get_mut(i % outs.max(1)) {
            let (a, b) = (w.saturating_mul(xl), w.saturating_mul(xh));
            e.0 = e.0.saturating_add(a.min(b));
            e.1 = e.1.saturating_add(a.max(b));
        }
    }
    r
}

/// The first accumulator of `range` that `ort_requant` takes to `level` or above (`None` when
/// none does; the function is non-decreasing in the accumulator, `m > 0`).
fn first_reaching(level: i64, m: f32, range: (i64, i64), out: (i64, i64)) -> Option<i64> {
    let (mut lo, mut hi) = range;
    if ort_requant(hi, m, out) < level {
        return None;
    }
    while lo < hi {
        let mid = lo + (hi - lo).div_euclid(2);
        if ort_requant(mid, m, out) >= level {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(lo)
}

/// Narrows `[lo, hi]` to the integers `s` with `a * s <= n`.
fn at_most(a: i128, n: i128, (lo, hi): &mut (i128, i128)) {
    match a.signum() {
        1 => *hi = (*hi).min(n.div_euclid(a)),
        -1 => *lo = (*lo).max(-n.div_euclid(-a)),
        _ if n < 0 => *hi = *lo - 1,
        _ => {}
    }
}

/// An integer requantisation `(acc * scale + 2^(shift-1)) >> shift` fitted to onnxruntime's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// The scale, below 2^22.
    pub scale: i64,
    /// The right shift.
    pub shift: i64,
    /// The reachable accumulators at which it differs from onnxruntime (by one step).
    pub missed: u64,
}

/// The first accumulator of every output level `k` in `out.0+1..=out.1` under onnxruntime's
/// requantisation (`None`: no accumulator of `range` reaches `k`); `None` for a multiplier
/// that is not finite and positive, an empty range or more than 256 output levels.
fn level_starts(m: f32, range: (i64, i64), out: (i64, i64)) -> Option<Vec<(i128, Option<i64>)>> {
    if !(m.is_finite() && m > 0.0) || range.0 > range.1 || out.1 - out.0 > 256 {
        return None;
    }
    Some(
        (out.0 + 1..=out.1)
            .map(|k| (i128::from(k), first_reaching(k, m, range, out)))
            .collect(),
    )
}

/// `N_k`: level `k` of `(acc * s + 2^(shift-1)) >> shift` holds from `acc * s >= N_k`, so
/// `N_k = (2k - 1) 2^(shift-1)` (`k` when `shift` is 0: no rounding term).
fn level_bound(k: i128, shift: u32) -> i128 {
    if shift == 0 {
        k
    } else {
        (2 * k - 1) << (shift - 1)
    }
}

/// onnxruntime's requantisation by `m` on `range` as thresholds: for every output level `k` in
/// `out.0+1..=out.1`, the first accumulator it reaches `k` at (`range.1 + 1` when it never
/// does), so that `out.0 + #{t : acc >= t}` is its value at every accumulator of `range`.
/// `None` under the conditions of [`fit_fixed_point`].
pub fn ort_thresholds(m: f32, range: (i64, i64), out: (i64, i64)) -> Option<Vec<i64>> {
    let beyond = range.1.checked_add(1)?;
    Some(
        level_starts(m, range, out)?
            .into_iter()
            .map(|(_, first)| first.unwrap_or(beyond))
            .collect(),
    )
}

/// The scales `s` (in `1..2^22`) with which level `k` of the integer form starts where
/// onnxruntime's does: `(acc*s + 2^(sh-1)) >> sh >= k` holds from `acc = ceil(N_k / s)`,
/// `N_k = (2k - 1) 2^(sh-1)` (`k` when `sh = 0`), so a first accumulator `t` asks for
/// `(t - 1) s < N_k <= t s`; a level no accumulator reaches asks for `N_k > hi * s`, one that
/// every accumulator reaches for `N_k <= lo * s`.
fn scales_for_level(
    k: i128,
    first: Option<i64>,
    shift: u32,
    (lo, hi): (i128, i128),
) -> (i128, i128) {
    let n = level_bound(k, shift);
    let mut s = (1i128, EXACT_TOP);
    match first.map(i128::from) {
        None => at_most(hi, n - 1, &mut s),
        Some(t) if t == lo => at_most(-lo, -n, &mut s),
        Some(t) => {
            at_most(-t, -n, &mut s);
            at_most(t - 1, n - 1, &mut s);
        }
    }
    s
}

/// The accumulators of `range` at which level `k` of the form `(scale, shift)` starts apart
/// from onnxruntime's first accumulator `first`.
fn level_misses(
    k: i128,
    first: Option<i64>,
    (scale, shift): (i128, u32),
    (lo, hi): (i128, i128),
) -> u64 {
    let n = level_bound(k, shift);
    let ours = (-((-n).div_euclid(scale))).clamp(lo, hi + 1);
    let theirs = first.map_or(hi + 1, i128::from);
    u64::try_from((ours - theirs).abs()).unwrap_or(u64::MAX)
}

/// The integer requantisation (scale below 2^22) closest to onnxruntime's [`ort_requant`] by
/// `m` on the accumulators of `range`, clamped to `out`: the smallest shift at which some scale
/// starts every output level where onnxruntime's does (then `missed` is 0: equal at every
/// reachable accumulator), else the scale and shift that start the most levels there.
/// `None` for a multiplier that is not finite and positive, an empty range or more than 256
/// output levels.
///
/// Why: a 21-bit scale nearest `m` differs from it by up to 2^-21 relative, enough to move a
/// level of a wide accumulator by one (seen on a per-channel int8 ResNet-8). Both forms are
/// non-decreasing step functions of the accumulator, so they agree wherever their levels start
/// at the same accumulators; a tie that onnxruntime rounds to even (`2.5 -> 2`, `3.5 -> 4`) is
/// what no half-up form reproduces, and is then one level missed at one accumulator.
pub fn fit_fixed_point(m: f32, range: (i64, i64), out: (i64, i64)) -> Option<Fit> {
    let starts = level_starts(m, range, out)?;
    let r = (i128::from(range.0), i128::from(range.1));
    let mut best: Option<(usize, Fit)> = None;
    for shift in 0..=62u32 {
        let ideal = f64::from(m) * 2f64.powi(shift as i32);
        if ideal > EXACT_TOP as f64 + 1.0 {
            break;
        }
        let intervals: Vec<(i128, i128)> = starts
            .iter()
            .map(|&(k, first)| scales_for_level(k, first, shift, r))
            .collect();
        let (count, scale) = most_covered(&intervals, ideal.round() as i128);
        if best.as_ref().is_some_and(|(c, _)| *c >= count) {
            continue;
        }
        let missed = starts
            .iter()
            .map(|&(k, first)| level_misses(k, first, (scale, shift), r))
            .sum();
        let fit = Fit {
            scale: scale as i64,
            shift: i64::from(shift),
            missed,
        };
        if count == starts.len() {
            return Some(fit);
        }
        best = Some((count, fit));
    }
    best.map(|(_, fit)| fit)
}

/// The point in `1..2^22` inside the most `intervals` (inclusive), and how many: of the points
/// with that count, the nearest to `ideal`.
fn most_covered(intervals: &[(i128, i128)], ideal: i128) -> (usize, i128) {
    let mut events: Vec<(i128, i64)> = intervals
        .iter()
        .filter(|(lo, hi)| lo <= hi)
        .flat_map(|&(lo, hi)| [(lo, 1), (hi + 1, -1)])
        .collect();
    events.sort_unstable();
    let (mut depth, mut best) = (0i64, (0i64, ideal.clamp(1, EXACT_TOP)));
    let mut i = 0;
    while i < events.len() {
        let at = events[i].0;
        while i < events.len() && events[i].0 == at {
            depth += events[i].1;
            i += 1;
        }
        // [at, next) has `depth` intervals.
        let next = events.get(i).map_or(at, |e| e.0);
        if depth > 0 && next > at {
            let pick = ideal.clamp(at, next - 1);
            let closer = (pick - ideal).abs() < (best.1 - ideal).abs();
            if depth > best.0 || (depth == best.0 && closer) {
                best = (depth, pick);
            }
        }
    }
    (best.0 as usize, best.1)
}

/// Whether two scales are the same (to a relative 1e-6: onnxruntime copies the same float32).
pub fn same_scale(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs())
}

/// The element type of an activation quantised to ONNX data type `t` (the zero point's type).
pub fn act_type(t: i32) -> Option<ElemType> {
    let (bits, signed) = match t {
        dt::INT8 => (8, true),
        dt::UINT8 => (8, false),
        dt::INT16 => (16, true),
        dt::UINT16 => (16, false),
        dt::INT4 => (4, true),
        dt::UINT4 => (4, false),
        _ => return None,
    };
    Some(ElemType { bits, signed })
}

/// The `weight_bits` (signed) that hold every weight of ONNX data type `t`: 8 for INT8, 9 for
/// UINT8 (0..=255), and so on; `None` for a type that is not a small integer.
pub fn weight_bits(t: i32) -> Option<u32> {
    match t {
        dt::INT2 => Some(2),
        dt::UINT2 => Some(3),
        dt::INT4 => Some(4),
        dt::UINT4 => Some(5),
        dt::INT8 => Some(8),
        dt::UINT8 => Some(9),
        dt::INT16 => Some(16),
        _ => None,
    }
}

/// The shape without the batch that `Reshape` with target `shape` (batch first; `0` copies the
/// input's dimension, one `-1` is inferred) gives an input of shape `dims` (without the batch
/// of 1). `None` when the target is invalid or does not keep a batch of 1.
pub fn reshape_target(shape: &[i64], dims: &[u64]) -> Option<Vec<u64>> {
    let full: Vec<u64> = std::iter::once(1).chain(dims.iter().copied()).collect();
    let total: u64 = full.iter().try_fold(1u64, |a, &d| a.checked_mul(d))?;
    let mut out = Vec::with_capacity(shape.len());
    let mut infer = None;
    for (k, &s) in shape.iter().enumerate() {
        match s {
            0 => out.push(*full.get(k)?),
            -1 if infer.is_none() => {
                infer = Some(k);
                out.push(1);
            }
            s if s > 0 => out.push(s as u64),
            _ => return None,
        }
    }
    let known: u64 = out.iter().try_fold(1u64, |a, &d| a.checked_mul(d))?;
    if known == 0 {
        return None;
    }
    if let Some(k) = infer {
        if !total.is_multiple_of(known) {
            return None;
        }
        *out.get_mut(k)? = total / known;
    } else if known != total {
        return None;
    }
    match out.split_first() {
        Some((1, rest)) if !rest.is_empty() => Some(rest.to_vec()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_shift_keeps_both_scales_in_range() {
        let (s, shift) = shared_fixed_point(&[0.5, 0.25]).unwrap();
        assert_eq!((s, shift), (vec![1 << 20, 1 << 19], 21));
        let (s, shift) = shared_fixed_point(&[0.7, 1.3]).unwrap();
        assert!(s.iter().all(|v| (*v as f64) <= TOP));
        assert!((s[0] as f64 / 2f64.powi(shift as i32) - 0.7).abs() < 1e-6);
        assert!((s[1] as f64 / 2f64.powi(shift as i32) - 1.3).abs() < 1e-6);
        assert_eq!(shared_fixed_point(&[]), None);
        assert_eq!(shared_fixed_point(&[1.0, 0.0]), None);
        assert_eq!(shared_fixed_point(&[f64::NAN]), None);
    }

    #[test]
    fn shared_shift_of_large_factors() {
        let (s, shift) = shared_fixed_point(&[3e6, 1.0]).unwrap();
        assert_eq!((s, shift), (vec![TOP as i64, 1], 0));
    }

    #[test]
    fn float32_multipliers() {
        let r = ratio_f32(0.1, 0.3);
        assert_eq!(r, f64::from(0.1f32 / 0.3f32));
        assert_eq!(product_f32(0.1, 0.2), f64::from(0.1f32 * 0.2f32));
    }

    #[test]
    fn types() {
        assert_eq!(
            act_type(dt::INT8),
            Some(ElemType {
                bits: 8,
                signed: true
            })
        );
        assert_eq!(
            act_type(dt::UINT8),
            Some(ElemType {
                bits: 8,
                signed: false
            })
        );
        assert_eq!(act_type(dt::FLOAT), None);
        assert_eq!(weight_bits(dt::INT8), Some(8));
        assert_eq!(weight_bits(dt::UINT8), Some(9));
        assert_eq!(weight_bits(dt::INT32), None);
        assert!(same_scale(0.1, 0.1 + 1e-9));
        assert!(!same_scale(0.1, 0.1001));
    }

    #[test]
    fn reshapes() {
        let m = [4, 2, 3];
        assert_eq!(reshape_target(&[1, -1], &m), Some(vec![24]));
        assert_eq!(reshape_target(&[0, 24], &m), Some(vec![24]));
        assert_eq!(reshape_target(&[-1, 24], &m), Some(vec![24]));
        assert_eq!(reshape_target(&[1, 4, 2, 3], &m), Some(vec![4, 2, 3]));
        assert_eq!(reshape_target(&[0, 0, -1], &m), Some(vec![4, 6]));
        assert_eq!(reshape_target(&[2, 12], &m), None);
        assert_eq!(reshape_target(&[1, 25], &m), None);
        assert_eq!(reshape_target(&[-1, -1], &m), None);
        assert_eq!(reshape_target(&[1, 0, 0, 0, 0], &m), None);
        assert_eq!(reshape_target(&[1, -2], &m), None);
        assert_eq!(reshape_target(&[1, 0, -1], &[0, 3]), None);
        assert_eq!(reshape_target(&[-1], &m), None);
    }

    /// The integer form of `fit` at `acc`, clamped to `[lo, hi]`.
    fn integer_requant(acc: i64, fit: Fit, (lo, hi): (i64, i64)) -> i64 {
        let round = if fit.shift > 0 {
            1i128 << (fit.shift - 1)
        } else {
            0
        };
        let v = (i128::from(acc) * i128::from(fit.scale) + round) >> fit.shift;
        v.clamp(lo.into(), hi.into()) as i64
    }

    /// The accumulators of `range` at which `fit` and onnxruntime differ, by brute force.
    fn misses(fit: Fit, m: f32, range: (i64, i64), out: (i64, i64)) -> u64 {
        (range.0..=range.1)
            .filter(|&a| integer_requant(a, fit, out) != ort_requant(a, m, out))
            .count() as u64
    }

    #[test]
    fn fits_count_every_accumulator_they_miss() {
        // Multipliers like a per-channel int8 conv's (x_scale * w_scale / y_scale), seeded.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut exact = 0;
        for _ in 0..200 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let m = (1e-4 + (seed % 1_000_000) as f64 * 1e-8) as f32;
            let reach = (128.0 / f64::from(m)) as i64 + 50;
            let (range, out) = ((-reach, reach), (-128, 127));
            let fit = fit_fixed_point(m, range, out).unwrap();
            assert!(fit.scale < 1 << 22, "{m}: {fit:?}");
            assert_eq!(fit.missed, misses(fit, m, range, out), "m {m}, {fit:?}");
            exact += usize::from(fit.missed == 0);
        }
        // Most multipliers have an exact 22-bit form on their whole range.
        assert!(exact >= 140, "{exact} of 200 exact");
    }

    #[test]
    fn thresholds_equal_onnxruntime_at_every_accumulator() {
        // Ties to even included (m = 0.25), with and without relu's levels.
        for (m, out) in [
            (0.25f32, (0, 127)),
            (0.25, (-128, 127)),
            (0.013_7, (-128, 127)),
        ] {
            let range = (-20_000, 20_000);
            let t = ort_thresholds(m, range, out).unwrap();
            assert_eq!(t.len() as i64, out.1 - out.0);
            assert!(t.windows(2).all(|w| w[0] <= w[1]), "sorted");
            for acc in range.0..=range.1 {
                let level = out.0 + t.iter().filter(|&&x| acc >= x).count() as i64;
                assert_eq!(level, ort_requant(acc, m, out), "m {m}, accumulator {acc}");
            }
        }
        assert_eq!(ort_thresholds(0.5, (-10, 10), (-40000, 40000)), None);
        assert_eq!(ort_thresholds(0.5, (-10, i64::MAX), (0, 127)), None);
    }

    #[test]
    fn fits_of_simple_multipliers() {
        // 1/4 puts every other half step on an exact tie (6 * 0.25 rounds to 2, 10 * 0.25 to 2
        // as well): half to even, which no half-up form gives, so levels are missed.
        let fit = fit_fixed_point(0.25, (-1000, 1000), (0, 127)).unwrap();
        assert!(fit.missed > 0);
        assert_eq!(fit.missed, misses(fit, 0.25, (-1000, 1000), (0, 127)));
        // Without a tie in range, exact.
        let exact = |scale, shift| {
            Some(Fit {
                scale,
                shift,
                missed: 0,
            })
        };
        assert_eq!(fit_fixed_point(0.25, (-1, 1), (0, 127)), exact(1, 2));
        assert_eq!(fit_fixed_point(3.0, (-10, 10), (-128, 127)), exact(3, 0));
        assert_eq!(fit_fixed_point(0.0, (-10, 10), (-128, 127)), None);
        assert_eq!(fit_fixed_point(f32::NAN, (-10, 10), (-128, 127)), None);
        assert_eq!(fit_fixed_point(0.5, (-10, 10), (-40000, 40000)), None);
    }

    #[test]
    fn ranges_of_channels_last_weights() {
        let int8 = ElemType {
            bits: 8,
            signed: true,
        };
        // Two output channels: weights [1, -2] and [3, 0] over two inputs, bias [10, -5].
        let r = acc_ranges(&[1, 3, -2, 0], 2, int8, Some(&[10, -5]));
        assert_eq!(
            r,
            vec![(10 - 128 - 254, 10 + 127 + 256), (-5 - 384, -5 + 381)]
        );
    }
}
