//! Sliding-window generator: turns a pixel stream into a window stream (im2col), with
//! padding generated on the fly. Used by conv, dwconv and the windowed pools.
//!
//! Hardware: a line buffer of `kh + sh` rows (the window's rows plus one output row of
//! read-ahead), written one input word per cycle and read one output word per cycle, both at
//! once. Steady state is therefore `max(in_words, out_words)` cycles per frame; the first output
//! word leaves once the input has reached the bottom-right real pixel of the first window.
//! A 1x1 window with stride 1 and no padding needs no generator at all.

use super::{HwCtx, Unit};
use crate::cost::memory::Memory;
use crate::cost::{Resources, clog2};
use crate::format::{Shape, Window};

/// The generator's stream facts and cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Swg {
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

/// Models a generator reading `inp` (`bits` per element) with `par` channels per word and
/// emitting `kpar` kernel positions of `out_bits`-bit elements per output word.
///
/// Resources follow `half_swg`: a line buffer of `(KH + SH) * IW * C/par` words of
/// `par * bits` bits with `kpar` synchronous read ports, mapped as synthesis maps it
/// ([`crate::cost::memory::map`]: block RAM, LUTRAM or registers by cost; a 1x1 decimator has
/// it too), and the coordinate logic, whose width `SWD` the RTL derives from the geometry.
/// LUTs `30.7 SWD + 6.3 KP SWD + 1.9 log2(D) - 145`, plus the padding select (1.16 per output
/// bit when padded); flip-flops `7.8 SWD + 1.3 KP SWD - 20`, plus the read registers when the
/// buffer is not a block RAM (calibration table C6, 16 generators).
pub fn model(
    inp: Shape,
    bits: u32,
    out_bits: u32,
    w: &Window,
    par: u32,
    kpar: u32,
    hw: &HwCtx,
) -> Swg {
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
        return Swg {
            unit: None,
            in_words,
            out_words,
            first_need: cf,
        };
    }
    let (kh, kw) = (w.kernel[0] as u64, w.kernel[1] as u64);
    let (sh, sw) = (w.stride[0] as u64, w.stride[1] as u64);
    let br = kh + sh;
    let depth = br * inp.w as u64 * cf;
    let kp = kpar.max(1) as u64;
    let out_width = kp * par as u64 * out_bits as u64;
    let buffer = super::mvu::ram(
        &Memory {
            depth,
            width: par as u64 * bits as u64,
            read_ports: kp,
            sync_read: true,
            rom: false,
            shared: false,
        },
        hw,
    );
    let [pt, pb, pl, pr] = pads.map(|p| p as u64);
    let maxv = 2 * (inp.h as u64 + br + pt + pb + kh + sh)
        + 2 * (inp.w as u64 + pl + pr + kw + sw) * cf
        + 2 * depth
        + 2 * kh * kw
        + 16;
    let swd = (64 - (maxv - 1).leading_zeros()) as f64 + 2.0;
    let padded = pt + pl > 0;
    let lut = 30.7 * swd + 6.3 * kp as f64 * swd + 1.9 * clog2(depth) as f64 - 145.0
        + if padded { 1.16 * out_width as f64 } else { 0.0 };
    let ff = 7.8 * swd + 1.3 * kp as f64 * swd - 20.0;
    let regs = if buffer.bram18 > 0 { 0 } else { out_width };
    let ctrl = Resources {
        lut: lut.max(20.0).round() as u64,
        ff: ff.max(10.0).round() as u64 + regs,
        ..Default::default()
    };
    Swg {
        unit: Some(Unit {
            kind: "swg",
            cycles: in_words.max(out_words),
            res: buffer + ctrl,
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
