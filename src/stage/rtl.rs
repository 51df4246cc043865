//! Instances of the hand-written RTL stages, shared by the layer kinds that use them.

use super::arrays::{hex_word, raw};
use super::calls::SwgCall;
use super::netlist::{Channel, Instance};
use super::requant::Epilogue;
use super::{RtlCtx, RtlStage};
use crate::cost::{MemStyle, MultStyle};
use crate::format::ElemType;
use std::fmt::Write;

/// What a matrix-vector (or, with `depthwise`, vector-vector) unit instance needs beyond the
/// node.
pub struct MvuSpec<'a> {
    /// Matrix width (the depthwise unit: kernel positions KK).
    pub mw: u64,
    /// Matrix height (the depthwise unit: channels C).
    pub mh: u64,
    /// SIMD.
    pub simd: u32,
    /// PE.
    pub pe: u32,
    /// Activation (window) element type.
    pub x: ElemType,
    /// Weight type.
    pub wt: ElemType,
    /// Multiplier style.
    pub mult: MultStyle,
    /// Memory style.
    pub mem: MemStyle,
    /// Whether the layer has biases.
    pub has_bias: bool,
    /// Biases (empty without parameters).
    pub bias: &'a [i64],
    /// Instance and file name.
    pub name: &'a str,
    /// Input channel.
    pub input: &'a str,
    /// Output channel.
    pub output: &'a str,
    /// `half_vvu` instead of `half_mvu`.
    pub depthwise: bool,
}

/// A `half_mvu` (or `half_vvu`) instance, with its weight, bias and requantisation memories
/// when the layer's `weights` (input-major, docs/model-format.md) are given; the ROM rows are
/// laid out by [`crate::stage::mvu::weight_at`], as the HLS backend lays out its arrays.
pub fn mvu(ep: &Epilogue, m: &MvuSpec, weights: Option<&[i64]>) -> RtlStage {
    let (sf, nf) = (m.mw / m.simd as u64, m.mh / m.pe as u64);
    let acc = ep.acc_bits();
    let rq = ep.rtl();
    let (has_rq, sb, scale, shift, perch) = (rq.has, rq.sb, rq.scale, rq.shift, rq.per_channel);
    let mut mems = Vec::new();
    if let Some(weights) = weights {
        let fold = crate::stage::Fold {
            pe: m.pe,
            simd: m.simd,
            mult: m.mult,
            mem: m.mem,
        };
        let weight = crate::stage::mvu::weight_at(weights, m.mw, m.mh, &fold);
        let mut w = String::new();
        for r in 0..nf * sf {
            let elems: Vec<u64> = (0..m.pe)
                .flat_map(|p| (0..m.simd).map(move |s| (p, s)))
                .map(|(p, s)| raw(weight(p, r, s), m.wt))
                .collect();
            let _ = writeln!(w, "{}", hex_word(&elems, m.wt.bits));
        }
        mems.push((format!("{}_w.hex", m.name), w));
        let accty = ElemType {
            bits: acc,
            signed: true,
        };
        if m.has_bias {
            let mut b = String::new();
            for f in 0..nf {
                let elems: Vec<u64> = (0..m.pe as u64)
                    .map(|p| {
                        let v = m.bias.get((f * m.pe as u64 + p) as usize).copied();
                        raw(v.unwrap_or(0), accty)
                    })
                    .collect();
                let _ = writeln!(b, "{}", hex_word(&elems, acc));
            }
            mems.push((format!("{}_b.hex", m.name), b));
        }
        if perch && let Some(r) = ep.requant {
            let pick = |v: &[i64], i: usize| if v.len() == 1 { v[0] } else { v[i] };
            let sty = ElemType {
                bits: sb,
                signed: true,
            };
            let mut q = String::new();
            for f in 0..nf {
                let elems: Vec<u64> = (0..m.pe as u64)
                    .map(|p| {
                        let ch = (f * m.pe as u64 + p) as usize;
                        (pick(&r.shift, ch) as u64) << sb | raw(pick(&r.scale, ch), sty)
                    })
                    .collect();
                let _ = writeln!(q, "{}", hex_word(&elems, sb + 6));
            }
            mems.push((format!("{}_q.hex", m.name), q));
        }
    }
    let o = ep.out;
    let n = m.name;
    let inst = if m.depthwise {
        Instance::new("half_vvu", format!("vvu_{n}"), n)
            .int("C", m.mh as i64)
            .int("KK", m.mw as i64)
    } else {
        Instance::new("half_mvu", format!("mvu_{n}"), n)
            .int("MW", m.mw as i64)
            .int("MH", m.mh as i64)
    };
    let inst = inst
        .int("SIMD", m.simd)
        .int("PE", m.pe)
        .int("XB", m.x.bits)
        .int("XS", m.x.signed && m.x.bits > 1)
        .int("WB", m.wt.bits)
        .int("ACC", acc)
        .int("HAS_BIAS", m.has_bias)
        .int("HAS_RQ", has_rq)
        .int("SB", sb)
        .int("PERCH", perch)
        .int("SCALE", scale)
        .int("SHIFT", shift)
        .int("OB", o.bits)
        .int("OS", o.signed && o.bits > 1)
        .int("RELU", ep.relu)
        .int("USE_DSP", m.mult == MultStyle::Dsp)
        .str(
            "ROM_STYLE",
            if m.mem == MemStyle::Bram {
                "block"
            } else {
                "distributed"
            },
        )
        .str("WFILE", format!("mem/{n}_w.hex"))
        .str("BFILE", format!("mem/{n}_b.hex"))
        .str("QFILE", format!("mem/{n}_q.hex"))
        .io(&[m.input], &[m.output]);
    RtlStage {
        channels: Vec::new(),
        instances: vec![inst],
        mems,
    }
}

