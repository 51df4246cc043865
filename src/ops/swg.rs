//! Sliding-window generator: turns a pixel stream into a window stream (im2col), with
//! padding generated on the fly. Used by conv, dwconv and the windowed pools.
//!
//! Hardware: a line buffer of `kh + sh` rows (the window's rows plus one output row of
//! read-ahead), written one input word per cycle and read one output word per cycle, both at
//! once. Steady state is therefore `max(in_words, out_words)` cycles per frame; the first output
//! word leaves once the input has reached the bottom-right real pixel of the first window.
//! A 1x1 window with stride 1 and no padding needs no generator at all.

use super::Unit;
use crate::cost::{Resources, auto_buffer, counter_bits};
use crate::model::{Shape, Window};

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

/// Models a generator reading `inp` (`bits` per element) with `par` channels per word and
/// emitting `kpar` kernel positions per output word.
pub fn model(inp: Shape, bits: u32, w: &Window, par: u32, kpar: u32) -> Swg {
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
    let passthrough = w.kernel == [1, 1] && w.stride == [1, 1] && pads == [0; 4];
    if passthrough {
        return Swg {
            unit: None,
            in_words,
            out_words,
            first_need: cf,
        };
    }
    let in_width = (par * bits) as u64;
    let out_width = in_width * kpar as u64;
    let decimator = w.kernel == [1, 1] && pads == [0; 4];
    let buffer = if decimator {
        Resources::default()
    } else {
        let depth = (w.kernel[0] + w.stride[0]) as u64 * inp.w as u64 * cf;
        auto_buffer(depth, in_width)
    };
    // Control: pixel, row, channel-fold and kernel counters on both sides, plus the
    // zero-padding select on the output word.
    let cb = counter_bits(in_words.max(out_words));
    let ctrl = Resources {
        lut: 8 * cb + out_width,
        ff: 8 * cb + out_width,
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
pub fn window_type(inp: &crate::ops::Tensor, w: &Window) -> crate::model::ElemType {
    if inp.ty.is_bipolar() && w.pads(inp.shape.h, inp.shape.w) != [0; 4] {
        crate::model::ElemType {
            bits: 2,
            signed: true,
        }
    } else {
        inp.ty
    }
}

/// The window of output pixel `(oy, ox)` from an `inp`-shaped HWC tensor, in `(kh, kw, c)`
/// order (the order the generator emits and the weight matrix columns use); positions in the
/// padding read `pad`.
pub fn gather(input: &[i64], inp: Shape, w: &Window, pad: i64, oy: u32, ox: u32) -> Vec<i64> {
    let p = w.pads(inp.h, inp.w);
    let c = inp.c as usize;
    let mut out = Vec::with_capacity(w.area() as usize * c);
    for ky in 0..w.kernel[0] {
        for kx in 0..w.kernel[1] {
            let y = (oy * w.stride[0] + ky) as i64 - p[0] as i64;
            let x = (ox * w.stride[1] + kx) as i64 - p[2] as i64;
            if y < 0 || x < 0 || y >= inp.h as i64 || x >= inp.w as i64 {
                out.extend(std::iter::repeat_n(pad, c));
            } else {
                let base = (y as usize * inp.w as usize + x as usize) * c;
                out.extend_from_slice(&input[base..base + c]);
            }
        }
    }
    out
}

/// Runs `f(window)` for every output pixel in raster order and collects its outputs.
pub fn each_window(
    input: &[i64],
    inp: Shape,
    out: Shape,
    w: &Window,
    pad: i64,
    mut f: impl FnMut(&[i64], &mut Vec<i64>),
) -> Vec<i64> {
    let mut res = Vec::with_capacity(out.elems() as usize);
    for oy in 0..out.h {
        for ox in 0..out.w {
            f(&gather(input, inp, w, pad, oy, ox), &mut res);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Padding;

    #[test]
    fn words_and_first_need() {
        // 32x32x3 input, 3x3 valid, SIMD 3: 1024 in words, 30*30*9 out words; first window
        // ends at row 2, col 2: 2*32 + 3 = 67 words.
        let w = Window {
            kernel: [3, 3],
            stride: [1, 1],
            padding: Padding::Valid,
        };
        let s = model(Shape::map(32, 32, 3), 8, &w, 3, 1);
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
        let s = model(Shape::map(32, 32, 16), 8, &w, 4, 1);
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
        let s = model(Shape::map(8, 8, 16), 8, &w, 16, 1);
        assert!(s.unit.is_none());
        assert_eq!(s.in_words, 64);
        let w = Window {
            kernel: [1, 1],
            stride: [2, 2],
            padding: Padding::Valid,
        };
        let s = model(Shape::map(8, 8, 16), 8, &w, 16, 1);
        assert_eq!(s.unit.as_ref().unwrap().res.bram18, 0);
        assert_eq!(s.out_words, 16);
        assert_eq!(s.unit.unwrap().cycles, 64);
    }
}
