//! `conv`: 2-D convolution. Hardware: sliding-window generator (SIMD channels per word) feeding
//! a matrix-vector unit with `MW = kh*kw*cin`, `MH = cout`.

use super::HlsStage;
use super::LayerParams;
use super::LocalStream;
use super::WeightShape;
use super::requant;
use super::{
    Fold, FoldSpace, HwCtx, Inferred, Operator, ShapeError, StageCost, Tensor, divisors, mac_range,
    row_of,
};
use crate::error::Result;
use crate::format::fields::LayerFields;
use crate::format::{ElemType, Requant, Window};
use crate::ops::Node;
use crate::ops::requant::derive;
use crate::stage::memo::Memo;
use crate::stage::mvu::MacUnit;
use crate::stage::mvu_cost::{self as mvu, MvuShape};
use crate::stage::regroup::{self, Regroup};
use crate::stage::render;
use crate::stage::swg as stages;
use crate::stage::swg;
use crate::stage::swg::SwgCall;
use crate::stage::{RtlCtx, RtlStage};

/// What the folds of one conv layer share while [`Operator::cost_all`] costs them.
#[derive(Default)]
struct CostMemo {
    /// Per SIMD: the generator's channels a word, the window generator, the regroup and the
    /// regroup's units.
    window: Memo<u32, WindowParts>,
    /// The matrix unit's parts.
    mvu: mvu::ModelMemo,
}

/// The generator's channels a word, its cost, the regroup and the regroup's units.
type WindowParts = (u32, swg::SwgCost, Option<Regroup>, Vec<crate::stage::Unit>);

/// Convolution parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Conv {
    /// Output channels.
    pub channels: u32,
    /// Kernel, stride, padding.
    pub window: Window,
    /// Weight type.
    pub weight: ElemType,
    /// Whether a bias is added.
    pub bias: bool,
}

impl Conv {
    /// Parses the conv keys.
    pub fn parse(f: &LayerFields) -> Result<Conv> {
        f.forbid(&["units", "global"])?;
        Ok(Conv {
            channels: f.required_positive("channels", &f.raw.channels)?,
            window: f.window(false)?,
            weight: ElemType {
                bits: f.weight_bits()?,
                signed: true,
            },
            bias: f.bias(),
        })
    }

    fn fan_in(&self, cin: u32) -> u64 {
        self.window.area() as u64 * cin as u64
    }

    /// The matrix-vector unit the layer runs on.
    fn unit<'a>(&self, node: &'a Node, fold: &Fold) -> MacUnit<'a> {
        let inp = node.inputs[0];
        MacUnit {
            depthwise: false,
            mw: self.fan_in(inp.shape.c),
            mh: self.channels as u64,
            pixels: node.out.shape.pixels(),
            fold: *fold,
            x: swg::window_type(&inp, &self.window),
            wt: self.weight,
            has_bias: self.bias,
            ep: node.epilogue().scaled(fold.scale),
        }
    }

    /// [`Operator::cost`], reusing what `memo` holds from earlier folds of this layer: the
    /// window generator and regroup per SIMD, the requantiser's shape per PE and scale style,
    /// the matrix unit's parts ([`mvu::ModelMemo`]).
    fn cost_with(&self, node: &Node, fold: &Fold, hw: &HwCtx, memo: &mut CostMemo) -> StageCost {
        let inp = node.inputs[0];
        let (par, g, regroup, regroup_units) = memo.window.get_ref(fold.simd, || {
            let wt = swg::window_type(&inp, &self.window);
            let par = regroup::window_par(inp.shape.c, fold.simd);
            let g = swg::model(inp.shape, inp.ty.bits, wt.bits, &self.window, par, 1, hw);
            let regroup = self.regroup(node, fold.simd);
            let units = regroup.map(|r| r.units()).unwrap_or_default();
            (par, g, regroup, units)
        });
        let rq = memo.mvu.requant_shape(node.epilogue(), fold);
        let m = mvu::model_with(&self.mvu_shape(node), fold, &rq, hw, &mut memo.mvu);
        let out_words = node.out.shape.pixels() * self.channels.div_ceil(fold.pe) as u64;
        // The generator emits the first window's MW/SIMD words one per cycle once its last pixel
        // is in; the MVU answers `mvu::depth` cycles after the last of them.
        // (A regrouped window: the generator's words, then the converter's registers.)
        let window_words = self.fan_in(inp.shape.c).div_ceil(fold.simd as u64);
        let gen_words = self.fan_in(inp.shape.c) / *par as u64;
        let regroup_latency = regroup.map_or(0, |_| Regroup::LATENCY);
        let depth = swg::SWG_DEPTH + gen_words - 1 + regroup_latency + mvu::depth(fold.simd);
        // One allocation of the exact size (a chained collect grows the vector).
        let mut units = Vec::with_capacity(g.unit.iter().len() + regroup_units.len() + 1);
        units.extend(g.unit.iter().cloned());
        units.extend_from_slice(regroup_units);
        units.push(m);
        // After the last pixel: the last window is emitted and run through every neuron fold.
        let tail = swg::SWG_DEPTH
            + regroup_latency
            + self.channels.div_ceil(fold.pe) as u64 * window_words
            + mvu::depth(fold.simd);
        StageCost::new(units, g.in_words, out_words, g.first_need, depth, tail)
    }

    /// The converter between the window generator and the matrix unit when SIMD spans kernel
    /// positions (it does not divide the input channels).
    fn regroup(&self, node: &Node, simd: u32) -> Option<Regroup> {
        let inp = node.inputs[0];
        let elems = node.out.shape.pixels() * self.fan_in(inp.shape.c);
        let bits = swg::window_type(&inp, &self.window).bits;
        Regroup::between(elems, bits, self.fan_in(inp.shape.c), inp.shape.c, simd)
    }

    fn mvu_shape(&self, node: &Node) -> MvuShape {
        let inp = node.inputs[0];
        MvuShape {
            mw: self.fan_in(inp.shape.c),
            mh: self.channels as u64,
            pixels: node.out.shape.pixels(),
            wt: self.weight,
            at: swg::window_type(&inp, &self.window),
            bias: self.bias,
        }
    }
}

