//! The requantiser as hardware: one per PE lane at the end of every compute unit
//! (`half_requant` in hls/rtl/, `half::requant` in the HLS library), its cost, and the
//! parameters both backends give it. Its arithmetic is the model format's (`ops::requant`).

use crate::cost::{
    DspKind, Resources, ScaleStyle, const_mul_luts, const_mult_bits, lut_rom, mult_dsps,
};
use crate::format::{ElemType, Requant, Thresholds};

/// What a compute unit does after it accumulates (the layer's epilogue, the same for every
/// unit kind): requantise, or pass the accumulator through; relu; saturate.
#[derive(Debug, Clone, Copy)]
pub struct Epilogue<'a> {
    /// The exact accumulator type.
    pub acc: ElemType,
    /// The requantisation by scale and shift, when the layer has one.
    pub requant: Option<&'a Requant>,
    /// The threshold requantisation, when the layer has one instead.
    pub thresholds: Option<&'a Thresholds>,
    /// ReLU after requantisation.
    pub relu: bool,
    /// Output element type.
    pub out: ElemType,
    /// Output channels (per-channel parameters have one entry each).
    pub channels: u32,
    /// The scales are one per input (an add's `a*scale_a + b*scale_b`), not per channel.
    pub scales_per_input: bool,
    /// Where the constant scale multiplies go (the fold's `scale`).
    pub scale_style: ScaleStyle,
}

/// The requantiser parameters of the RTL units (`HAS_RQ`, `SB`, `SCALE`, `SHIFT`, `PERCH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtlRequant {
    /// The unit requantises.
    pub has: bool,
    /// Bits of the signed scale (at least 2).
    pub sb: u32,
    /// The (first) scale.
    pub scale: i64,
    /// The (first) shift.
    pub shift: i64,
    /// Scale and shift vary per channel (read from a memory file).
    pub per_channel: bool,
    /// The constant scale is multiplied by shift-adds in the fabric (`SCALE_LUT`).
    pub scale_lut: bool,
    /// Thresholds per channel (`NT`; 0: a scale and shift).
    pub thresholds: u32,
    /// The level below every threshold (`TBIAS`).
    pub tbias: i64,
    /// The thresholds are searched, not all compared (`TSEARCH`, [`threshold_search`]).
    pub tsearch: bool,
}

