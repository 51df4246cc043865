//! Requantiser: `v = (acc*scale + round) >> shift`, relu, saturation (model format v1),
//! one per PE at the end of every compute unit.

use crate::cost::{DspKind, MultStyle, Resources, lut_rom, mult_dsps, mult_luts};
use crate::model::ElemType;

/// What a requantiser needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequantShape {
    /// Accumulator type.
    pub acc: ElemType,
    /// Bits of the (signed) scale.
    pub scale_bits: u32,
    /// Output type, or None when the accumulator passes through.
    pub out: Option<ElemType>,
    /// Entries of per-channel parameters held per PE (1 when scalar).
    pub entries_per_pe: u64,
    /// True when scale/shift vary per channel.
    pub per_channel: bool,
}

/// Cost of `pe` requantisers. A bipolar output reduces to a comparison of the accumulator with
/// a threshold (`acc*scale + round >= 0`), one comparator per PE; otherwise a multiplier of
/// `acc x scale` bits (in LUTs or a DSP per the stage's style), a rounding adder, the shift
/// (wires when scalar, a barrel shifter when per channel) and relu plus saturation.
pub fn cost(pe: u32, r: &RequantShape, style: MultStyle, dsp: DspKind) -> Resources {
    let pe = pe as u64;
    let acc = r.acc.bits as u64;
    let Some(out) = r.out else {
        return Resources::default();
    };
    let params_width = if out.is_bipolar() {
        acc
    } else {
        r.scale_bits as u64 + 6
    };
    let params = if r.per_channel || out.is_bipolar() {
        pe * lut_rom(r.entries_per_pe, params_width)
    } else {
        0
    };
    if out.is_bipolar() {
        return Resources {
            lut: pe * acc + params,
            ff: pe,
            ..Default::default()
        };
    }
    let prod = acc + r.scale_bits as u64;
    let (mul_lut, dsp_count) = match style {
        MultStyle::Lut => (mult_luts(r.acc.bits, r.scale_bits), 0),
        MultStyle::Dsp => (0, mult_dsps(r.acc.bits, r.scale_bits, dsp)),
    };
    let shifter = if r.per_channel { prod * 6 / 2 } else { 0 };
    let saturate = 2 * out.bits as u64;
    Resources {
        lut: pe * (mul_lut + prod + shifter + saturate) + params,
        ff: pe * (prod + out.bits as u64),
        dsp: pe * dsp_count,
        ..Default::default()
    }
}

/// Bits of a signed integer holding every value of `values` (at least 2).
pub fn signed_bits(values: &[i64]) -> u32 {
    let t = values.iter().fold(
        ElemType {
            bits: 2,
            signed: true,
        },
        |t, &v| {
            let need = ElemType::for_range(v.min(0).min(-1), v.max(0));
            if need.bits > t.bits {
                ElemType {
                    bits: need.bits,
                    signed: true,
                }
            } else {
                t
            }
        },
    );
    t.bits
}

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

/// Finishes a node's output value on channel `ch` from its accumulator: its requantiser
/// (scale and shift per channel or shared) or, without one, the accumulator itself (relu
/// applied when asked).
pub fn finish(node: &crate::ir::Node, ch: usize, acc: i64) -> i64 {
    let relu = node.activation == crate::model::Activation::Relu;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(out: Option<ElemType>) -> RequantShape {
        RequantShape {
            acc: ElemType {
                bits: 20,
                signed: true,
            },
            scale_bits: 9,
            out,
            entries_per_pe: 4,
            per_channel: false,
        }
    }

    #[test]
    fn costs() {
        assert_eq!(
            cost(4, &shape(None), MultStyle::Lut, DspKind::Dsp48e1),
            Resources::default()
        );
        let bip = cost(
            2,
            &shape(Some(ElemType {
                bits: 1,
                signed: false,
            })),
            MultStyle::Lut,
            DspKind::Dsp48e1,
        );
        // comparator 20 LUTs + threshold ROM 20 bits x 4 entries (20 LUTs), per PE.
        assert_eq!(bip.lut, 2 * (20 + 20));
        let u8t = Some(ElemType {
            bits: 8,
            signed: false,
        });
        let l = cost(1, &shape(u8t), MultStyle::Lut, DspKind::Dsp48e1);
        // Booth 20x9: 5 * 22 = 110; rounding adder 29; saturation 16.
        assert_eq!(l.lut, 110 + 29 + 16);
        let d = cost(3, &shape(u8t), MultStyle::Dsp, DspKind::Dsp48e1);
        assert_eq!(d.dsp, 3);
        assert_eq!(d.lut, 3 * (29 + 16));
    }

    #[test]
    fn bit_widths() {
        assert_eq!(signed_bits(&[1]), 2);
        assert_eq!(signed_bits(&[255]), 9);
        assert_eq!(signed_bits(&[-128, 3]), 8);
    }
}
