//! `avgpool`: window sum, requantised (the derived requant divides by the window), or a
//! global average over the whole map. Hardware: windowed = sliding-window generator plus PE
//! adders taking one window word per cycle; global = PE adders accumulating every pixel into a
//! per-channel accumulator memory, emitting C/PE words after the last pixel.

use super::HlsStage;
use super::LayerParams;
use super::LocalStream;
use super::conv::window_out;
use super::maxpool::POOL_DEPTH;
use super::requant;
use super::{Fold, FoldSpace, HwCtx, Inferred, Operator, ShapeError, StageCost, Tensor, Unit};
use crate::cost::memory::Memory;
use crate::cost::{Resources, clog2};
use crate::error::Result;
use crate::format::fields::LayerFields;
use crate::format::{ElemType, Requant, Shape, Window};
use crate::ops::Node;
use crate::ops::requant::derive;
use crate::stage::pool::PoolUnit;
use crate::stage::render;
use crate::stage::swg as stages;
use crate::stage::swg::SwgCall;
use crate::stage::{RtlCtx, RtlStage};
use crate::stage::{glue, swg};

/// Average-pool parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AvgPool {
    /// The window, or None for a global pool.
    pub window: Option<Window>,
}

impl AvgPool {
    /// Parses the avgpool keys.
    pub fn parse(f: &LayerFields) -> Result<AvgPool> {
        f.forbid(&["channels", "units", "weight_bits", "bias", "activation"])?;
        let global = f.raw.global.as_ref().is_some_and(|g| g.value);
        if global {
            f.forbid(&["kernel", "stride", "padding"]).map_err(|_| {
                f.error_at(
                    f.loc_or_layer("global"),
                    "a global avgpool takes no kernel, stride or padding",
                )
            })?;
            return Ok(AvgPool { window: None });
        }
        Ok(AvgPool {
            window: Some(f.window(true)?),
        })
    }

    fn window_elems(&self, inp: &Shape) -> u64 {
        self.window.map_or(inp.pixels(), |w| w.area() as u64)
    }
}

impl AvgPool {
    /// The pool unit the layer runs on: window sums behind a generator, or a global sum.
    fn unit<'a>(&self, node: &'a Node, fold: &Fold) -> PoolUnit<'a> {
        let inp = node.inputs[0];
        let (x, kk, pixels) = match &self.window {
            Some(w) => (swg::window_type(&inp, w), w.area(), node.out.shape.pixels()),
            None => (inp.ty, 1, inp.shape.pixels()),
        };
        PoolUnit {
            global: self.window.is_none(),
            max: false,
            c: inp.shape.c,
            kk,
            pe: fold.pe,
            pixels,
            x,
            acc: node.epilogue().acc_bits(),
            ep: node.epilogue().scaled(fold.scale),
        }
    }
}

impl Operator for AvgPool {
    fn canonical(&self, inputs: &[Tensor]) -> Option<super::LayerOp> {
        let w = self.window?;
        let s = inputs.first()?.shape;
        let whole = !s.vector && w.kernel == [s.h, s.w] && w.pads(s.h, s.w) == [0; 4];
        whole.then_some(super::LayerOp::AvgPool(AvgPool { window: None }))
    }

