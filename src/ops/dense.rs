//! `dense`: fully connected layer on a vector (a feature map is flattened in H, W, C order).
//! Hardware: one matrix-vector unit with `MW` = input features, `MH` = units.

use super::HlsStage;
use super::LayerParams;
use super::WeightShape;
use super::requant;
use super::{
    Fold, FoldSpace, HwCtx, Inferred, Operator, ShapeError, StageCost, Tensor, divisors, mac_range,
    row_of,
};
use crate::error::Result;
use crate::format::fields::LayerFields;
use crate::format::{ElemType, Requant, Shape};
use crate::ops::Node;
use crate::ops::requant::derive;
use crate::stage::mvu::MacUnit;
use crate::stage::mvu_cost::{self as mvu, MvuShape};
use crate::stage::{RtlCtx, RtlStage};

/// Dense parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dense {
    /// Output features.
    pub units: u32,
    /// Weight type.
    pub weight: ElemType,
    /// Whether a bias is added.
    pub bias: bool,
}

impl Dense {
    /// Parses the dense keys.
    pub fn parse(f: &LayerFields) -> Result<Dense> {
        f.forbid(&["channels", "kernel", "stride", "padding", "global"])?;
        Ok(Dense {
            units: f.required_positive("units", &f.raw.units)?,
            weight: ElemType {
                bits: f.weight_bits()?,
                signed: true,
            },
            bias: f.bias(),
        })
    }

    /// [`Operator::cost`], reusing the matrix unit's parts `memo` holds from earlier folds.
    fn cost_with(
        &self,
        node: &Node,
        fold: &Fold,
        hw: &HwCtx,
        memo: &mut mvu::ModelMemo,
    ) -> StageCost {
        let s = self.mvu_shape(node);
        let rq = memo.requant_shape(node.epilogue(), fold);
        let m = mvu::model_with(&s, fold, &rq, hw, memo);
        let in_words = s.mw.div_ceil(fold.simd as u64);
        let out_words = s.mh.div_ceil(fold.pe as u64);
        // The last input word arrives in the first neuron fold; the other folds follow it.
        let tail = (out_words - 1) * in_words + mvu::depth(fold.simd);
        StageCost::new(
            vec![m],
            in_words,
            out_words,
            in_words,
            mvu::depth(fold.simd),
            tail,
        )
    }

    fn mvu_shape(&self, node: &Node) -> MvuShape {
        let inp = node.inputs[0];
        MvuShape {
            mw: inp.shape.elems(),
            mh: self.units as u64,
            pixels: 1,
            wt: self.weight,
            at: inp.ty,
            bias: self.bias,
        }
    }
}

impl Dense {
    /// The matrix-vector unit the layer runs on (one pixel: the flattened input).
    fn unit<'a>(&self, node: &'a Node, fold: &Fold) -> MacUnit<'a> {
        let inp = node.inputs[0];
        MacUnit {
            depthwise: false,
            mw: inp.shape.elems(),
            mh: self.units as u64,
            pixels: 1,
            fold: *fold,
            x: inp.ty,
            wt: self.weight,
            has_bias: self.bias,
            ep: node.epilogue().scaled(fold.scale),
        }
    }
}

