//! Sliding-window generator: turns a pixel stream into a window stream (im2col), with
//! padding generated on the fly. Used by conv, dwconv and the windowed pools.
//!
//! Hardware: a line buffer of `kh + sh` rows (the window's rows plus one output row of
//! read-ahead), written one input word per cycle and read one output word per cycle, both at
//! once. Steady state is therefore `max(in_words, out_words)` cycles per frame; the first output
//! word leaves once the input has reached the bottom-right real pixel of the first window.
//! A 1x1 window with stride 1 and no padding needs no generator at all.
//!
//! This file holds the unit whole: its cost, its HLS call (`half::swg`), its Verilog instance
//! (`half_swg`) and its cycle model.

use super::cycle::CycleModel;
use super::netlist::{Channel, Instance};
use super::regroup::Regroup;
use super::{HwCtx, RtlCtx, RtlStage, Unit};
use crate::cost::Resources;
use crate::cost::memory::{self, Mapping, Memory, Style};
use crate::format::{Shape, Tensor, Window};
use askama::Template;

/// The generator's stream facts and cost.
#[derive(Debug, Clone, PartialEq)]
pub struct SwgCost {
    /// The unit (absent for a pass-through 1x1 window).
    pub unit: Option<Unit>,
    /// Input words per frame.
    pub in_words: u64,
    /// Output words per frame.
    pub out_words: u64,
    /// Input words needed before the first output word.
    pub first_need: u64,
}

/// Pipeline depth of the generator (address, read, output register).
pub const SWG_DEPTH: u64 = 2;

/// True when a layer reads `inp` through `w` directly, with no generator: a 1x1 window,
/// stride 1, no padding (the window stream is the pixel stream).
pub fn passes_through(inp: Shape, w: &Window) -> bool {
    w.kernel == [1, 1] && w.stride == [1, 1] && w.pads(inp.h, inp.w) == [0; 4]
}

/// The line buffer of a generator reading `inp` (`bits` per element, `par` channels per word)
/// through `w` and emitting `kpar` kernel positions a word: `(KH + SH) * IW * C/par` words of
/// `par * bits` bits with `kpar` synchronous read ports.
fn line_buffer(inp: Shape, bits: u32, w: &Window, par: u32, kpar: u32) -> Memory {
    let cf = (inp.c / par.max(1)) as u64;
    let br = (w.kernel[0] + w.stride[0]) as u64;
    Memory {
        depth: br * inp.w as u64 * cf,
        width: par as u64 * bits as u64,
        read_ports: kpar.max(1) as u64,
        sync_read: true,
        rom: false,
        shared: false,
    }
}

/// Where the line buffer lives, as [`model`] costs it (synthesis's mapping): `bram`, `lutram`
/// or `registers`; the `STORE` argument of `half::swg`, which binds the buffer to it
/// (hls/include/half/swg.h).
pub fn buffer_store(
    inp: Shape,
    bits: u32,
    w: &Window,
    par: u32,
    kpar: u32,
    hw: &HwCtx,
) -> &'static str {
    let m = line_buffer(inp, bits, w, par, kpar);
    match memory::map(&m, Style::Auto, hw.family()) {
        Mapping::Bram(_) => "bram",
        Mapping::Lutram(_) => "lutram",
        Mapping::Logic => "registers",
    }
}

// The generator's control LUTs, least squares over the window generators of the example
// builds synthesised by Yosys 0.70 (docs/cost-model.md, table C6; bench/fit_units.py).
/// LUTs per bit of the coordinate width `SWD`.
const SWG_LUT_PER_SWD: f64 = 12.35;
/// LUTs per bit of `SWD` and kernel position emitted beyond the first (`KP - 1`).
const SWG_LUT_PER_KP_SWD: f64 = 7.64;
/// Fixed LUTs (handshakes, the phase machine).
const SWG_LUT_BASE: f64 = 88.6;
/// LUTs per output word bit (the read multiplexer and the padding select).
const SWG_LUT_PER_OUT_BIT: f64 = 0.66;