/// The shape rule shared by windowed layers: feature-map input, kernel within the padded input.
pub fn window_out(
    inp: &Tensor,
    w: &Window,
    kind: &str,
) -> std::result::Result<(u32, u32), ShapeError> {
    if inp.shape.vector {
        return Err(ShapeError::new(
            "from",
            format!(
                "{kind} needs an [H, W, C] feature map, but its input is the vector {}",
                inp.shape
            ),
        ));
    }
    w.out_size(inp.shape.h, inp.shape.w).ok_or_else(|| {
        let p = w.pads(inp.shape.h, inp.shape.w);
        ShapeError::new(
            "kernel",
            format!(
                "kernel {}x{} is larger than the padded input {}x{}",
                w.kernel[0],
                w.kernel[1],
                inp.shape.h + p[0] + p[1],
                inp.shape.w + p[2] + p[3]
            ),
        )
    })
}

impl Operator for Conv {
    fn kind(&self) -> &'static str {
        "conv"
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
        let (oh, ow) = window_out(inp, &self.window, "conv")?;
        let (acc_min, acc_max) =
            mac_range(self.weight, inp.ty, self.fan_in(inp.shape.c), self.bias);
        Ok(Inferred {
            shape: crate::format::Shape::map(oh, ow, self.channels),
            acc_min,
            acc_max,
        })
    }

    fn derive_requant(&self, inputs: &[Tensor], out: ElemType) -> Requant {
        derive::for_mac(
            self.fan_in(inputs[0].shape.c),
            self.weight,
            inputs[0].ty,
            out,
        )
    }

    fn macs(&self, node: &Node) -> u64 {
        node.out.shape.pixels() * self.channels as u64 * self.fan_in(node.inputs[0].shape.c)
    }

    fn params(&self, node: &Node) -> u64 {
        self.fan_in(node.inputs[0].shape.c) * self.channels as u64
            + if self.bias { self.channels as u64 } else { 0 }
    }

    fn weights(&self, node: &Node) -> Option<WeightShape> {
        let [kh, kw] = self.window.kernel;
        let cin = node.inputs[0].shape.c as u64;
        Some(WeightShape {
            shape: vec![kh as u64, kw as u64, cin, self.channels as u64],
            bias: self.bias,
            channels: self.channels as u64,
            fan_in: self.fan_in(node.inputs[0].shape.c),
        })
    }

    fn window(&self) -> Option<Window> {
        Some(self.window)
    }

    fn weight_type(&self) -> Option<ElemType> {
        Some(self.weight)
    }

    fn fold_space(&self, node: &Node) -> FoldSpace {
        FoldSpace {
            pe: divisors(self.channels),
            // SIMD over the whole window (FINN's MVAU rule): the generator emits
            // `window_par` channels a word and a converter regroups them (and pads a
            // window's last word when SIMD does not divide the window).
            simd: divisors(self.fan_in(node.inputs[0].shape.c) as u32),
            has_mult: mvu::dsp_capable(self.weight, node.inputs[0].ty),
            has_weights: true,
            shared_x: Some((self.weight, swg::window_type(&node.inputs[0], &self.window))),
            scale_choice: node.epilogue().scale_choice(),
            // Padded lanes: PE, and SIMD unless an operand is bipolar (as dense layers).
            padded_lanes: super::PaddedLanes {
                pe: true,
                simd: self.weight.bits > 1 && node.inputs[0].ty.bits > 1,
            },
        }
    }

    fn in_par(&self, node: &Node, fold: &Fold) -> u32 {
        regroup::window_par(node.inputs[0].shape.c, fold.simd)
    }

    fn out_row(&self, _node: &Node, fold: &Fold) -> u64 {
        row_of(fold.pe, self.channels as u64)
    }

    fn cost(&self, node: &Node, fold: &Fold, hw: &HwCtx) -> StageCost {
        self.cost_with(node, fold, hw, &mut CostMemo::default())
    }

    fn cost_all(&self, node: &Node, folds: &[Fold], hw: &HwCtx) -> Vec<StageCost> {
        let mut memo = CostMemo::default();
        folds
            .iter()
            .map(|f| self.cost_with(node, f, hw, &mut memo))
            .collect()
    }

    fn reference(&self, node: &Node, inputs: &[&[i64]], p: &LayerParams) -> Vec<i64> {
        let inp = node.inputs[0].shape;
        let cout = self.channels as usize;
        super::window::each_window(
            inputs[0],
            inp,
            node.out.shape,
            &self.window,
            0,
            |win, out| {
                let mut acc: Vec<i64> = if self.bias {
                    p.bias.clone()
                } else {
                    vec![0; cout]
                };
                for (x, row) in win.iter().zip(p.weight.chunks_exact(cout)) {
                    for (a, w) in acc.iter_mut().zip(row) {
                        *a += w * x;
                    }
                }
                out.extend(
                    acc.iter()
                        .enumerate()
                        .map(|(co, &a)| requant::finish(node, co, a)),
                );
            },
        )
    }

    fn hls(&self, node: &Node, fold: &Fold, p: &LayerParams, hw: &HwCtx) -> HlsStage {
        let inp = node.inputs[0];
        let mut st = HlsStage::default();
        let par = regroup::window_par(inp.shape.c, fold.simd);
        let mut input = if swg::passes_through(inp.shape, &self.window) {
            "in".to_string()
        } else {
            let wt = swg::window_type(&inp, &self.window);
            st.streams
                .push(LocalStream::new("win", (par * wt.bits) as u64));
            let call = SwgCall::zero_padded(&inp, &self.window, par, 1, false, hw);
            st.calls.push(render(&call));
            "win".to_string()
        };
        if let Some(r) = self.regroup(node, fold.simd) {
            input = r.hls(&mut st, &input);
        }
        let (arrays, call) = self.unit(node, fold).hls(&p.weight, &p.bias, &input, hw);
        st.arrays = arrays;
        st.calls.push(call);
        st
    }

    fn rtl(
        &self,
        node: &Node,
        fold: &Fold,
        p: Option<&LayerParams>,
        ctx: &RtlCtx,
    ) -> Option<RtlStage> {
        let inp = node.inputs[0];
        let wt = swg::window_type(&inp, &self.window);
        let par = regroup::window_par(inp.shape.c, fold.simd);
        let window = (!swg::passes_through(inp.shape, &self.window)).then(|| {
            let call = SwgCall::zero_padded(&inp, &self.window, par, 1, false, &ctx.hw);
            (call, (par * wt.bits) as u64)
        });
        let params = p.map(|p| (p.weight.as_slice(), p.bias.as_slice()));
        let regroup = self.regroup(node, fold.simd);
        Some(stages::windowed(window, regroup, ctx, |input| {
            self.unit(node, fold)
                .rtl(ctx.name, params, (input, ctx.output), &ctx.hw)
        }))
    }
}
