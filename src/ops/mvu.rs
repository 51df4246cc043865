//! Matrix-vector unit (MVU): the compute core of conv (after the window generator) and dense.
//!
//! Loop nest, one iteration per cycle (II=1), as FINN's MVAU and our HLS/RTL unit:
//! `for pixel in 0..pixels { for nf in 0..MH/PE { for sf in 0..MW/SIMD { PE x SIMD MACs } } }`
//! so cycles per frame = `pixels * (MH/PE) * (MW/SIMD)` (FINN `MatrixVectorActivation`
//! `get_exp_cycles`). During the first neuron fold the input vector is captured in an input
//! buffer and replayed for the other `MH/PE - 1` folds.

use super::requant::{self, RequantShape};
use super::{Fold, Unit};
use crate::cost::{
    DspKind, MemStyle, MultStyle, Resources, adder_tree_luts, auto_buffer, bram18, counter_bits,
    lut_rom, mult_dsps, mult_luts, uram,
};
use crate::model::ElemType;

/// Geometry of one matrix-vector unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MvuShape {
    /// Matrix width: inputs per output (kh*kw*cin, or input features).
    pub mw: u64,
    /// Matrix height: outputs (cout, or units).
    pub mh: u64,
    /// Output pixels per frame (1 for dense).
    pub pixels: u64,
    /// Weight type.
    pub wt: ElemType,
    /// Input activation type.
    pub at: ElemType,
    /// Whether biases are stored.
    pub bias: bool,
}

/// Pipeline depth: weight read, multiply, `ceil(log2 SIMD)` adder levels, accumulate, requant.
pub fn depth(simd: u32) -> u64 {
    4 + if simd <= 1 {
        0
    } else {
        counter_bits(simd as u64)
    }
}

/// Bits of one product `w * x` (1 for a bipolar XNOR).
pub fn product_bits(wt: ElemType, at: ElemType) -> u32 {
    match (wt.is_bipolar(), at.is_bipolar()) {
        (true, true) => 1,
        (true, false) => at.bits + 1,
        (false, true) => wt.bits + 1,
        _ => wt.bits + at.bits + u32::from(!at.signed),
    }
}

/// True when a DSP can take this product (both operands wider than one bit).
pub fn dsp_capable(wt: ElemType, at: ElemType) -> bool {
    !wt.is_bipolar() && !at.is_bipolar()
}

/// Weight memory of `width` bits x `depth` words in the given style.
pub fn weight_memory(depth: u64, width: u64, mem: MemStyle) -> Resources {
    match mem {
        MemStyle::Bram => Resources {
            bram18: bram18(depth, width),
            ..Default::default()
        },
        MemStyle::Lutram => Resources {
            lut: lut_rom(depth, width),
            ..Default::default()
        },
        MemStyle::Uram => Resources {
            uram: uram(depth, width),
            ..Default::default()
        },
    }
}

/// Multipliers, adder tree and accumulators of `pe` lanes of `simd` products.
pub fn datapath(
    pe: u64,
    simd: u64,
    wt: ElemType,
    at: ElemType,
    acc: ElemType,
    mult: MultStyle,
    dsp: DspKind,
) -> Resources {
    let pbits = product_bits(wt, at);
    let (mul_lut, mul_dsp, mul_ff) = match mult {
        MultStyle::Dsp if dsp_capable(wt, at) => {
            let sa = at.bits + u32::from(!at.signed);
            (0, mult_dsps(wt.bits, sa, dsp), 0)
        }
        _ => (mult_luts(wt.bits, at.bits), 0, pbits as u64),
    };
    let tree = adder_tree_luts(simd, pbits);
    let acc_bits = acc.bits as u64;
    Resources {
        lut: pe * (simd * mul_lut + tree + acc_bits),
        ff: pe * (simd * mul_ff + pbits as u64 + counter_bits(simd) + acc_bits),
        dsp: pe * simd * mul_dsp,
        ..Default::default()
    }
}

/// Cost and cycles of the unit under `fold`.
pub fn model(s: &MvuShape, fold: &Fold, acc: ElemType, rq: &RequantShape, dsp: DspKind) -> Unit {
    let (pe, simd) = (fold.pe as u64, fold.simd as u64);
    let nf = s.mh / pe;
    let sf = s.mw / simd;
    let cycles = s.pixels * nf * sf;
    let wmem = weight_memory(nf * sf, pe * simd * s.wt.bits as u64, fold.mem);
    let bias = if s.bias {
        Resources {
            lut: pe * lut_rom(nf, acc.bits as u64),
            ..Default::default()
        }
    } else {
        Resources::default()
    };
    let inbuf = if nf > 1 && sf > 1 {
        auto_buffer(sf, simd * s.at.bits as u64)
    } else {
        Resources::default()
    };
    let cb = counter_bits(cycles);
    let ctrl = Resources {
        lut: 20 + 4 * cb,
        ff: 4 * cb + simd * s.at.bits as u64,
        ..Default::default()
    };
    let res = wmem
        + bias
        + inbuf
        + ctrl
        + datapath(pe, simd, s.wt, s.at, acc, fold.mult, dsp)
        + requant::cost(fold.pe, rq, fold.mult, dsp);
    Unit {
        kind: "mvu",
        cycles,
        res,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIP: ElemType = ElemType {
        bits: 1,
        signed: false,
    };

    #[test]
    fn finn_cycle_formula() {
        // CNV-W1A1 fc0 with FINN's folding (PE 1, SIMD 4): 512 x 256 matrix -> 32,768 cycles.
        let s = MvuShape {
            mw: 256,
            mh: 512,
            pixels: 1,
            wt: BIP,
            at: BIP,
            bias: false,
        };
        let f = Fold {
            pe: 1,
            simd: 4,
            mult: MultStyle::Lut,
            mem: MemStyle::Bram,
        };
        let acc = ElemType {
            bits: 10,
            signed: true,
        };
        let rq = RequantShape {
            acc,
            scale_bits: 2,
            out: Some(BIP),
            entries_per_pe: 512,
            per_channel: false,
        };
        let u = model(&s, &f, acc, &rq, DspKind::Dsp48e1);
        assert_eq!(u.cycles, 32768);
        // weights: 32768 words of 4 bits -> 8 RAMB18 at 4 x 4096.
        assert_eq!(u.res.bram18, 8);
        assert_eq!(u.res.dsp, 0);
    }

    #[test]
    fn datapath_styles() {
        let i8t = ElemType {
            bits: 8,
            signed: true,
        };
        let u8t = ElemType {
            bits: 8,
            signed: false,
        };
        let acc = ElemType {
            bits: 24,
            signed: true,
        };
        let l = datapath(2, 4, i8t, u8t, acc, MultStyle::Lut, DspKind::Dsp48e1);
        // per lane: 4 mults of 40 LUTs, adder tree of 4 x 17-bit (2*18 + 19 = 55), acc 24.
        assert_eq!(l.lut, 2 * (160 + 55 + 24));
        let d = datapath(2, 4, i8t, u8t, acc, MultStyle::Dsp, DspKind::Dsp48e1);
        assert_eq!(d.dsp, 8);
        assert_eq!(d.lut, 2 * (55 + 24));
        // bipolar x bipolar never uses DSPs: XNOR + popcount.
        let b = datapath(1, 8, BIP, BIP, acc, MultStyle::Dsp, DspKind::Dsp48e1);
        assert_eq!(b.dsp, 0);
        assert_eq!(b.lut, 8 + adder_tree_luts(8, 1) + 24);
    }
}
