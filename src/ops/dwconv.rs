//! `dwconv`: depthwise convolution (one filter per channel, depth multiplier 1).
//! Hardware: a sliding-window generator with PE channels per word emitting SIMD kernel
//! positions per output word, feeding a vector-vector unit (VVU) of PE x SIMD multipliers.
//! Loop nest: `for pixel { for cf in 0..C/PE { for kf in 0..kh*kw/SIMD { PE x SIMD MACs } } }`,
//! so cycles = `pixels * C/PE * kh*kw/SIMD` (FINN `VectorVectorActivation`).

use super::HlsStage;
use super::LayerParams;
use super::LocalStream;
use super::WeightShape;
use super::conv::window_out;
use super::requant;
use super::{
    Fold, FoldSpace, HwCtx, Inferred, Operator, ShapeError, StageCost, Tensor, Unit, divisors,
    mac_range,
};
use crate::cost::{Resources, clog2};
use crate::error::Result;
use crate::format::fields::LayerFields;
use crate::format::{ElemType, Requant, Shape, Window};
use crate::ops::Node;
use crate::ops::requant::derive;
use crate::stage::mvu::MacUnit;
use crate::stage::mvu_cost::{self as mvu, datapath, weight_memory};
use crate::stage::render;
use crate::stage::swg as stages;
use crate::stage::swg;
use crate::stage::swg::SwgCall;
use crate::stage::{RtlCtx, RtlStage};

/// Depthwise convolution parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DwConv {
    /// Kernel, stride, padding.
    pub window: Window,
    /// Weight type.
    pub weight: ElemType,
    /// Whether a bias is added.
    pub bias: bool,
}

impl DwConv {
    /// Parses the dwconv keys.
    pub fn parse(f: &LayerFields) -> Result<DwConv> {
        f.forbid(&["channels", "units", "global"])?;
        Ok(DwConv {
            window: f.window(false)?,
            weight: ElemType {
                bits: f.weight_bits()?,
                signed: true,
            },
            bias: f.bias(),
        })
    }

    /// The vector-vector unit the layer runs on: `KK` kernel positions by `C` channels.
    fn unit<'a>(&self, node: &'a Node, fold: &Fold) -> MacUnit<'a> {
        let inp = node.inputs[0];
        MacUnit {
            depthwise: true,
            mw: self.window.area() as u64,
            mh: inp.shape.c as u64,
            pixels: node.out.shape.pixels(),
            fold: *fold,
            x: swg::window_type(&inp, &self.window),
            wt: self.weight,
            has_bias: self.bias,
            ep: node.epilogue().scaled(fold.scale),
        }
    }
}

