//! `add`: elementwise `a*scale_a + b*scale_b`, requantised (residual connections).
//! Hardware: PE lanes reading one word from each input per cycle: cycles = `H*W*C/PE`.

use super::HlsStage;
use super::LayerParams;
use super::requant;
use super::{Fold, FoldSpace, HwCtx, Inferred, Operator, ShapeError, StageCost, Tensor, Unit};
use crate::cost::{DspKind, Resources, ScaleStyle, const_mul_luts, const_mult_bits, mult_dsps};
use crate::error::Result;
use crate::format::fields::LayerFields;
use crate::format::{ElemType, Requant};
use crate::ops::Node;
use crate::ops::requant::derive;
use crate::stage::add::AddUnit;
use crate::stage::glue;
use crate::stage::{RtlCtx, RtlStage};

/// Add parameters (none beyond the common keys).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Add;

impl Add {
    /// Parses the add keys.
    pub fn parse(f: &LayerFields) -> Result<Add> {
        f.forbid(super::JOIN_REJECTS)?;
        if f.raw.from.is_none() {
            return Err(f.error("missing required key `from` for op `add` (two layer names)"));
        }
        Ok(Add)
    }
}

/// Pipeline depth of the add lane (scale multiply, add, requant, saturate).
pub const ADD_DEPTH: u64 = 4;

impl Operator for Add {
    fn kind(&self) -> &'static str {
        "add"
    }

    fn inputs(&self) -> std::ops::RangeInclusive<usize> {
        2..=2
    }

    fn infer(
        &self,
        inputs: &[Tensor],
        scales: &[i64],
    ) -> std::result::Result<Inferred, ShapeError> {
        let (a, b) = (&inputs[0], &inputs[1]);
        if a.shape != b.shape {
            return Err(ShapeError::new(
                "from",
                format!(
                    "add inputs have different shapes: {} and {}",
                    a.shape, b.shape
                ),
            ));
        }
        let sa = scales.first().copied().unwrap_or(1);
        let sb = scales.get(1).copied().unwrap_or(sa);
        let ends = |t: &ElemType, s: i64| {
            let (x, y) = (t.min() * s, t.max() * s);
            (x.min(y), x.max(y))
        };
        let (amin, amax) = ends(&a.ty, sa);
        let (bmin, bmax) = ends(&b.ty, sb);
        Ok(Inferred {
            shape: a.shape,
            acc_min: amin + bmin,
            acc_max: amax + bmax,
        })
    }

    fn scales_per_input(&self) -> bool {
        true
    }

    fn check_requant(
        &self,
        r: &Requant,
        _channels: u32,
        inputs: usize,
    ) -> std::result::Result<(), ShapeError> {
        requant::per_input_lengths(r, "an add", inputs)
    }

    fn expand_requant(&self, r: &Requant, _out: ElemType, inputs: usize) -> Requant {
        requant::per_input_scales(r, inputs)
    }

    fn derive_requant(&self, inputs: &[Tensor], out: ElemType) -> Requant {
        derive::for_add(inputs[0].ty, inputs[1].ty, out)
    }

    fn macs(&self, _node: &Node) -> u64 {
        0
    }

    fn params(&self, _node: &Node) -> u64 {
        0
    }

    fn fold_space(&self, node: &Node) -> FoldSpace {
        // Each input times its constant scale: in DSP slices or shift-adds.
        let dsps = input_scalings(node, ScaleStyle::Dsp, DspKind::Dsp48e1).2;
        FoldSpace::lanes(node.out.shape.c).with_scale_choice(dsps > 0)
    }

    fn in_par(&self, _node: &Node, fold: &Fold) -> u32 {
        fold.pe
    }

    fn cost(&self, node: &Node, fold: &Fold, hw: &HwCtx) -> StageCost {
        let pe = fold.pe as u64;
        let words = node.out.shape.elems() / pe;
        let out = node.out.ty.bits as u64;
        // half_add (calibration table C7): each input scaled by its constant, the finish
        // logic per lane, a 3-word output queue; the plain sum without requantisation keeps an
        // ACC-bit register per lane.
        let (lane_lut, lane_ff, lane_dsp) = input_scalings(node, fold.scale, hw.dsp);
        let res = glue::fifo_styled(3, pe * out, false)
            + Resources {
                lut: 4 + pe * lane_lut,
                ff: 1 + pe * lane_ff,
                dsp: pe * lane_dsp,
                ..Default::default()
            };
        let unit = Unit {
            kind: "add",
            cycles: words,
            res,
            store: None,
        };
        StageCost::new(vec![unit], words, words, 1, ADD_DEPTH, ADD_DEPTH)
    }

    fn reference(&self, node: &Node, inputs: &[&[i64]], _p: &LayerParams) -> Vec<i64> {
        let relu = node.activation == crate::format::Activation::Relu;
        inputs[0]
            .iter()
            .zip(inputs[1])
            .map(|(&a, &b)| match &node.requant {
                None => {
                    let v = a + b;
                    if relu { v.max(0) } else { v }
                }
                Some(r) => {
                    let sb = *r.scale.last().unwrap_or(&1);
                    let acc = a as i128 * r.scale[0] as i128 + b as i128 * sb as i128;
                    requant::apply(acc, r.shift[0], relu, node.out.ty)
                }
            })
            .collect()
    }

    fn hls(&self, node: &Node, fold: &Fold, _p: &LayerParams, _hw: &HwCtx) -> HlsStage {
        let (arrays, call) = unit(node, fold).hls("in", "in_b");
        HlsStage {
            arrays,
            streams: Vec::new(),
            calls: vec![call],
        }
    }

    fn rtl(
        &self,
        node: &Node,
        fold: &Fold,
        _p: Option<&LayerParams>,
        ctx: &RtlCtx,
    ) -> Option<RtlStage> {
        let inst = unit(node, fold).rtl(&node.name, &ctx.inputs[0], &ctx.inputs[1], ctx.output);
        Some(RtlStage {
            instances: vec![inst],
            ..Default::default()
        })
    }
}

