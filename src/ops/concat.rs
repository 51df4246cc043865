//! `concat`: channel concatenation of two or more feature maps of equal height and width (or
//! of vectors), any channel counts, in `from` order; each input is requantised to the output
//! type (`x*scale_i`, one shift, relu, saturation) when the layer has an `output` type.
//! Hardware: a chain of two-input concatenation units (`stage::concat`), PE channels a word
//! (PE divides every input's channel count): cycles = `H*W*C/PE`.

use super::LocalStream;
use super::requant::{self, derive};
use super::{Fold, FoldSpace, HwCtx, Inferred, LayerParams, Node, Operator, ShapeError};
use crate::error::Result;
use crate::format::fields::LayerFields;
use crate::format::{ElemType, Requant, Shape, Tensor};
use crate::stage::concat::{CONCAT_DEPTH, ConcatUnit, Side};
use crate::stage::{HlsStage, RtlCtx, RtlStage, StageCost};

/// The most inputs one concat takes.
pub const MAX_INPUTS: usize = 16;

/// Concat parameters (none beyond the common keys).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Concat;

impl Concat {
    /// Parses the concat keys.
    pub fn parse(f: &LayerFields) -> Result<Concat> {
        f.forbid(super::JOIN_REJECTS)?;
        if f.raw.from.is_none() {
            return Err(
                f.error("missing required key `from` for op `concat` (two or more layer names)")
            );
        }
        Ok(Concat)
    }
}

/// The chain of units of a concat: unit 1 joins inputs 0 and 1, unit k joins the output of
/// unit k-1 (already in the output type) and input k.
fn chain(node: &Node, fold: &Fold) -> Vec<ConcatUnit> {
    let pe = fold.pe as u64;
    let pixels = node.out.shape.pixels();
    let side = |i: usize| Side {
        words: node.inputs[i].shape.c as u64 / pe,
        ty: node.inputs[i].ty,
        scale: node
            .requant
            .as_ref()
            .map(|r| requant::input_scale(&r.scale, i)),
    };
    let shift = node.requant.as_ref().map_or(0, |r| r.shift[0]);
    let relu = node.epilogue().relu;
    let mut units = Vec::with_capacity(node.inputs.len() - 1);
    let mut a = side(0);
    for i in 1..node.inputs.len() {
        let unit = ConcatUnit {
            pixels,
            pe: fold.pe,
            a,
            b: side(i),
            shift,
            out: node.out.ty,
            relu,
        };
        units.push(unit);
        a = Side {
            words: unit.a.words + unit.b.words,
            ty: node.out.ty,
            scale: None,
        };
    }
    units
}

