//! The HLS library calls a layer stage is made of (templates/hls/*.call), and the constant
//! arrays (weights, biases, requantisation) the calls read.

use crate::cost::{MemStyle, MultStyle};
use crate::format::{ElemType, Tensor, Window};
use askama::Template;

/// An element type as the library's template parameters see it (`B`, `S`).
#[derive(Debug, Clone, Copy)]
pub struct Ty {
    /// Bits (1 = bipolar).
    pub bits: u32,
    /// Two's complement.
    pub signed: bool,
}

impl From<ElemType> for Ty {
    fn from(t: ElemType) -> Ty {
        Ty {
            bits: t.bits,
            signed: t.signed && t.bits > 1,
        }
    }
}

/// Requantiser parameters of an HLS library call (`HAS_RQ`, `SB`, `NQ`).
#[derive(Debug, Clone, Copy)]
pub struct HlsRequant {
    /// Whether the stage requantises.
    pub has: bool,
    /// Bits of the signed scale.
    pub sb: u32,
    /// Entries of the scale/shift arrays (1, or one per channel).
    pub nq: usize,
}

/// The multiplier style's C++ tag.
pub fn style(m: MultStyle) -> &'static str {
    match m {
        MultStyle::Lut => "half::MulLut",
        MultStyle::Dsp => "half::MulDsp",
    }
}

/// `BIND_STORAGE` implementation for a weight ROM.
pub fn rom_impl(m: MemStyle) -> &'static str {
    match m {
        MemStyle::Bram => "bram",
        MemStyle::Lutram => "lutram",
        MemStyle::Uram => "uram",
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
    /// Input stream.
    pub input: String,
    /// Output stream.
    pub output: String,
}

impl SwgCall {
    /// A generator for `input` over `w` with zero padding (a padded bipolar input widens to
    /// 2-bit signed, see [`crate::stage::swg::window_type`]).
    pub fn zero_padded(input: &Tensor, w: &Window, p: u32, kp: u32, dw: bool) -> SwgCall {
        let ob = crate::stage::swg::window_type(input, w).bits;
        SwgCall::new(input, w, p, kp, dw, 0, ob)
    }

    /// A generator for `input` over `w`, padding with the raw element `pad_raw`, emitting
    /// `ob`-bit elements.
    pub fn new(
        input: &Tensor,
        w: &Window,
        p: u32,
        kp: u32,
        dw: bool,
        pad_raw: u64,
        ob: u32,
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
            input: "in".into(),
            output: "win".into(),
        }
    }
}

/// Matrix-vector unit call.
#[derive(Template)]
#[template(path = "hls/mvu.call", escape = "none")]
pub struct MvuCall {
    /// Matrix width.
    pub mw: u64,
    /// Matrix height.
    pub mh: u64,
    /// SIMD.
    pub simd: u32,
    /// PE.
    pub pe: u32,
    /// Output pixels per frame.
    pub pixels: u64,
    /// Activation type.
    pub x: Ty,
    /// Weight type.
    pub w: Ty,
    /// Accumulator bits.
    pub acc: u32,
    /// Whether biases are added.
    pub has_bias: bool,
    /// Requantiser.
    pub rq: HlsRequant,
    /// Output type.
    pub o: Ty,
    /// Relu.
    pub relu: bool,
    /// Multiplier style tag.
    pub style: &'static str,
    /// Input stream.
    pub input: String,
    /// Output stream.
    pub output: String,
}

/// Vector-vector (depthwise) unit call.
#[derive(Template)]
#[template(path = "hls/vvu.call", escape = "none")]
pub struct VvuCall {
    /// Channels.
    pub c: u32,
    /// Kernel positions.
    pub kk: u32,
    /// SIMD (kernel positions per cycle).
    pub simd: u32,
    /// PE (channels per cycle).
    pub pe: u32,
    /// Output pixels.
    pub pixels: u64,
    /// Activation type.
    pub x: Ty,
    /// Weight type.
    pub w: Ty,
    /// Accumulator bits.
    pub acc: u32,
    /// Whether biases are added.
    pub has_bias: bool,
    /// Requantiser.
    pub rq: HlsRequant,
    /// Output type.
    pub o: Ty,
    /// Relu.
    pub relu: bool,
    /// Multiplier style tag.
    pub style: &'static str,
    /// Input stream.
    pub input: String,
    /// Output stream.
    pub output: String,
}

/// Pool call (windowed max/average or global average).
#[derive(Template)]
#[template(path = "hls/pool.call", escape = "none")]
pub struct PoolCall {
    /// Global average.
    pub global: bool,
    /// Maximum (else sum).
    pub max: bool,
    /// Channels.
    pub c: u32,
    /// Window positions.
    pub kk: u32,
    /// PE.
    pub pe: u32,
    /// Output pixels (windowed) or input pixels (global).
    pub pixels: u64,
    /// Input type.
    pub x: Ty,
    /// Accumulator bits.
    pub acc: u32,
    /// Requantiser.
    pub rq: HlsRequant,
    /// Output type.
    pub o: Ty,
    /// Input stream.
    pub input: String,
    /// Output stream.
    pub output: String,
}

/// Add call.
#[derive(Template)]
#[template(path = "hls/add.call", escape = "none")]
pub struct AddCall {
    /// Words per frame.
    pub words: u64,
    /// PE.
    pub pe: u32,
    /// First input type.
    pub a: Ty,
    /// Second input type.
    pub b: Ty,
    /// Accumulator bits.
    pub acc: u32,
    /// Requantiser.
    pub rq: HlsRequant,
    /// Output type.
    pub o: Ty,
    /// Relu.
    pub relu: bool,
    /// First input stream.
    pub input: String,
    /// Second input stream.
    pub input_b: String,
    /// Output stream.
    pub output: String,
}