impl Operator for DwConv {
    fn kind(&self) -> &'static str {
        "dwconv"
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
        let (oh, ow) = window_out(inp, &self.window, "dwconv")?;
        let (acc_min, acc_max) =
            mac_range(self.weight, inp.ty, self.window.area() as u64, self.bias);
        Ok(Inferred {
            shape: Shape::map(oh, ow, inp.shape.c),
            acc_min,
            acc_max,
        })
    }

    fn derive_requant(&self, inputs: &[Tensor], out: ElemType) -> Requant {
        derive::for_mac(self.window.area() as u64, self.weight, inputs[0].ty, out)
    }

    fn macs(&self, node: &Node) -> u64 {
        node.out.shape.elems() * self.window.area() as u64
    }

    fn params(&self, node: &Node) -> u64 {
        let c = node.out.shape.c as u64;
        c * self.window.area() as u64 + if self.bias { c } else { 0 }
    }

    fn weights(&self, node: &Node) -> Option<WeightShape> {
        let [kh, kw] = self.window.kernel;
        let c = node.inputs[0].shape.c as u64;
        Some(WeightShape {
            shape: vec![kh as u64, kw as u64, c],
            bias: self.bias,
            channels: c,
            fan_in: (kh * kw) as u64,
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
            pe: divisors(node.out.shape.c),
            simd: divisors(self.window.area()),
            has_mult: mvu::dsp_capable(self.weight, node.inputs[0].ty),
            has_weights: true,
            shared_x: None,
            scale_choice: node.epilogue().scale_choice(),
            padded_lanes: super::PaddedLanes::default(),
        }
    }

    fn in_par(&self, _node: &Node, fold: &Fold) -> u32 {
        fold.pe
    }

    fn cost(&self, node: &Node, fold: &Fold, hw: &HwCtx) -> StageCost {
        let inp = node.inputs[0];
        let (pe, simd) = (fold.pe as u64, fold.simd as u64);
        let c = inp.shape.c as u64;
        let kk = self.window.area() as u64;
        let wt = swg::window_type(&inp, &self.window);
        let g = swg::model(
            inp.shape,
            inp.ty.bits,
            wt.bits,
            &self.window,
            fold.pe,
            fold.simd,
            hw,
        );
        let cycles = node.out.shape.pixels() * (c / pe) * (kk / simd);
        let rows = (c / pe) * (kk / simd);
        let rq = node.epilogue().scaled(fold.scale).shape(fold.pe);
        let acc_bits = rq.acc_bits() as u64;
        let wmem = weight_memory(rows, pe * simd * self.weight.bits as u64, fold.mem, hw);
        let bias = Resources {
            lut: if self.bias {
                mvu::bias_rom(c / pe, pe * acc_bits, hw.dsp)
            } else {
                0
            },
            ..Default::default()
        };
        // half_vvu: the RTL twin of the matrix unit without the input buffer; the whole
        // input word (SIMD x PE elements) is registered.
        let ctrl = Resources {
            lut: mvu::UNIT_LUTS,
            ff: mvu::UNIT_FFS
                + simd * pe * wt.bits as u64
                + 5 * clog2(c / pe)
                + clog2(kk / simd)
                + clog2(rows),
            ..Default::default()
        };
        let out_bits = rq.out.map_or(acc_bits, |o| o.bits as u64);
        let rq_cost = crate::stage::requant::cost(fold.pe, &rq, hw.dsp);
        let cap = mvu::lane_item_cap(&wmem, bias.lut, rq_cost.lut, pe, acc_bits);
        let mut res = wmem
            + bias
            + ctrl
            + mvu::queue(pe, out_bits, hw)
            + datapath(pe, simd, self.weight, wt, acc_bits, fold.mult, hw.dsp)
            + rq_cost;
        res.lut = mvu::apply_lane_saving(
            res.lut,
            pe,
            pe * simd,
            (self.weight, wt),
            fold.mult,
            hw.dsp,
            cap,
        );
        let vvu = Unit {
            kind: "vvu",
            cycles,
            res,
            store: None,
        };
        let out_words = node.out.shape.pixels() * (c / pe);
        let depth = swg::SWG_DEPTH + kk / simd - 1 + mvu::depth(fold.simd);
        let units = g.unit.into_iter().chain(std::iter::once(vvu)).collect();
        let tail = swg::SWG_DEPTH + kk / simd + mvu::depth(fold.simd);
        StageCost::new(units, g.in_words, out_words, g.first_need, depth, tail)
    }

    fn reference(&self, node: &Node, inputs: &[&[i64]], p: &LayerParams) -> Vec<i64> {
        let inp = node.inputs[0].shape;
        let c = inp.c as usize;
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
                    vec![0; c]
                };
                for (xs, ws) in win.chunks_exact(c).zip(p.weight.chunks_exact(c)) {
                    for ((a, w), x) in acc.iter_mut().zip(ws).zip(xs) {
                        *a += w * x;
                    }
                }
                out.extend(
                    acc.iter()
                        .enumerate()
                        .map(|(ch, &a)| requant::finish(node, ch, a)),
                );
            },
        )
    }

    fn hls(&self, node: &Node, fold: &Fold, p: &LayerParams, hw: &HwCtx) -> HlsStage {
        let inp = node.inputs[0];
        let (pe, simd) = (fold.pe, fold.simd);
        let mut st = HlsStage::default();
        let input = if swg::passes_through(inp.shape, &self.window) {
            "in"
        } else {
            let wt = swg::window_type(&inp, &self.window);
            st.streams
                .push(LocalStream::new("win", (simd * pe * wt.bits) as u64));
            st.calls.push(render(&SwgCall::zero_padded(
                &inp,
                &self.window,
                pe,
                simd,
                true,
                hw,
            )));
            "win"
        };
        let (arrays, call) = self.unit(node, fold).hls(&p.weight, &p.bias, input, hw);
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
        let (pe, simd) = (fold.pe, fold.simd);
        let wt = swg::window_type(&inp, &self.window);
        let window = (!swg::passes_through(inp.shape, &self.window)).then(|| {
            let call = SwgCall::zero_padded(&inp, &self.window, pe, simd, true, &ctx.hw);
            (call, (simd * pe * wt.bits) as u64)
        });
        let params = p.map(|p| (p.weight.as_slice(), p.bias.as_slice()));
        Some(stages::windowed(window, None, ctx, |input| {
            self.unit(node, fold)
                .rtl(ctx.name, params, (input, ctx.output), &ctx.hw)
        }))
    }
}