impl Operator for Concat {
    fn kind(&self) -> &'static str {
        "concat"
    }

    fn inputs(&self) -> std::ops::RangeInclusive<usize> {
        2..=MAX_INPUTS
    }

    fn infer(
        &self,
        inputs: &[Tensor],
        scales: &[i64],
    ) -> std::result::Result<Inferred, ShapeError> {
        let first = inputs[0].shape;
        if let Some(t) = inputs.iter().find(|t| {
            t.shape.vector != first.vector || (t.shape.h, t.shape.w) != (first.h, first.w)
        }) {
            return Err(ShapeError::new(
                "from",
                format!(
                    "concat inputs must have the same height and width: {} and {}",
                    first, t.shape
                ),
            ));
        }
        let c: u64 = inputs.iter().map(|t| t.shape.c as u64).sum();
        let c = u32::try_from(c).map_err(|_| {
            ShapeError::new("from", format!("concat output has {c} channels, too many"))
        })?;
        let shape = if first.vector {
            Shape::vector(c)
        } else {
            Shape::map(first.h, first.w, c)
        };
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for (i, t) in inputs.iter().enumerate() {
            let s = requant::input_scale(scales, i);
            let (x, y) = (t.ty.min() * s, t.ty.max() * s);
            lo = lo.min(x.min(y));
            hi = hi.max(x.max(y));
        }
        Ok(Inferred {
            shape,
            acc_min: lo,
            acc_max: hi,
        })
    }

    fn scales_per_input(&self) -> bool {
        true
    }

    fn calibrates(&self) -> bool {
        false
    }

    fn check_requant(
        &self,
        r: &Requant,
        _channels: u32,
        inputs: usize,
    ) -> std::result::Result<(), ShapeError> {
        requant::per_input_lengths(r, "a concat", inputs)
    }

    fn expand_requant(&self, r: &Requant, _out: ElemType, inputs: usize) -> Requant {
        requant::per_input_scales(r, inputs)
    }

    fn derive_requant(&self, inputs: &[Tensor], out: ElemType) -> Requant {
        let types: Vec<ElemType> = inputs.iter().map(|t| t.ty).collect();
        derive::for_concat(&types, out)
    }

    fn macs(&self, _node: &Node) -> u64 {
        0
    }

    fn params(&self, _node: &Node) -> u64 {
        0
    }

    fn fold_space(&self, node: &Node) -> FoldSpace {
        let g = node
            .inputs
            .iter()
            .fold(0, |g, t| crate::stage::glue::gcd(g, t.shape.c as u64));
        FoldSpace::lanes(g.max(1) as u32)
    }

    fn in_par(&self, _node: &Node, fold: &Fold) -> u32 {
        fold.pe
    }

    fn cost(&self, node: &Node, fold: &Fold, hw: &HwCtx) -> StageCost {
        let units: Vec<_> = chain(node, fold).iter().map(|u| u.cost(hw.dsp)).collect();
        let words = node.out.shape.elems() / fold.pe as u64;
        let in_words = node.inputs[0].shape.elems() / fold.pe as u64;
        // A word passes every unit of the chain, two cycles each.
        let depth = CONCAT_DEPTH * (node.inputs.len() as u64 - 1);
        StageCost::new(units, in_words, words, 1, depth, depth)
    }

    fn reference(&self, node: &Node, inputs: &[&[i64]], _p: &LayerParams) -> Vec<i64> {
        let relu = node.epilogue().relu;
        let pixels = node.out.shape.pixels() as usize;
        let mut out = Vec::with_capacity(node.out.shape.elems() as usize);
        for px in 0..pixels {
            for (i, (values, t)) in inputs.iter().zip(&node.inputs).enumerate() {
                let c = t.shape.c as usize;
                for &v in &values[px * c..(px + 1) * c] {
                    out.push(match &node.requant {
                        None if relu => v.max(0),
                        None => v,
                        Some(r) => {
                            let acc = v as i128 * requant::input_scale(&r.scale, i) as i128;
                            requant::apply(acc, r.shift[0], relu, node.out.ty)
                        }
                    });
                }
            }
        }
        out
    }

    fn hls(&self, node: &Node, fold: &Fold, _p: &LayerParams, _hw: &HwCtx) -> HlsStage {
        let units = chain(node, fold);
        let mut st = HlsStage::default();
        let width = (fold.pe * node.out.ty.bits) as u64;
        let mut a = crate::stage::input_name(0).to_string();
        for (k, u) in units.iter().enumerate() {
            let out = if k + 1 == units.len() {
                "out".to_string()
            } else {
                let s = format!("cat{}", k + 1);
                st.streams.push(LocalStream::new(s.clone(), width));
                s
            };
            st.calls
                .push(u.hls(&a, crate::stage::input_name(k + 1), &out));
            a = out;
        }
        st
    }

    fn rtl(
        &self,
        node: &Node,
        fold: &Fold,
        _p: Option<&LayerParams>,
        ctx: &RtlCtx,
    ) -> Option<RtlStage> {
        let units = chain(node, fold);
        let mut st = RtlStage::default();
        let width = (fold.pe * node.out.ty.bits) as u64;
        let mut a = ctx.inputs[0].clone();
        for (k, u) in units.iter().enumerate() {
            let out = if k + 1 == units.len() {
                ctx.output.to_string()
            } else {
                let c = format!("cat{}_{}", k + 1, ctx.name);
                st.channels.push(crate::stage::netlist::Channel {
                    name: c.clone(),
                    width,
                });
                c
            };
            let name = format!("concat{}_{}", k + 1, ctx.name);
            st.instances
                .push(u.rtl(ctx.name, &name, &a, &ctx.inputs[k + 1], &out));
            a = out;
        }
        Some(st)
    }
}
