//! Deriving requantisation parameters when the model gives none.
//!
//! Rule (documented in docs/model-format.md): on random data, with inputs uniform over their
//! type's range and weights uniform over theirs, the accumulator of a multiply-accumulate layer
//! has standard deviation `sigma = sqrt(fan_in * E[w^2] * E[x^2])`. The requantiser maps
//! `2 * sigma` to the largest output value: `f = out_max / (2 * sigma)`. An average pool maps
//! the window sum to its mean rescaled to the output range, `f = (out_max / in_max) / window`;
//! an add maps each input's maximum to half the output range. A bipolar output takes the sign
//! (`scale 1, shift 0`). `f` is then written as `scale / 2^shift` with an 8-bit scale in
//! `[128, 256)` (or `shift 0` and `scale = round(f)` when `f >= 128`).

use crate::format::{ElemType, Requant};

/// Sum of `x^2` for the integers `0..=n` (`n(n+1)(2n+1)/6`).
fn sum_squares(n: i128) -> i128 {
    if n < 0 {
        0
    } else {
        n * (n + 1) * (2 * n + 1) / 6
    }
}

/// Mean of `v^2` for `v` uniform over the integers of `t` (bipolar: 1).
pub fn mean_square(t: ElemType) -> f64 {
    if t.is_bipolar() {
        return 1.0;
    }
    let (lo, hi) = (t.min() as i128, t.max() as i128);
    let total = if lo >= 0 {
        sum_squares(hi) - sum_squares(lo - 1)
    } else {
        sum_squares(-lo) + sum_squares(hi)
    };
    total as f64 / (hi - lo + 1) as f64
}

/// Mean of `w^2` for weights uniform over the symmetric range `[-m, m]`, `m = 2^(b-1)-1`,
/// that generated weights use (`m(m+1)/3`; bipolar: 1).
pub fn weight_mean_square(t: ElemType) -> f64 {
    if t.is_bipolar() {
        return 1.0;
    }
    let m = t.max() as f64;
    m * (m + 1.0) / 3.0
}

/// Precision of derived scales, in bits.
pub const SCALE_BITS: u32 = 8;

/// Writes a positive factor as `scale / 2^shift`.
pub fn quantize_factor(f: f64) -> (i64, i64) {
    if !(f.is_finite() && f > 0.0) {
        return (1, 0);
    }
    let top = (1i64 << (SCALE_BITS - 1)) as f64;
    if f >= top {
        return ((f.round() as i64).min((1 << 21) - 1), 0);
    }
    let shift = ((SCALE_BITS as i64 - 1) - f.log2().floor() as i64).clamp(0, 62);
    let scale = (f * (1u64 << shift) as f64).round() as i64;
    (scale.clamp(1, (1 << 21) - 1), shift)
}

/// Requant for a multiply-accumulate layer with `fan_in` products of `wt x xt`.
pub fn for_mac(fan_in: u64, wt: ElemType, xt: ElemType, out: ElemType) -> Requant {
    if out.is_bipolar() {
        return Requant {
            scale: vec![1],
            shift: vec![0],
        };
    }
    let sigma = (fan_in as f64 * weight_mean_square(wt) * mean_square(xt)).sqrt();
    let (scale, shift) = quantize_factor(out.max() as f64 / (2.0 * sigma.max(1.0)));
    Requant {
        scale: vec![scale],
        shift: vec![shift],
    }
}

/// Requant for an average pool summing `window` values of `xt`.
pub fn for_avgpool(window: u64, xt: ElemType, out: ElemType) -> Requant {
    if out.is_bipolar() {
        return Requant {
            scale: vec![1],
            shift: vec![0],
        };
    }
    let f = (out.max() as f64 / xt.max().max(1) as f64) / window.max(1) as f64;
    let (scale, shift) = quantize_factor(f);
    Requant {
        scale: vec![scale],
        shift: vec![shift],
    }
}

/// Requant for an add of `a` and `b`: one scale per input, one shift.
pub fn for_add(a: ElemType, b: ElemType, out: ElemType) -> Requant {
    if out.is_bipolar() {
        return Requant {
            scale: vec![1, 1],
            shift: vec![0],
        };
    }
    let f = |t: ElemType| out.max() as f64 / (2.0 * t.max().max(1) as f64);
    let (scale, shift) = add_scales(f(a), f(b));
    Requant {
        scale: scale.to_vec(),
        shift: vec![shift],
    }
}

/// Two factors as scales over one shared shift ([`shared_shift_scales`]).
pub fn add_scales(fa: f64, fb: f64) -> ([i64; 2], i64) {
    let (scales, shift) = shared_shift_scales(&[fa, fb]);
    ([scales[0], scales[1]], shift)
}

