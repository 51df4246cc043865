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
}