/// One lane's (LUTs, FFs, DSPs) of `half_add`'s input scaling and finish: `a * SCALE_A +
/// b * SCALE_B` with products Yosys puts in DSP slices by its rule ([`mult_dsps`]), or with
/// scale style `lut` by shift-adds (`half_const_mul` over the sum's `WW` bits,
/// [`const_mul_luts`]); the plain sum without requantisation keeps an ACC-bit register.
fn input_scalings(node: &Node, style: ScaleStyle, dsp: DspKind) -> (u64, u64, u64) {
    let acc = (node.acc.bits + u32::from(!node.acc.signed)) as u64;
    let Some(r) = &node.requant else {
        return (acc + 2, acc, 0);
    };
    let (sa, sb) = (r.scale[0], *r.scale.last().unwrap_or(&r.scale[0]));
    let (ta, tb) = (node.inputs[0].ty, node.inputs[1].ty);
    if style == ScaleStyle::Lut {
        // half_add's WW: the wider decoded input plus the scale's bits plus one.
        let scale_bits = crate::stage::requant::signed_bits(&r.scale).max(2);
        let ww = (ta.decoded_bits().max(tb.decoded_bits()) + scale_bits + 1).max(acc as u32);
        return (10 + const_mul_luts(ww, sa) + const_mul_luts(ww, sb), 0, 0);
    }
    let dsps = |t: ElemType, c: i64| match const_mult_bits(c) {
        0 => 0,
        cb => mult_dsps(t.decoded_bits(), cb, dsp),
    };
    (10, 0, dsps(ta, sa) + dsps(tb, sb))
}

/// The add unit a layer runs on.
fn unit<'a>(node: &'a Node, fold: &Fold) -> AddUnit<'a> {
    AddUnit {
        words: node.out.shape.elems() / fold.pe as u64,
        pe: fold.pe,
        inputs: (node.inputs[0].ty, node.inputs[1].ty),
        ep: node.epilogue().scaled(fold.scale),
    }
}
