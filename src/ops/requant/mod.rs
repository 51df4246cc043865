//! Requantisation, the model format's rule in one place: the arithmetic of one value
//! (`v = (acc*scale + round) >> shift`, relu, saturation), the lengths explicit lists may have,
//! and the derivation when the model gives none (`derive`; calibration refines it,
//! `reference::calibrate`). The requantiser as hardware (cost, parameters of the HLS and RTL
//! units) is `stage::requant`.

pub mod derive;

use super::ShapeError;
use crate::format::{ElemType, Requant};

/// The model format's requantisation of one accumulator value (exact integers):
/// `v = (acc*scale + (shift > 0 ? 1 << (shift-1) : 0)) >> shift` (arithmetic shift), relu,
/// then saturation to `out` (bipolar: `v >= 0 ? +1 : -1`).
pub fn apply(acc: i128, shift: i64, relu: bool, out: ElemType) -> i64 {
    let round = if shift > 0 { 1i128 << (shift - 1) } else { 0 };
    let mut v = (acc + round) >> shift;
    if relu {
        v = v.max(0);
    }
    if out.is_bipolar() {
        return if v >= 0 { 1 } else { -1 };
    }
    v.clamp(out.min() as i128, out.max() as i128) as i64
}

/// Relu, then saturation to `out` (bipolar: `v >= 0 ? +1 : -1`): the end of every
/// requantisation.
pub fn saturate(v: i64, relu: bool, out: ElemType) -> i64 {
    let v = if relu { v.max(0) } else { v };
    if out.is_bipolar() {
        return if v >= 0 { 1 } else { -1 };
    }
    v.clamp(out.min(), out.max())
}

/// Finishes a node's output value on channel `ch` from its accumulator: its requantiser
/// (scale and shift per channel or shared) or, without one, the accumulator itself (relu
/// applied when asked).
pub fn finish(node: &super::Node, ch: usize, acc: i64) -> i64 {
    let relu = node.activation == crate::format::Activation::Relu;
    if let Some(t) = &node.thresholds {
        return saturate(t.level(ch, acc), relu, node.out.ty);
    }
    match &node.requant {
        None => {
            if relu {
                acc.max(0)
            } else {
                acc
            }
        }
        Some(r) => {
            let pick = |v: &[i64]| if v.len() == 1 { v[0] } else { v[ch] };
            apply(
                acc as i128 * pick(&r.scale) as i128,
                pick(&r.shift),
                relu,
                node.out.ty,
            )
        }
    }
}

/// The usual requant list rule: scale and shift each have one entry or one per channel.
pub fn per_channel_lengths(r: &Requant, channels: u32) -> std::result::Result<(), ShapeError> {
    for (key, list) in [("requant.scale", &r.scale), ("requant.shift", &r.shift)] {
        if list.len() != 1 && list.len() != channels as usize {
            return Err(ShapeError::new(
                key,
                format!(
                    "`{key}` has {} entries; expected 1 or one per output channel ({channels})",
                    list.len()
                ),
            ));
        }
    }
    Ok(())
}

/// The scale of input `i` of an op that scales every input on its own: one scale for all, or
/// one per input.
pub fn input_scale(scales: &[i64], i: usize) -> i64 {
    scales.get(i).or(scales.first()).copied().unwrap_or(1)
}

/// A per-input requantisation with one scale per input (a single scale repeated), the shift
/// as given.
pub fn per_input_scales(r: &Requant, inputs: usize) -> Requant {
    Requant {
        scale: (0..inputs).map(|i| input_scale(&r.scale, i)).collect(),
        shift: r.shift.clone(),
    }
}

/// The rule of ops that scale every input on its own (`an add`, `a concat`: `op` names it as
/// the message does): one scale for all inputs or one per input, one shift.
pub fn per_input_lengths(
    r: &Requant,
    op: &str,
    inputs: usize,
) -> std::result::Result<(), ShapeError> {
    if r.scale.len() != 1 && r.scale.len() != inputs {
        let n = r.scale.len();
        let message =
            format!("{op}'s `requant.scale` has one entry or one per input ({inputs}), got {n}");
        return Err(ShapeError::new("requant.scale", message));
    }
    if r.shift.len() != 1 {
        let n = r.shift.len();
        let message = format!("{op}'s `requant.shift` is a single value, got {n} entries");
        return Err(ShapeError::new("requant.shift", message));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_relu_and_saturation() {
        let u8t = ElemType {
            bits: 8,
            signed: false,
        };
        assert_eq!(apply(5, 1, false, u8t), 3);
        assert_eq!(apply(-5, 1, true, u8t), 0);
        assert_eq!(apply(10_000, 0, false, u8t), 255);
        let bip = ElemType {
            bits: 1,
            signed: false,
        };
        assert_eq!(apply(-1, 0, false, bip), -1);
        assert_eq!(apply(0, 0, false, bip), 1);
    }
}