    fn kind(&self) -> &'static str {
        "avgpool"
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
        let shape = match &self.window {
            None if inp.shape.vector => {
                return Err(ShapeError::new(
                    "from",
                    format!(
                        "avgpool needs an [H, W, C] feature map, but its input is the vector {}",
                        inp.shape
                    ),
                ));
            }
            None => Shape::map(1, 1, inp.shape.c),
            Some(w) => {
                let (oh, ow) = window_out(inp, w, "avgpool")?;
                Shape::map(oh, ow, inp.shape.c)
            }
        };
        let n = self.window_elems(&inp.shape) as i64;
        Ok(Inferred {
            shape,
            acc_min: inp.ty.min() * n,
            acc_max: inp.ty.max() * n,
        })
    }

    fn derive_requant(&self, inputs: &[Tensor], out: ElemType) -> Requant {
        derive::for_avgpool(self.window_elems(&inputs[0].shape), inputs[0].ty, out)
    }

    fn macs(&self, _node: &Node) -> u64 {
        0
    }

    fn params(&self, _node: &Node) -> u64 {
        0
    }

    fn window(&self) -> Option<Window> {
        self.window
    }

    fn fold_space(&self, node: &Node) -> FoldSpace {
        // half_pool's sum times its constant scale: in a DSP slice or shift-adds.
        FoldSpace::lanes(node.out.shape.c).with_scale_choice(node.epilogue().scale_choice())
    }

    fn in_par(&self, _node: &Node, fold: &Fold) -> u32 {
        fold.pe
    }

    fn cost(&self, node: &Node, fold: &Fold, hw: &HwCtx) -> StageCost {
        let inp = node.inputs[0];
        let pe = fold.pe as u64;
        let cf = inp.shape.c as u64 / pe;
        let shape = node.epilogue().scaled(fold.scale).shape(fold.pe);
        let acc = shape.acc_bits() as u64;
        let rq = crate::stage::requant::cost(fold.pe, &shape, hw.dsp);
        let ob = node.out.ty.bits as u64;
        let out_words = node.out.shape.pixels() * cf;
        match &self.window {
            None => {
                let in_words = inp.shape.pixels() * cf;
                // half_pool, GLOBAL = 1: the channel sums in a RAM mapped by cost, the input,
                // read and sum registers, the adders and a 4-word output queue (table C7).
                let sums = Memory {
                    depth: cf,
                    width: pe * acc,
                    read_ports: 1,
                    sync_read: true,
                    rom: false,
                    shared: false,
                };
                let accs = crate::stage::mvu_cost::ram(&sums, hw);
                let read_reg = if accs.bram18 > 0 { 0 } else { pe * acc };
                let res = accs
                    + rq
                    + glue::fifo_styled(4, pe * ob, false)
                    + Resources {
                        lut: 15 + 2 * pe * acc,
                        ff: 2 * pe * acc + read_reg + 3 * clog2(cf) + clog2(inp.shape.pixels()) + 5,
                        ..Default::default()
                    };
                let unit = Unit {
                    kind: "pool",
                    cycles: in_words,
                    res,
                    store: None,
                };
                let first_need = (inp.shape.pixels() - 1) * cf + 1;
                let mut cost = StageCost::new(
                    vec![unit],
                    in_words,
                    out_words,
                    first_need,
                    POOL_DEPTH + 1,
                    cf + POOL_DEPTH,
                );
                // The sums leave one per cycle once the last pixel is in.
                cost.timing.burst = true;
                cost
            }
            Some(w) => {
                let kk = w.area() as u64;
                let wt = swg::window_type(&inp, w);
                let g = swg::model(inp.shape, inp.ty.bits, wt.bits, w, fold.pe, 1, hw);
                // half_pool, GLOBAL = 0, MAX = 0: window sums, requantisers and a 3-word
                // output queue (table C7).
                let res = rq
                    + glue::fifo_styled(3, pe * ob, false)
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
                let depth = swg::SWG_DEPTH + kk - 1 + POOL_DEPTH + 1;
                let units = g.unit.into_iter().chain(std::iter::once(pool)).collect();
                StageCost::new(units, g.in_words, out_words, g.first_need, depth, depth)
            }
        }
    }

    fn reference(&self, node: &Node, inputs: &[&[i64]], _p: &LayerParams) -> Vec<i64> {
        let inp = node.inputs[0].shape;
        let c = inp.c as usize;
        let window = self.window.unwrap_or(Window {
            kernel: [inp.h, inp.w],
            stride: [1, 1],
            padding: crate::format::Padding::Valid,
        });
        super::window::each_window(inputs[0], inp, node.out.shape, &window, 0, |win, out| {
            let mut sum = vec![0i64; c];
            for xs in win.chunks_exact(c) {
                for (a, x) in sum.iter_mut().zip(xs) {
                    *a += x;
                }
            }
            out.extend(
                sum.iter()
                    .enumerate()
                    .map(|(ch, &s)| requant::finish(node, ch, s)),
            );
        })
    }

    fn hls(&self, node: &Node, fold: &Fold, _p: &LayerParams, hw: &HwCtx) -> HlsStage {
        let unit = self.unit(node, fold);
        let mut st = HlsStage::default();
        let input = match &self.window {
            Some(w) => {
                st.streams
                    .push(LocalStream::new("win", (fold.pe * unit.x.bits) as u64));
                st.calls.push(render(&SwgCall::zero_padded(
                    &node.inputs[0],
                    w,
                    fold.pe,
                    1,
                    true,
                    hw,
                )));
                "win"
            }
            None => "in",
        };
        let (arrays, call) = unit.hls(input);
        st.arrays = arrays;
        st.calls.push(call);
        st
    }

    fn has_rtl(&self, node: &Node) -> bool {
        // `half_pool` has one scale and shift for every channel (or thresholds per channel).
        !node.epilogue().rtl().per_channel
    }

    fn rtl(
        &self,
        node: &Node,
        fold: &Fold,
        _p: Option<&LayerParams>,
        ctx: &RtlCtx,
    ) -> Option<RtlStage> {
        let unit = self.unit(node, fold);
        let (mut st, input) = match &self.window {
            Some(w) => {
                let call = SwgCall::zero_padded(&node.inputs[0], w, fold.pe, 1, true, &ctx.hw);
                let width = (fold.pe * unit.x.bits) as u64;
                stages::window_stage(&call, ctx.name, &ctx.inputs[0], width)
            }
            None => (RtlStage::default(), ctx.inputs[0].clone()),
        };
        st.instances.push(unit.rtl(&node.name, &input, ctx.output)?);
        st.mems.extend(unit.memories(&node.name));
        Some(st)
    }
}