/// Models a generator reading `inp` (`bits` per element) with `par` channels per word and
/// emitting `kpar` kernel positions of `out_bits`-bit elements per output word.
///
/// Resources follow `half_swg`: a line buffer of `(KH + SH) * IW * C/par` words of
/// `par * bits` bits with `kpar` synchronous read ports, mapped as synthesis maps it
/// ([`crate::cost::memory::map`]: block RAM, LUTRAM or registers by cost; a 1x1 decimator has
/// it too), and the coordinate logic, whose width `SWD` the RTL derives from the geometry.
/// LUTs `SWG_LUT_PER_SWD SWD + SWG_LUT_PER_KP_SWD (KP - 1) SWD + SWG_LUT_BASE +
/// SWG_LUT_PER_OUT_BIT * out bits` (Yosys 0.70 on the example builds' generators, calibration
/// table C6; Yosys 0.70 folds the padding select into the output multiplexer, which 0.23 did
/// not); flip-flops `7.8 SWD + 1.3 KP SWD - 20`, plus the read registers when the buffer is not
/// a block RAM (table C6, 16 generators; Yosys 0.70 keeps every flip-flop 0.23 did).
pub fn model(
    inp: Shape,
    bits: u32,
    out_bits: u32,
    w: &Window,
    par: u32,
    kpar: u32,
    hw: &HwCtx,
) -> SwgCost {
    let pads = w.pads(inp.h, inp.w);
    let (oh, ow) = w.out_size(inp.h, inp.w).unwrap_or((1, 1));
    let cf = (inp.c / par.max(1)) as u64;
    let in_words = inp.pixels() * cf;
    let out_words = oh as u64 * ow as u64 * w.area() as u64 * cf / kpar.max(1) as u64;
    let rows = (w.kernel[0] as u64 - 1).saturating_sub(pads[0] as u64);
    let cols = (w.kernel[1] as u64)
        .saturating_sub(pads[2] as u64)
        .clamp(1, inp.w as u64);
    let first_need = ((rows * inp.w as u64 + cols) * cf).min(in_words).max(1);
    if passes_through(inp, w) {
        return SwgCost {
            unit: None,
            in_words,
            out_words,
            first_need: cf,
        };
    }
    let (kh, kw) = (w.kernel[0] as u64, w.kernel[1] as u64);
    let (sh, sw) = (w.stride[0] as u64, w.stride[1] as u64);
    let br = kh + sh;
    let lines = line_buffer(inp, bits, w, par, kpar);
    let depth = lines.depth;
    let kp = kpar.max(1) as u64;
    let out_width = kp * par as u64 * out_bits as u64;
    let buffer = super::mvu_cost::ram(&lines, hw);
    let [pt, pb, pl, pr] = pads.map(|p| p as u64);
    let maxv = 2 * (inp.h as u64 + br + pt + pb + kh + sh)
        + 2 * (inp.w as u64 + pl + pr + kw + sw) * cf
        + 2 * depth
        + 2 * kh * kw
        + 16;
    let swd = (64 - (maxv - 1).leading_zeros()) as f64 + 2.0;
    let lut = SWG_LUT_PER_SWD * swd
        + SWG_LUT_PER_KP_SWD * (kp - 1) as f64 * swd
        + SWG_LUT_BASE
        + SWG_LUT_PER_OUT_BIT * out_width as f64;
    let ff = 7.8 * swd + 1.3 * kp as f64 * swd - 20.0;
    let regs = if buffer.bram18 > 0 { 0 } else { out_width };
    let ctrl = Resources {
        lut: lut.max(20.0).round() as u64,
        ff: ff.max(10.0).round() as u64 + regs,
        ..Default::default()
    };
    SwgCost {
        unit: Some(Unit {
            kind: "swg",
            cycles: in_words.max(out_words),
            res: buffer + ctrl,
            store: Some(buffer_store(inp, bits, w, par, kpar, hw)),
        }),
        in_words,
        out_words,
        first_need,
    }
}

/// The element type a generator emits: the input type, except that a bipolar input with
/// padding widens to 2-bit signed, since zero padding contributes 0, which {-1, +1} cannot
/// code (the generator maps raw 1 to +1, raw 0 to -1 and padding to 0).
pub fn window_type(inp: &crate::format::Tensor, w: &Window) -> crate::format::ElemType {
    if inp.ty.is_bipolar() && w.pads(inp.shape.h, inp.shape.w) != [0; 4] {
        crate::format::ElemType {
            bits: 2,
            signed: true,
        }
    } else {
        inp.ty
    }
}