impl Epilogue<'_> {
    /// The same epilogue with its constant scale multiplies placed as `style` says.
    pub fn scaled(self, style: ScaleStyle) -> Self {
        Epilogue {
            scale_style: style,
            ..self
        }
    }

    /// True when `style` is a real choice for this epilogue: a constant scale (the same for
    /// every channel) whose product synthesis would put in a DSP slice (on a DSP48E1: the
    /// wider DSP48E2 takes no product the DSP48E1 leaves in the fabric). An add, whose inputs
    /// each have their own scale, decides this itself (`ops::add`).
    pub fn scale_choice(&self) -> bool {
        if self.requant.is_none() || self.scales_per_input {
            return false;
        }
        let shape = self.shape(1);
        !shape.per_channel
            && mult_dsps(
                shape.acc_bits(),
                const_mult_bits(shape.scale),
                DspKind::Dsp48e1,
            ) > 0
    }

    /// True when the constant scale multiplies are shift-adds in the fabric: style `lut`, a
    /// requantisation with one scale (or one per input, an add's) and one shift, so there is
    /// a constant to multiply by. The one rule behind the cost, the RTL's `SCALE_LUT` and the
    /// HLS `SSTYLE`.
    pub fn fabric_scale(&self) -> bool {
        self.scale_style == ScaleStyle::Lut
            && self.requant.is_some_and(|r| {
                (r.scale.len() == 1 || self.scales_per_input) && r.shift.len() == 1
            })
    }

    /// The accumulator width of the units (`ACC`): the type's bits plus a sign bit when
    /// unsigned.
    pub fn acc_bits(&self) -> u32 {
        self.acc.bits + u32::from(!self.acc.signed)
    }

    /// What the requantisers look like with `pe` lanes (for the cost model).
    pub fn shape(&self, pe: u32) -> RequantShape {
        if let Some(t) = self.thresholds {
            return RequantShape {
                acc: self.acc,
                scale_bits: 2,
                scale: 1,
                out: Some(self.out),
                entries_per_pe: (self.channels as u64).div_ceil(pe.max(1) as u64),
                per_channel: true,
                fabric_scale: false,
                thresholds: t.count,
            };
        }
        match self.requant {
            None => RequantShape {
                acc: self.acc,
                scale_bits: 2,
                scale: 1,
                out: None,
                entries_per_pe: 1,
                per_channel: false,
                fabric_scale: false,
                thresholds: 0,
            },
            Some(r) => RequantShape {
                acc: self.acc,
                scale_bits: signed_bits(&r.scale),
                scale: r.scale.first().copied().unwrap_or(1),
                out: Some(self.out),
                entries_per_pe: (self.channels as u64).div_ceil(pe.max(1) as u64),
                per_channel: r.scale.len() > 1 && !self.scales_per_input || r.shift.len() > 1,
                fabric_scale: self.fabric_scale(),
                thresholds: 0,
            },
        }
    }

    /// The RTL units' requantiser parameters.
    pub fn rtl(&self) -> RtlRequant {
        if let Some(t) = self.thresholds {
            return RtlRequant {
                has: true,
                sb: 2,
                scale: 1,
                shift: 0,
                per_channel: false,
                scale_lut: false,
                thresholds: t.count,
                tbias: t.bias,
                tsearch: threshold_search(self.acc_bits() + 1, t.count),
            };
        }
        match self.requant {
            None => RtlRequant {
                has: false,
                sb: 2,
                scale: 1,
                shift: 0,
                per_channel: false,
                scale_lut: false,
                thresholds: 0,
                tbias: 0,
                tsearch: false,
            },
            Some(r) => RtlRequant {
                has: true,
                sb: signed_bits(&r.scale).max(2),
                scale: r.scale[0],
                shift: r.shift[0],
                per_channel: r.scale.len() > 1 || r.shift.len() > 1,
                scale_lut: self.fabric_scale(),
                thresholds: 0,
                tbias: 0,
                tsearch: false,
            },
        }
    }
}

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
    /// The constant scale's multiply is shift-adds in the fabric ([`Epilogue::fabric_scale`]).
    pub fabric_scale: bool,
    /// Thresholds per channel, 0 for a scale and shift (a threshold requantiser holds its
    /// thresholds per channel: `per_channel` is true).
    pub thresholds: u32,
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
/// from a ROM. A constant scale of style `lut` is shift-adds in the fabric instead
/// (`half_const_mul`, [`const_mul_luts`] over the product's `ACC + SB` bits). Then the
/// rounding, shift, relu and saturation in LUTs; per-channel scale and shift come from an asynchronous ROM of `entries_per_pe` words of `PE * (SB + 6)` bits and
/// need a barrel shifter. A bipolar output keeps the same datapath and reads the sign.
pub fn cost(pe: u32, r: &RequantShape, dsp: DspKind) -> Resources {
    let pe = pe as u64;
    let acc = r.acc_bits() as u64;
    let Some(out) = r.out else {
        // Pass-through: relu and truncation only.
        return Resources::default();
    };
    if r.thresholds > 0 {
        let tb = r.acc_bits() + 1;
        let mut lane = threshold_luts(tb, r.thresholds, threshold_search(tb, r.thresholds));
        if r.entries_per_pe == 1 {
            // One row per lane: constants, against which a comparison is about 2/5 of the
            // cost (Yosys, section 13.10).
            lane = lane * 2 / 5;
        }
        let row = pe * r.thresholds as u64 * tb as u64;
        return Resources {
            // The level's bias, relu and saturation fold away: the levels fit the type.
            lut: pe * lane + lut_rom(r.entries_per_pe, row),
            ..Default::default()
        };
    }
    let sb = r.scale_bits.max(2);
    let mult_b = if r.per_channel {
        sb
    } else {
        const_mult_bits(r.scale)
    };
    let dsps = if mult_b == 0 || r.fabric_scale {
        0
    } else {
        mult_dsps(r.acc_bits(), mult_b, dsp)
    };
    // A product too narrow for a DSP stays in the fabric: a few LUTs per product bit.
    let soft = if r.fabric_scale && mult_b > 0 {
        const_mul_luts(r.acc_bits() + sb, r.scale)
    } else if dsps == 0 && mult_b > 0 {
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

/// LUTs of one lane's threshold logic (`half_thresh`), `tb`-bit thresholds, `nt` of them,
/// before the level's relu and saturation, fitted to Yosys 0.70 `synth_xilinx` of the module
/// alone (docs/cost-model.md section 13.10; within 8 % for `tb` 9..21, `nt` 1..15): a
/// comparison of two `tb`-bit values is `(2 tb + 4) / 3` LUTs beside its carry chain, and
/// - a comparator tree compares all `nt` and counts those passed;
/// - a binary search compares once per step, `ceil(log2(nt + 1))` of them, step `s` picking
///   its threshold among the candidates still possible through a multiplexer per bit (a LUT6
///   picks one of four inputs: `ceil((candidates - 1) / 3)` LUTs a bit).
pub fn threshold_luts(tb: u32, nt: u32, search: bool) -> u64 {
    let (tb, nt) = (tb as u64, nt as u64);
    let compare = (2 * tb + 4) / 3;
    if !search {
        return nt * compare;
    }
    let steps = 64 - nt.leading_zeros() as u64;
    (0..steps)
        .map(|s| {
            // Step s probes threshold k * 2^(steps-s) + 2^(steps-1-s) - 1 for every k whose
            // probe exists (is at most nt - 1).
            let (stride, first) = (1u64 << (steps - s), 1u64 << (steps - 1 - s));
            let candidates = if first > nt {
                0
            } else {
                (nt - first) / stride + 1
            };
            compare + tb * candidates.saturating_sub(1).div_ceil(3)
        })
        .sum()
}

/// True when a binary search over `nt` thresholds of `tb` bits costs fewer LUTs than a
/// comparator per threshold ([`threshold_luts`]); equal costs keep the comparators.
pub fn threshold_search(tb: u32, nt: u32) -> bool {
    threshold_luts(tb, nt, true) < threshold_luts(tb, nt, false)
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
            fabric_scale: false,
            thresholds: 0,
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
        // In the fabric: no DSP, the shift-adds of 201 = 256 - 64 + 8 + 1 over 20 + 9 bits:
        // a subtraction over bits 6.., additions over bits 6.. and 3.. (the sum's lower bits
        // are still zero), 23 + 23 + 26 = 72 adder bits, less 3 + 2.
        let mut lut = shape(u8t, 201);
        lut.fabric_scale = true;
        let l = cost(3, &lut, e1);
        assert_eq!(l.dsp, 0);
        assert_eq!(l.lut, 3 * (lane_luts(20, 8) + 67));
    }

    #[test]
    fn bit_widths() {
        assert_eq!(signed_bits(&[1]), 2);
        assert_eq!(signed_bits(&[255]), 9);
        assert_eq!(signed_bits(&[-128, 3]), 8);
    }
}