/// A `half_swg` instance with the parameters of the HLS generator call `c` (same geometry,
/// element order and padding), channel `input` to `output`.
pub fn swg(c: &SwgCall, layer: &str, input: &str, output: &str) -> Instance {
    Instance::new("half_swg", format!("swg_{layer}"), layer)
        .int("IH", c.ih)
        .int("IW", c.iw)
        .int("C", c.c)
        .int("KH", c.kh)
        .int("KW", c.kw)
        .int("SH", c.sh)
        .int("SW", c.sw)
        .int("PT", c.pt)
        .int("PB", c.pb)
        .int("PL", c.pl)
        .int("PR", c.pr)
        .int("P", c.p)
        .int("B", c.b)
        .int("OB", c.ob)
        .int("KP", c.kp)
        .int("DW", c.dw)
        .int("PADRAW", c.pad_raw as i64)
        .int("RELEASE", 1)
        .io(&[input], &[output])
}

/// The window generator of a layer as a stage prefix: the instance and the channel it feeds
/// (`w_<layer>`, `width` bits), to be followed by the layer's unit reading that channel.
pub fn window_stage(c: &SwgCall, layer: &str, input: &str, width: u64) -> (RtlStage, String) {
    let chan = format!("w_{layer}");
    let st = RtlStage {
        channels: vec![Channel {
            name: chan.clone(),
            width,
        }],
        instances: vec![swg(c, layer, input, &chan)],
        mems: Vec::new(),
    };
    (st, chan)
}

/// A windowed layer's stage: its window generator (`window`: the call and the width of the
/// channel it feeds; `None` when the layer reads its input directly), then the unit that
/// `unit` builds reading the given channel.
pub fn windowed(
    window: Option<(SwgCall, u64)>,
    ctx: &RtlCtx,
    unit: impl FnOnce(&str) -> RtlStage,
) -> RtlStage {
    let (mut st, input) = match window {
        Some((call, width)) => window_stage(&call, ctx.name, &ctx.inputs[0], width),
        None => (RtlStage::default(), ctx.inputs[0].clone()),
    };
    let u = unit(&input);
    st.channels.extend(u.channels);
    st.instances.extend(u.instances);
    st.mems.extend(u.mems);
    st
}

/// What a `half_pool` instance needs beyond the node.
pub struct PoolSpec<'a> {
    /// Global pool (no window).
    pub global: bool,
    /// Max instead of average (sum then requantisation).
    pub max: bool,
    /// Channels, window positions, channels per word, output pixels.
    pub c: u32,
    /// Window positions.
    pub kk: u32,
    /// Channels per word.
    pub pe: u32,
    /// Pixels summed by a global pool.
    pub pixels: u64,
    /// Input element type (after any window generator).
    pub x: ElemType,
    /// Accumulator bits.
    pub acc: u32,
    /// Input and output channels.
    pub input: &'a str,
    /// Output channel.
    pub output: &'a str,
}

/// A `half_pool` instance of layer `name`; None for a per-channel requantisation, which the
/// module lacks.
pub fn pool(name: &str, ep: &Epilogue, s: &PoolSpec) -> Option<Instance> {
    let rq = ep.rtl();
    let (has_rq, sb, scale, shift, perch) = (rq.has, rq.sb, rq.scale, rq.shift, rq.per_channel);
    if perch {
        return None;
    }
    let o = ep.out;
    Some(
        Instance::new("half_pool", format!("pool_{name}"), name)
            .int("C", s.c)
            .int("KK", s.kk)
            .int("PE", s.pe)
            .int("PIXELS", s.pixels as i64)
            .int("XB", s.x.bits)
            .int("XS", s.x.signed && s.x.bits > 1)
            .int("MAX", s.max)
            .int("GLOBAL", s.global)
            .int("ACC", s.acc)
            .int("HAS_RQ", has_rq)
            .int("SB", sb)
            .int("OB", o.bits)
            .int("OS", o.signed && o.bits > 1)
            .int("SCALE", scale)
            .int("SHIFT", shift)
            .io(&[s.input], &[s.output]),
    )
}

/// A `half_add` instance of layer `name`: `words` words of PE elements per frame, inputs of
/// types `ta` and `tb` on channels `a` and `b`.
#[allow(clippy::too_many_arguments)]
pub fn add(
    name: &str,
    ep: &Epilogue,
    words: u64,
    pe: u32,
    (ta, tb): (ElemType, ElemType),
    a: &str,
    b: &str,
    output: &str,
) -> Instance {
    let rq = ep.rtl();
    let (has_rq, sb, shift) = (rq.has, rq.sb, rq.shift);
    let (sa, sbv) = match ep.requant {
        Some(r) => (r.scale[0], *r.scale.last().unwrap_or(&r.scale[0])),
        None => (1, 1),
    };
    let o = ep.out;
    Instance::new("half_add", format!("add_{name}"), name)
        .int("WORDS", words as i64)
        .int("PE", pe)
        .int("AB", ta.bits)
        .int("AS", ta.signed && ta.bits > 1)
        .int("BB", tb.bits)
        .int("BS", tb.signed && tb.bits > 1)
        .int("ACC", ep.acc_bits())
        .int("HAS_RQ", has_rq)
        .int("SB", sb)
        .int("OB", o.bits)
        .int("OS", o.signed && o.bits > 1)
        .int("RELU", ep.relu)
        .int("SCALE_A", sa)
        .int("SCALE_B", sbv)
        .int("SHIFT", shift)
        .io(&[a, b], &[output])
}