/// Sliding-window generator call.
#[derive(Template)]
#[template(path = "hls/swg.call", escape = "none")]
pub struct SwgCall {
    /// Input height, width, channels.
    pub ih: u32,
    /// Input width.
    pub iw: u32,
    /// Channels.
    pub c: u32,
    /// Kernel height.
    pub kh: u32,
    /// Kernel width.
    pub kw: u32,
    /// Stride rows.
    pub sh: u32,
    /// Stride columns.
    pub sw: u32,
    /// Padding top.
    pub pt: u32,
    /// Padding bottom.
    pub pb: u32,
    /// Padding left.
    pub pl: u32,
    /// Padding right.
    pub pr: u32,
    /// Channels per word.
    pub p: u32,
    /// Input element bits.
    pub b: u32,
    /// Output element bits (2 for a padded bipolar input, else `b`).
    pub ob: u32,
    /// Kernel positions per output word.
    pub kp: u32,
    /// Depthwise order.
    pub dw: bool,
    /// Raw padding element.
    pub pad_raw: u64,
    /// Line-buffer storage ([`buffer_store`]).
    pub store: &'static str,
    /// Input stream.
    pub input: String,
    /// Output stream.
    pub output: String,
}

impl SwgCall {
    /// A generator for `input` over `w` with zero padding (a padded bipolar input widens to
    /// 2-bit signed, see [`crate::stage::swg::window_type`]).
    pub fn zero_padded(
        input: &Tensor,
        w: &Window,
        p: u32,
        kp: u32,
        dw: bool,
        hw: &HwCtx,
    ) -> SwgCall {
        let ob = crate::stage::swg::window_type(input, w).bits;
        SwgCall::new(input, w, p, kp, dw, 0, ob, hw)
    }