impl Operator for Dense {
    fn kind(&self) -> &'static str {
        "dense"
    }

    fn takes_thresholds(&self) -> bool {
        true
    }

    fn infer(
        &self,
        inputs: &[Tensor],
        _scales: &[i64],
    ) -> std::result::Result<Inferred, ShapeError> {
        let inp = &inputs[0];
        if inp.shape.elems() > u32::MAX as u64 / 2 {
            return Err(ShapeError::new(
                "from",
                format!(
                    "dense input is too large: {} features (at most {})",
                    inp.shape.elems(),
                    u32::MAX / 2
                ),
            ));
        }
        let (acc_min, acc_max) = mac_range(self.weight, inp.ty, inp.shape.elems(), self.bias);
        Ok(Inferred {
            shape: Shape::vector(self.units),
            acc_min,
            acc_max,
        })
    }

    fn derive_requant(&self, inputs: &[Tensor], out: ElemType) -> Requant {
        derive::for_mac(inputs[0].shape.elems(), self.weight, inputs[0].ty, out)
    }

    fn macs(&self, node: &Node) -> u64 {
        node.inputs[0].shape.elems() * self.units as u64
    }

    fn params(&self, node: &Node) -> u64 {
        self.macs(node) + if self.bias { self.units as u64 } else { 0 }
    }

    fn weights(&self, node: &Node) -> Option<WeightShape> {
        let n = node.inputs[0].shape.elems();
        Some(WeightShape {
            shape: vec![n, self.units as u64],
            bias: self.bias,
            channels: self.units as u64,
            fan_in: n,
        })
    }

    fn weight_type(&self) -> Option<ElemType> {
        Some(self.weight)
    }

    fn fold_space(&self, node: &Node) -> FoldSpace {
        FoldSpace {
            pe: divisors(self.units),
            simd: divisors(node.inputs[0].shape.elems() as u32),
            has_mult: mvu::dsp_capable(self.weight, node.inputs[0].ty),
            has_weights: true,
            shared_x: Some((self.weight, node.inputs[0].ty)),
            scale_choice: node.epilogue().scale_choice(),
            // Padded lanes: PE (not on the network's output layer, whose words leave the
            // accelerator: `fold::candidates`), and SIMD unless an operand is bipolar (a padded
            // input lane would add -1 * w, not 0).
            padded_lanes: super::PaddedLanes {
                pe: true,
                simd: self.weight.bits > 1 && node.inputs[0].ty.bits > 1,
            },
        }
    }

    fn in_par(&self, _node: &Node, fold: &Fold) -> u32 {
        fold.simd
    }

    fn in_row(&self, node: &Node, fold: &Fold) -> u64 {
        row_of(fold.simd, node.inputs[0].shape.elems())
    }

    fn out_row(&self, _node: &Node, fold: &Fold) -> u64 {
        row_of(fold.pe, self.units as u64)
    }

    fn cost(&self, node: &Node, fold: &Fold, hw: &HwCtx) -> StageCost {
        self.cost_with(node, fold, hw, &mut mvu::ModelMemo::default())
    }

    fn cost_all(&self, node: &Node, folds: &[Fold], hw: &HwCtx) -> Vec<StageCost> {
        let mut memo = mvu::ModelMemo::default();
        folds
            .iter()
            .map(|f| self.cost_with(node, f, hw, &mut memo))
            .collect()
    }

    fn reference(&self, node: &Node, inputs: &[&[i64]], p: &LayerParams) -> Vec<i64> {
        let units = self.units as usize;
        let mut acc: Vec<i64> = if self.bias {
            p.bias.clone()
        } else {
            vec![0; units]
        };
        for (x, row) in inputs[0].iter().zip(p.weight.chunks_exact(units)) {
            for (a, w) in acc.iter_mut().zip(row) {
                *a += w * x;
            }
        }
        acc.iter()
            .enumerate()
            .map(|(u, &a)| requant::finish(node, u, a))
            .collect()
    }

    fn hls(&self, node: &Node, fold: &Fold, p: &LayerParams, hw: &HwCtx) -> HlsStage {
        let (arrays, call) = self.unit(node, fold).hls(&p.weight, &p.bias, "in", hw);
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
        p: Option<&LayerParams>,
        ctx: &RtlCtx,
    ) -> Option<RtlStage> {
        let params = p.map(|p| (p.weight.as_slice(), p.bias.as_slice()));
        Some(
            self.unit(node, fold)
                .rtl(ctx.name, params, (&ctx.inputs[0], ctx.output), &ctx.hw),
        )
    }
}