/// Factors as scales over one shared shift, `f_i ~ scale_i / 2^shift`: the finest shift any
/// factor asks for (an 8-bit scale for the smallest), limited so that no scale reaches 2^21
/// (the accumulator `sum x_i*scale_i` stays narrow); each scale >= 1.
pub fn shared_shift_scales(factors: &[f64]) -> (Vec<i64>, i64) {
    let finest = factors
        .iter()
        .map(|&f| quantize_factor(f).1)
        .max()
        .unwrap_or(0);
    let fmax = factors.iter().fold(f64::MIN_POSITIVE, |m, &f| m.max(f));
    let limit = (((1u64 << 21) - 1) as f64 / fmax).log2().floor().max(0.0) as i64;
    let shift = finest.min(limit).clamp(0, 62);
    let q = |f: f64| ((f * (1u64 << shift) as f64).round() as i64).clamp(1, (1 << 21) - 1);
    (factors.iter().map(|&f| q(f)).collect(), shift)
}

/// Requant for a concatenation into `out`: every input whose largest value fits the output
/// keeps its values (factor 1; smaller values saturate, or become 0 under relu), a wider one
/// maps its largest value to the output's (`f = out_max / in_max`), all over one shared
/// shift; exact (`scale 1, shift 0`) when every input fits. A bipolar output takes the sign.
pub fn for_concat(inputs: &[ElemType], out: ElemType) -> Requant {
    let n = inputs.len();
    if out.is_bipolar() || inputs.iter().all(|t| t.max() <= out.max()) {
        return Requant {
            scale: vec![1; n],
            shift: vec![0],
        };
    }
    let factors: Vec<f64> = inputs
        .iter()
        .map(|t| {
            if t.max() <= out.max() {
                1.0
            } else {
                out.max() as f64 / t.max() as f64
            }
        })
        .collect();
    let (scale, shift) = shared_shift_scales(&factors);
    Requant {
        scale,
        shift: vec![shift],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_keeps_values_that_fit() {
        let t = |bits, signed| ElemType { bits, signed };
        let r = for_concat(&[t(4, false), t(8, false)], t(8, false));
        assert_eq!((r.scale, r.shift), (vec![1, 1], vec![0]));
        // A 16-bit input into 8 bits is scaled down by about 255 / 65535; the other keeps
        // factor 1 over the shared shift.
        let r = for_concat(&[t(8, false), t(16, false)], t(8, false));
        let f = |i: usize| r.scale[i] as f64 / (1u64 << r.shift[0]) as f64;
        assert!((f(0) - 1.0).abs() < 1e-9, "{r:?}");
        assert!((f(1) / (255.0 / 65535.0) - 1.0).abs() < 0.01, "{r:?}");
    }

    #[test]
    fn add_scales_stay_narrow() {
        // A bipolar input next to an int16 one: factors 16383/2 and 16383/(2*32767).
        let ([sa, sb], shift) = add_scales(8191.5, 0.25);
        assert!(sa < 1 << 21 && sb >= 1);
        assert!((sa as f64 / (1u64 << shift) as f64 / 8191.5 - 1.0).abs() < 0.01);
        let ([sa, sb], shift) = add_scales(0.5, 0.25);
        assert_eq!((sa, sb, shift), (256, 128, 9));
    }

    #[test]
    fn factors() {
        assert_eq!(quantize_factor(1.0), (128, 7));
        assert_eq!(quantize_factor(0.5), (128, 8));
        assert_eq!(quantize_factor(0.75), (192, 8));
        assert_eq!(quantize_factor(300.0), (300, 0));
        assert_eq!(quantize_factor(f64::NAN), (1, 0));
    }

    #[test]
    fn mac_rule() {
        let i8t = ElemType {
            bits: 8,
            signed: true,
        };
        let u8t = ElemType {
            bits: 8,
            signed: false,
        };
        // Integer means: E[x^2] over 0..=255 is 255*256*511/6/256 = 21717.5; narrow int8
        // weights -127..=127 give 127*128/3 = 5418.67.
        assert!((mean_square(u8t) - 21717.5).abs() < 1e-9);
        assert!((weight_mean_square(i8t) - 5_418.666_666).abs() < 1e-3);
        assert!(
            (mean_square(ElemType {
                bits: 2,
                signed: true
            }) - 1.5)
                .abs()
                < 1e-12
        );
        // 27 products: sigma = sqrt(27 * 5418.67 * 21717.5); f = 255 / (2 sigma).
        let r = for_mac(27, i8t, u8t, u8t);
        let f = r.scale[0] as f64 / (1u64 << r.shift[0]) as f64;
        let want = 255.0 / (2.0 * (27.0f64 * 5_418.666_666 * 21717.5).sqrt());
        assert!((f / want - 1.0).abs() < 0.004, "{f} vs {want}");
        assert!((128..256).contains(&r.scale[0]));
    }

    #[test]
    fn pool_and_add() {
        let u8t = ElemType {
            bits: 8,
            signed: false,
        };
        // mean of 4: f = 1/4 -> 128 / 2^9.
        assert_eq!(
            for_avgpool(4, u8t, u8t),
            Requant {
                scale: vec![128],
                shift: vec![9]
            }
        );
        assert_eq!(
            for_add(u8t, u8t, u8t),
            Requant {
                scale: vec![128, 128],
                shift: vec![8]
            }
        );
    }
}