    /// A generator for `input` over `w`, padding with the raw element `pad_raw`, emitting
    /// `ob`-bit elements, its line buffer stored as [`buffer_store`] says for `hw`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        input: &Tensor,
        w: &Window,
        p: u32,
        kp: u32,
        dw: bool,
        pad_raw: u64,
        ob: u32,
        hw: &HwCtx,
    ) -> SwgCall {
        let s = input.shape;
        let pads = w.pads(s.h, s.w);
        SwgCall {
            ih: s.h,
            iw: s.w,
            c: s.c,
            kh: w.kernel[0],
            kw: w.kernel[1],
            sh: w.stride[0],
            sw: w.stride[1],
            pt: pads[0],
            pb: pads[1],
            pl: pads[2],
            pr: pads[3],
            p,
            b: input.ty.bits,
            ob,
            kp,
            dw,
            pad_raw,
            store: buffer_store(s, input.ty.bits, w, p, kp, hw),
            input: "in".into(),
            output: "win".into(),
        }
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
/// channel it feeds; `None` when the layer reads its input directly), the converter regrouping
/// its words into SIMD-element words when SIMD spans kernel positions (`regroup`), then the
/// unit that `unit` builds reading the given channel.
pub fn windowed(
    window: Option<(SwgCall, u64)>,
    regroup: Option<Regroup>,
    ctx: &RtlCtx,
    unit: impl FnOnce(&str) -> RtlStage,
) -> RtlStage {
    let (mut st, mut input) = match window {
        Some((call, width)) => window_stage(&call, ctx.name, &ctx.inputs[0], width),
        None => (RtlStage::default(), ctx.inputs[0].clone()),
    };
    if let Some(r) = regroup {
        input = r.rtl(&mut st, ctx.name, &input);
    }
    let u = unit(&input);
    st.channels.extend(u.channels);
    st.instances.extend(u.instances);
    st.mems.extend(u.mems);
    st
}

/// The window generator's control state.
#[derive(Debug, Clone)]
pub struct Swg {
    // geometry
    ih: i64,
    iw: i64,
    cf_n: i64,
    kh: i64,
    kw: i64,
    sh: i64,
    sw: i64,
    pt: i64,
    pl: i64,
    br: i64,
    oh: i64,
    ow: i64,
    g_n: i64,
    kp: usize,
    dw: bool,
    release: bool,
    lrow: i64,
    lcol: i64,
    dkx: i64,
    dky: i64,
    // input pointer (iy relative to the current output frame)
    iy: i64,
    ix: i64,
    icf: i64,
    // output side
    oy: i64,
    ox: i64,
    cf: i64,
    g: i64,
    top: i64,
    left: i64,
    ky: Vec<i64>,
    kx: Vec<i64>,
    out_valid: bool,
}

impl Swg {
    /// The model of a `half_swg` instance.
    pub fn new(inst: &Instance) -> crate::Result<Swg> {
        let p = |n: &str| inst.param(n);
        let (ih, iw, c, kh, kw) = (p("IH")?, p("IW")?, p("C")?, p("KH")?, p("KW")?);
        let (sh, sw, pt, pb, pl, pr) = (p("SH")?, p("SW")?, p("PT")?, p("PB")?, p("PL")?, p("PR")?);
        let (pp, kp) = (p("P")?, p("KP")?);
        if pp <= 0 || kp <= 0 || sh <= 0 || sw <= 0 || c % pp != 0 || (kh * kw) % kp != 0 {
            let why = format!("{}: inconsistent window parameters", inst.name);
            return Err(crate::Error::Internal(why));
        }
        let oh = (ih + pt + pb - kh) / sh + 1;
        let ow = (iw + pl + pr - kw) / sw + 1;
        let kpu = kp as usize;
        Ok(Swg {
            ih,
            iw,
            cf_n: c / pp,
            kh,
            kw,
            sh,
            sw,
            pt,
            pl,
            br: kh + sh,
            oh,
            ow,
            g_n: kh * kw / kp,
            kp: kpu,
            dw: p("DW")? != 0,
            release: inst.get("RELEASE").unwrap_or(1) != 0,
            lrow: (oh - 1) * sh - pt + kh - 1,
            lcol: (ow - 1) * sw - pl + kw - 1,
            dkx: kp % kw,
            dky: kp / kw,
            iy: 0,
            ix: 0,
            icf: 0,
            oy: 0,
            ox: 0,
            cf: 0,
            g: 0,
            top: -pt,
            left: -pl,
            ky: (0..kp).map(|i| i / kw).collect(),
            kx: (0..kp).map(|i| i % kw).collect(),
            out_valid: false,
        })
    }

    /// Every in-image position of the current output word has been accepted.
    fn emit_ok(&self) -> bool {
        (0..self.kp).all(|i| {
            let (y, x) = (self.top + self.ky[i], self.left + self.kx[i]);
            let inimg = y >= 0 && y < self.ih && x >= 0 && x < self.iw;
            let acc = y < self.iy
                || (y == self.iy && (x < self.ix || (x == self.ix && self.cf < self.icf)));
            !inimg || acc
        })
    }

    /// The buffer place of the input pointer's word is free.
    fn in_free(&self) -> bool {
        let q = self.iy - self.br;
        if !self.release {
            return q < self.top;
        }
        let oy_last = self.oy == self.oh - 1;
        let ox_last = self.ox == self.ow - 1;
        let need_later = !oy_last && q >= self.top + self.sh && q <= self.lrow;
        let (y0, x0) = (self.top + self.ky[0], self.left + self.kx[0]);
        let emitted = if self.dw {
            self.icf < self.cf || (self.icf == self.cf && (q < y0 || (q == y0 && self.ix < x0)))
        } else {
            q < y0 || (q == y0 && (self.ix < x0 || (self.ix == x0 && self.icf < self.cf)))
        };
        let in_win = self.ix >= self.left && self.ix < self.left + self.kw;
        let need_cur = q >= self.top
            && q < self.top + self.kh
            && self.ix <= self.lcol
            && ((!ox_last && self.ix >= self.left + self.sw) || (in_win && !emitted));
        q < 0 || (q < self.ih && !need_later && !need_cur)
    }
}

impl CycleModel for Swg {
    fn valid(&self, _: usize) -> bool {
        self.out_valid
    }
    fn ready(&self, _: usize, _: &[bool]) -> bool {
        self.in_free()
    }
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        let load = self.emit_ok() && (!self.out_valid || gave[0]);
        let cf_last = self.cf == self.cf_n - 1;
        let g_last = self.g == self.g_n - 1;
        let pix_step = load && cf_last && g_last;
        let ox_last = self.ox == self.ow - 1;
        let oy_last = self.oy == self.oh - 1;
        let frame_end = pix_step && ox_last && oy_last;
        let (adv_g, rst_g, cf_step) = if self.dw {
            (load && !g_last, load && g_last, load && g_last)
        } else {
            (load && cf_last && !g_last, load && cf_last && g_last, load)
        };
        // input side
        let icf_last = self.icf == self.cf_n - 1;
        let ix_last = self.ix == self.iw - 1;
        let row_in = took[0] && icf_last && ix_last;
        if took[0] {
            self.icf = if icf_last { 0 } else { self.icf + 1 };
            if icf_last {
                self.ix = if ix_last { 0 } else { self.ix + 1 };
            }
        }
        self.iy += i64::from(row_in) - if frame_end { self.ih } else { 0 };
        // kernel positions
        for i in 0..self.kp {
            if rst_g {
                self.ky[i] = i as i64 / self.kw;
                self.kx[i] = i as i64 % self.kw;
            } else if adv_g {
                let kx_n = self.kx[i] + self.dkx;
                let carry = kx_n > self.kw - 1;
                self.kx[i] = if carry { kx_n - self.kw } else { kx_n };
                self.ky[i] += self.dky + i64::from(carry);
            }
        }
        // output side
        self.out_valid = load || (self.out_valid && !gave[0]);
        if cf_step {
            self.cf = if cf_last { 0 } else { self.cf + 1 };
        }
        if adv_g {
            self.g += 1;
        } else if rst_g {
            self.g = 0;
        }
        if pix_step {
            if !ox_last {
                self.ox += 1;
                self.left += self.sw;
            } else {
                self.ox = 0;
                self.left = -self.pl;
                if !oy_last {
                    self.oy += 1;
                    self.top += self.sh;
                } else {
                    self.oy = 0;
                    self.top = -self.pt;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::DspKind;
    use crate::format::Padding;

    const HW: HwCtx = HwCtx {
        dsp: DspKind::Dsp48e1,
    };

    #[test]
    fn words_and_first_need() {
        // 32x32x3 input, 3x3 valid, SIMD 3: 1024 in words, 30*30*9 out words; first window
        // ends at row 2, col 2: 2*32 + 3 = 67 words.
        let w = Window {
            kernel: [3, 3],
            stride: [1, 1],
            padding: Padding::Valid,
        };
        let s = model(Shape::map(32, 32, 3), 8, 8, &w, 3, 1, &HW);
        assert_eq!(s.in_words, 1024);
        assert_eq!(s.out_words, 8100);
        assert_eq!(s.first_need, 67);
        assert_eq!(s.unit.unwrap().cycles, 8100);
        // 'same' padding: the first window's bottom-right real pixel is (1, 1): 32 + 2.
        let w = Window {
            kernel: [3, 3],
            stride: [1, 1],
            padding: Padding::Same,
        };
        let s = model(Shape::map(32, 32, 16), 8, 8, &w, 4, 1, &HW);
        assert_eq!(s.first_need, 34 * 4);
        assert_eq!(s.out_words, 32 * 32 * 9 * 4);
    }

    #[test]
    fn pointwise_needs_no_generator() {
        let w = Window {
            kernel: [1, 1],
            stride: [1, 1],
            padding: Padding::Valid,
        };
        let s = model(Shape::map(8, 8, 16), 8, 8, &w, 16, 1, &HW);
        assert!(s.unit.is_none());
        assert_eq!(s.in_words, 64);
        let w = Window {
            kernel: [1, 1],
            stride: [2, 2],
            padding: Padding::Valid,
        };
        let s = model(Shape::map(8, 8, 16), 8, 8, &w, 16, 1, &HW);
        assert_eq!(s.unit.as_ref().unwrap().res.bram18, 0);
        assert_eq!(s.out_words, 16);
        assert_eq!(s.unit.unwrap().cycles, 64);
    }
}
