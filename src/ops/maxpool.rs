//! `maxpool`: window maximum; padding uses the type's minimum; output type = input type.
//! Hardware: a sliding-window generator (PE channels per word) and PE comparators that take
//! one window word per cycle: cycles = `max(in_words, out_pixels * kh*kw * C/PE)`.

use super::HlsStage;
use super::LayerParams;
use super::LocalStream;
use super::conv::window_out;
use super::{Fold, FoldSpace, HwCtx, Inferred, Operator, ShapeError, StageCost, Tensor, Unit};
use crate::cost::{Resources, clog2};
use crate::error::Result;
use crate::format::fields::LayerFields;
use crate::format::{ElemType, Requant, Shape, Window};
use crate::ops::Node;
use crate::stage::pool::PoolUnit;
use crate::stage::swg as stages;
use crate::stage::swg::SwgCall;
use crate::stage::{RtlCtx, RtlStage};
use crate::stage::{arrays, render};
use crate::stage::{glue, swg};

/// Max-pool parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MaxPool {
    /// Kernel, stride (default: the kernel), padding.
    pub window: Window,
}

impl MaxPool {
    /// Parses the maxpool keys.
    pub fn parse(f: &LayerFields) -> Result<MaxPool> {
        f.forbid(&[
            "channels",
            "units",
            "global",
            "weight_bits",
            "bias",
            "activation",
            "output",
            "requant",
        ])?;
        Ok(MaxPool {
            window: f.window(true)?,
        })
    }
}

/// Pipeline depth of a pool reducer (compare/add, output register).
pub const POOL_DEPTH: u64 = 2;

impl MaxPool {
    /// The window generator, padding with the input type's smallest value.
    fn generator(&self, node: &Node, fold: &Fold, hw: &HwCtx) -> SwgCall {
        let inp = node.inputs[0];
        let pad = arrays::raw(inp.ty.min(), inp.ty);
        SwgCall::new(&inp, &self.window, fold.pe, 1, true, pad, inp.ty.bits, hw)
    }

    /// The pool unit the layer runs on: window maxima, no requantisation.
    fn unit<'a>(&self, node: &'a Node, fold: &Fold) -> PoolUnit<'a> {
        let inp = node.inputs[0];
        PoolUnit {
            global: false,
            max: true,
            c: inp.shape.c,
            kk: self.window.area(),
            pe: fold.pe,
            pixels: node.out.shape.pixels(),
            x: inp.ty,
            acc: inp.ty.bits + 1,
            ep: node.epilogue(),
        }
    }
}

impl Operator for MaxPool {
    fn kind(&self) -> &'static str {
        "maxpool"
    }

    fn infer(
        &self,
        inputs: &[Tensor],
        _scales: &[i64],
    ) -> std::result::Result<Inferred, ShapeError> {
        let inp = &inputs[0];
        let (oh, ow) = window_out(inp, &self.window, "maxpool")?;
        Ok(Inferred {
            shape: Shape::map(oh, ow, inp.shape.c),
            acc_min: inp.ty.min(),
            acc_max: inp.ty.max(),
        })
    }

    fn derive_requant(&self, _inputs: &[Tensor], _out: ElemType) -> Requant {
        Requant {
            scale: vec![1],
            shift: vec![0],
        }
    }

    fn macs(&self, _node: &Node) -> u64 {
        0
    }

    fn params(&self, _node: &Node) -> u64 {
        0
    }

    fn window(&self) -> Option<Window> {
        Some(self.window)
    }

    fn keeps_input_type(&self) -> bool {
        true
    }

    fn fold_space(&self, node: &Node) -> FoldSpace {
        FoldSpace::lanes(node.out.shape.c)
    }

    fn in_par(&self, _node: &Node, fold: &Fold) -> u32 {
        fold.pe
    }

    fn cost(&self, node: &Node, fold: &Fold, hw: &HwCtx) -> StageCost {
        let inp = node.inputs[0];
        let pe = fold.pe as u64;
        let kk = self.window.area() as u64;
        let g = swg::model(
            inp.shape,
            inp.ty.bits,
            inp.ty.bits,
            &self.window,
            fold.pe,
            1,
            hw,
        );
        let bits = inp.ty.bits as u64;
        // half_pool, MAX = 1: ACC = bits + 1 running maxima, a 3-word output queue
        // (calibration table C7).
        let acc = bits + 1;
        let res = glue::fifo_styled(3, pe * bits, false)
            + Resources {
                lut: 10 + pe * (acc + 2),
                ff: pe * acc + clog2(kk) + 1,
                ..Default::default()
            };
        let pool = Unit {
            kind: "pool",
            cycles: g.out_words,
            res,
            store: None,
        };
        let out_words = node.out.shape.pixels() * (inp.shape.c as u64 / pe);
        let depth = swg::SWG_DEPTH + kk - 1 + POOL_DEPTH;
        let units = g.unit.into_iter().chain(std::iter::once(pool)).collect();
        StageCost::new(units, g.in_words, out_words, g.first_need, depth, depth)
    }

    fn reference(&self, node: &Node, inputs: &[&[i64]], _p: &LayerParams) -> Vec<i64> {
        let inp = node.inputs[0];
        let c = inp.shape.c as usize;
        let pad = inp.ty.min();
        super::window::each_window(
            inputs[0],
            inp.shape,
            node.out.shape,
            &self.window,
            pad,
            |win, out| {
                let mut m = vec![i64::MIN; c];
                for xs in win.chunks_exact(c) {
                    for (a, x) in m.iter_mut().zip(xs) {
                        *a = (*a).max(*x);
                    }
                }
                out.extend(m);
            },
        )
    }

    fn hls(&self, node: &Node, fold: &Fold, _p: &LayerParams, hw: &HwCtx) -> HlsStage {
        let inp = node.inputs[0];
        let swg = self.generator(node, fold, hw);
        let (arrays, call) = self.unit(node, fold).hls("win");
        HlsStage {
            arrays,
            streams: vec![LocalStream::new("win", (fold.pe * inp.ty.bits) as u64)],
            calls: vec![render(&swg), call],
        }
    }

    fn rtl(
        &self,
        node: &Node,
        fold: &Fold,
        _p: Option<&LayerParams>,
        ctx: &RtlCtx,
    ) -> Option<RtlStage> {
        let call = self.generator(node, fold, &ctx.hw);
        let width = (fold.pe * node.inputs[0].ty.bits) as u64;
        let (mut st, win) = stages::window_stage(&call, ctx.name, &ctx.inputs[0], width);
        st.instances
            .push(self.unit(node, fold).rtl(&node.name, &win, ctx.output)?);
        Some(st)
    }
}
