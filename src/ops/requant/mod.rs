//! Requantiser: `v = (acc*scale + round) >> shift`, relu, saturation (model format v1),
//! one per PE at the end of every compute unit.

pub mod derive;

use crate::cost::{DspKind, Resources, const_mult_bits, lut_rom, mult_dsps};
use crate::format::ElemType;

/// What a requantiser needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequantShape {
    /// Accumulator type.
    pub acc: ElemType,
    /// Bits of the (signed) scale.
    pub scale_bits: u32,
    /// The scale when it is one constant for every channel (the RTL's `SCALE`).
    pub scale: i64,
    /// Output type, or None when the accumulator passes through.
    pub out: Option<ElemType>,
    /// Entries of per-channel parameters held per PE (1 when scalar).
    pub entries_per_pe: u64,
    /// True when scale/shift vary per channel.
    pub per_channel: bool,
}

impl RequantShape {
    /// The accumulator width of the RTL (`ACC`): the type's bits plus a sign bit when unsigned.
    pub fn acc_bits(&self) -> u32 {
        self.acc.bits + u32::from(!self.acc.signed)
    }
}

/// LUTs of one requantiser lane besides its multiplier: rounding adder, shift, relu, the
/// saturation compares and the output select, `ACC + OB + 4` (calibration tables C4, C5:
/// fitted with the matrix unit's accumulator adder).
pub fn lane_luts(acc: u64, out_bits: u64) -> u64 {
    acc + out_bits + 4
}

/// Cost of `pe` requantisers as the RTL builds them (`half_requant`): the product
/// `acc * scale` is left to synthesis, which puts it in DSP slices by Yosys' rule
/// ([`mult_dsps`]) whatever the stage's multiplier style; a constant scale loses its trailing
/// zero bits first (a power of two is a shift, no multiplier), a per-channel one is `SB` bits
/// from a ROM. Then the rounding, shift, relu and saturation in LUTs; per-channel scale and
/// shift come from an asynchronous ROM of `entries_per_pe` words of `PE * (SB + 6)` bits and
/// need a barrel shifter. A bipolar output keeps the same datapath and reads the sign.
pub fn cost(pe: u32, r: &RequantShape, dsp: DspKind) -> Resources {
    let pe = pe as u64;
    let acc = r.acc_bits() as u64;
    let Some(out) = r.out else {
        // Pass-through: relu and truncation only.
        return Resources::default();
    };
    let sb = r.scale_bits.max(2);
    let mult_b = if r.per_channel {
        sb
    } else {
        const_mult_bits(r.scale)
    };
    let dsps = if mult_b == 0 {
        0
    } else {
        mult_dsps(r.acc_bits(), mult_b, dsp)
    };
    // A product too narrow for a DSP stays in the fabric: a few LUTs per product bit.
    let soft = if dsps == 0 && mult_b > 0 {
        acc * mult_b as u64 / 2
    } else {
        0
    };
    let out_bits = out.bits as u64;
    let mut lut = pe * (lane_luts(acc, out_bits) + soft);
    if r.per_channel {
        let tb = acc + sb as u64 + 2;
        lut += lut_rom(r.entries_per_pe, pe * (sb as u64 + 6)) + pe * tb * 3;
    }
    Resources {
        lut,
        dsp: pe * dsps,
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
pub fn finish(node: &crate::ops::Node, ch: usize, acc: i64) -> i64 {
    let relu = node.activation == crate::format::Activation::Relu;
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

    fn shape(out: Option<ElemType>, scale: i64) -> RequantShape {
        RequantShape {
            acc: ElemType {
                bits: 20,
                signed: true,
            },
            scale_bits: 9,
            scale,
            out,
            entries_per_pe: 4,
            per_channel: false,
        }
    }

    #[test]
    fn costs() {
        let e1 = DspKind::Dsp48e1;
        assert_eq!(cost(4, &shape(None, 201), e1), Resources::default());
        let u8t = Some(ElemType {
            bits: 8,
            signed: false,
        });
        // 20-bit accumulator times a 9-bit constant: one DSP per lane (Yosys sweep C5).
        let d = cost(3, &shape(u8t, 201), e1);
        assert_eq!(d.dsp, 3);
        assert_eq!(d.lut, 3 * lane_luts(20, 8));
        // Powers of two are shifts.
        assert_eq!(cost(3, &shape(u8t, 256), e1).dsp, 0);
        // A 26-bit accumulator needs two DSP48E1 but one DSP48E2.
        let mut wide = shape(u8t, 3);
        wide.acc.bits = 26;
        assert_eq!(cost(1, &wide, e1).dsp, 2);
        assert_eq!(cost(1, &wide, DspKind::Dsp48e2).dsp, 1);
    }

    #[test]
    fn bit_widths() {
        assert_eq!(signed_bits(&[1]), 2);
        assert_eq!(signed_bits(&[255]), 9);
        assert_eq!(signed_bits(&[-128, 3]), 8);
    }
}
