//! Instances of the hand-written RTL stages, shared by the layer kinds that use them.

use super::{hex_word, port};
use crate::backend::hls::arrays::raw;
use crate::cost::{MemStyle, MultStyle};
use crate::ir::Node;
use crate::model::{Activation, ElemType};
use crate::ops::RtlStage;
use crate::ops::requant::signed_bits;
use std::fmt::Write;

/// What a matrix-vector unit instance needs beyond the node.
pub struct MvuSpec<'a> {
    /// Matrix width and height.
    pub mw: u64,
    /// Matrix height.
    pub mh: u64,
    /// SIMD and PE.
    pub simd: u32,
    /// PE.
    pub pe: u32,
    /// Activation (window) element type.
    pub x: ElemType,
    /// Weight type.
    pub wt: ElemType,
    /// Multiplier and memory style.
    pub mult: MultStyle,
    /// Memory style.
    pub mem: MemStyle,
    /// Biases (empty without).
    pub bias: &'a [i64],
    /// Instance and file name.
    pub name: &'a str,
    /// Input and output stream prefixes.
    pub input: &'a str,
    /// Output stream prefix.
    pub output: &'a str,
}

/// A `half_mvu` instance with its weight, bias and requantisation memories; `weight(p, row, s)`
/// is the weight of PE `p`, memory row `nf*SF + sf`, SIMD lane `s`.
pub fn mvu(node: &Node, m: &MvuSpec, weight: impl Fn(u32, u64, u32) -> i64) -> RtlStage {
    let (sf, nf) = (m.mw / m.simd as u64, m.mh / m.pe as u64);
    let acc = node.acc.bits + u32::from(!node.acc.signed);
    let mut mems = Vec::new();
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
    if !m.bias.is_empty() {
        let mut b = String::new();
        for f in 0..nf {
            let elems: Vec<u64> = (0..m.pe as u64)
                .map(|p| {
                    raw(
                        m.bias
                            .get((f * m.pe as u64 + p) as usize)
                            .copied()
                            .unwrap_or(0),
                        accty,
                    )
                })
                .collect();
            let _ = writeln!(b, "{}", hex_word(&elems, acc));
        }
        mems.push((format!("{}_b.hex", m.name), b));
    }
    let (has_rq, sb, scale, shift, perch) = match &node.requant {
        None => (0, 2, 1, 0, false),
        Some(r) => (
            1,
            signed_bits(&r.scale).max(2),
            r.scale[0],
            r.shift[0],
            r.scale.len() > 1 || r.shift.len() > 1,
        ),
    };
    if perch && let Some(r) = &node.requant {
        let pick = |v: &[i64], i: usize| if v.len() == 1 { v[0] } else { v[i] };
        let mut q = String::new();
        for f in 0..nf {
            let elems: Vec<u64> = (0..m.pe as u64)
                .map(|p| {
                    let ch = (f * m.pe as u64 + p) as usize;
                    let sc = raw(
                        pick(&r.scale, ch),
                        ElemType {
                            bits: sb,
                            signed: true,
                        },
                    );
                    (pick(&r.shift, ch) as u64) << sb | sc
                })
                .collect();
            let _ = writeln!(q, "{}", hex_word(&elems, sb + 6));
        }
        mems.push((format!("{}_q.hex", m.name), q));
    }
    let o = node.out.ty;
    let text = format!(
        "    half_mvu #(.MW({}), .MH({}), .SIMD({}), .PE({}), .XB({}), .XS({}), .WB({}), .ACC({acc}), .HAS_BIAS({}), .HAS_RQ({has_rq}), .SB({sb}), .PERCH({}), .SCALE({scale}), .SHIFT({shift}), .OB({}), .OS({}), .RELU({}), .USE_DSP({}), .ROM_STYLE(\"{}\"), .WFILE(\"mem/{n}_w.hex\"), .BFILE(\"mem/{n}_b.hex\"), .QFILE(\"mem/{n}_q.hex\")) mvu_{n} (.ap_clk(ap_clk), .ap_rst_n(ap_rst_n), {}, {});\n",
        m.mw,
        m.mh,
        m.simd,
        m.pe,
        m.x.bits,
        u8::from(m.x.signed && m.x.bits > 1),
        m.wt.bits,
        u8::from(!m.bias.is_empty()),
        u8::from(perch),
        o.bits,
        u8::from(o.signed && o.bits > 1),
        u8::from(node.activation == Activation::Relu),
        u8::from(m.mult == MultStyle::Dsp),
        if m.mem == MemStyle::Bram {
            "block"
        } else {
            "distributed"
        },
        port("s_axis", m.input),
        port("m_axis", m.output),
        n = m.name,
    );
    RtlStage { text, mems }
}
