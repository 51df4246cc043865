//! Windows of a feature map in the reference arithmetic: the values a sliding-window layer
//! sees at each output pixel, in the order the generator emits them (`stage::swg`).

use crate::format::{Shape, Window};

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
