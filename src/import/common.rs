//! What the QONNX and the QDQ importers share: the integer tensors half-gen streams, layer
//! names, the graph's consumers, the input, window attributes and weight layouts (ONNX is
//! `N, C, H, W` and `[Cout, Cin, kh, kw]`; half-gen is `H, W, C` and `[kh, kw, cin, cout]`).

use super::emit::{Emitted, LayerOut};
use super::onnx::{Dim, OnnxModel, OnnxNode, OnnxTensor};
use crate::error::Result;
use crate::format::ElemType;
use std::collections::{BTreeMap, BTreeSet};

/// An integer tensor half-gen streams: real value = integer * `scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct IntTensor {
    /// Its producer: a layer name or `input`.
    pub src: String,
    /// Its ONNX shape without the batch: `[C, H, W]` or `[N]`.
    pub dims: Vec<u64>,
    /// Its element type.
    pub ty: ElemType,
    /// Real value of one integer step (per tensor).
    pub scale: f64,
}

impl IntTensor {
    /// Channels: the first dimension.
    pub fn channels(&self) -> u64 {
        self.dims.first().copied().unwrap_or(1)
    }

    /// Height and width (1 and 1 for a vector).
    pub fn hw(&self) -> (u64, u64) {
        match self.dims.as_slice() {
            [_, h, w] => (*h, *w),
            _ => (1, 1),
        }
    }

    /// Elements.
    pub fn elems(&self) -> u64 {
        self.dims.iter().product()
    }
}

/// Unique model-format layer names from ONNX node names.
#[derive(Debug, Default)]
pub struct Names {
    taken: BTreeSet<String>,
}

impl Names {
    /// A fresh identifier for `node` (its name with every other character than a letter,
    /// digit or `_` replaced by `_`, `l_` in front when it does not start with a letter or
    /// `_`, at most 60 characters, `_2`, `_3`, ... when taken; never `input`).
    pub fn layer(&mut self, base: &str) -> String {
        let mut name: String = base
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            name = format!("l_{name}");
        }
        name.truncate(56);
        let mut candidate = name.clone();
        let mut k = 2;
        while candidate == "input" || self.taken.contains(&candidate) {
            candidate = format!("{name}_{k}");
            k += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

/// How many nodes (and graph outputs) read each value.
pub fn consumers(model: &OnnxModel) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for n in &model.graph.nodes {
        for i in n.inputs.iter().filter(|i| !i.is_empty()) {
            *out.entry(i.clone()).or_insert(0) += 1;
        }
    }
    for o in &model.graph.outputs {
        *out.entry(o.name.clone()).or_insert(0) += 1;
    }
    out
}

/// The model input's ONNX shape without the batch: from the file (a batch of 1, or a
/// symbolic one), else `--input-shape` (`given`, in ONNX order without the batch); a dynamic
/// dimension without `given` is an error.
pub fn input_dims(model: &OnnxModel, given: Option<&[u64]>) -> Result<(String, Vec<u64>)> {
    let [input] = model.graph.inputs.as_slice() else {
        return Err(model.error(
            None,
            format!(
                "the graph has {} inputs; half-gen imports networks of one input",
                model.graph.inputs.len()
            ),
        ));
    };
    if let Some(g) = given {
        let valid = matches!(g.len(), 1 | 3) && g.iter().all(|&d| (1..=1 << 24).contains(&d));
        if !valid {
            return Err(crate::Error::InvalidOption(format!(
                "--input-shape {g:?}: give C,H,W (a map) or N (a vector), each in 1..=16777216"
            )));
        }
        return Ok((input.name.clone(), g.to_vec()));
    }
    let dynamic = || {
        model.error(
            None,
            format!(
                "the input `{}` has a dynamic shape; give it with --input-shape C,H,W",
                input.name
            ),
        )
    };
    let dims = input.shape.as_ref().ok_or_else(dynamic)?;
    let mut out = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        match d {
            Dim::Fixed(v) if *v > 0 => out.push(*v as u64),
            Dim::Fixed(_) | Dim::Symbolic(_) | Dim::Unknown if i == 0 => out.push(1),
            _ => return Err(dynamic()),
        }
    }
    if out.first() != Some(&1) || !(2..=4).contains(&out.len()) {
        return Err(model.error(
            None,
            format!(
                "the input `{}` has shape {out:?}; half-gen imports [1, C, H, W] or [1, N] \
                 (one frame at a time)",
                input.name
            ),
        ));
    }
    out.remove(0);
    if out.len() == 2 {
        // [1, C, L]: a one-dimensional map, taken as C x 1 x L.
        out.insert(1, 1);
    }
    Ok((input.name.clone(), out))
}

/// half-gen's shape text of ONNX dims `[C, H, W]` (`[H, W, C]`) or `[N]`.
pub fn hwc(dims: &[u64]) -> Vec<u64> {
    match dims {
        [c, h, w] => vec![*h, *w, *c],
        other => other.to_vec(),
    }
}

/// A window's geometry from a Conv's or a pool's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window2 {
    /// `[kh, kw]`.
    pub kernel: [u64; 2],
    /// `[sh, sw]`.
    pub stride: [u64; 2],
    /// `[top, bottom, left, right]` (half-gen's order).
    pub pads: [u64; 4],
}

impl Window2 {
    /// The window's keys of a model-format layer.
    pub fn keys(&self, l: LayerOut) -> LayerOut {
        let [t, b, le, r] = self.pads;
        let l = l
            .key(
                "kernel",
                format!("[{}, {}]", self.kernel[0], self.kernel[1]),
            )
            .key(
                "stride",
                format!("[{}, {}]", self.stride[0], self.stride[1]),
            );
        if self.pads == [0; 4] {
            l
        } else {
            l.key("padding", format!("[{t}, {b}, {le}, {r}]"))
        }
    }

    /// Output height and width on an `h` x `w` input.
    pub fn out_hw(&self, h: u64, w: u64) -> (u64, u64) {
        let [t, b, le, r] = self.pads;
        let oh = h
            .saturating_add(t)
            .saturating_add(b)
            .saturating_sub(self.kernel[0])
            / self.stride[0].max(1)
            + 1;
        let ow = w
            .saturating_add(le)
            .saturating_add(r)
            .saturating_sub(self.kernel[1])
            / self.stride[1].max(1)
            + 1;
        (oh, ow)
    }
}

/// The window of `node` (Conv, MaxPool, AveragePool) with kernel `kernel` (from the weights
/// when the node has no `kernel_shape`): 2-D only, no dilation, explicit or no padding.
pub fn window(model: &OnnxModel, node: &OnnxNode, kernel: Option<[u64; 2]>) -> Result<Window2> {
    let err = |m: String| model.error(Some(node), m);
    let two = |name: &str, default: [u64; 2]| -> Result<[u64; 2]> {
        match node.ints(name) {
            None => Ok(default),
            Some([a, b]) if *a > 0 && *b > 0 => Ok([*a as u64, *b as u64]),
            Some(v) => Err(err(format!(
                "`{name}` {v:?}: half-gen imports 2-D windows of positive sizes"
            ))),
        }
    };
    let kernel = match (node.ints("kernel_shape"), kernel) {
        (Some(_), _) => two("kernel_shape", [1, 1])?,
        (None, Some(k)) => k,
        (None, None) => return Err(err("no `kernel_shape`".into())),
    };
    if two("dilations", [1, 1])? != [1, 1] {
        return Err(err("dilated windows are not supported".into()));
    }
    if let Some(p) = node.string("auto_pad")
        && p != "NOTSET"
        && p != "VALID"
    {
        return Err(err(format!(
            "auto_pad {p} is not supported: export with explicit `pads`"
        )));
    }
    let pads = match node.ints("pads") {
        None => [0; 4],
        // ONNX: [top, left, bottom, right].
        Some([t, l, b, r]) if [t, l, b, r].iter().all(|v| **v >= 0) => {
            [*t as u64, *b as u64, *l as u64, *r as u64]
        }
        Some(v) => {
            return Err(err(format!(
                "`pads` {v:?}: half-gen imports four non-negative 2-D pads"
            )));
        }
    };
    if node.int("ceil_mode").unwrap_or(0) != 0 {
        return Err(err("ceil_mode 1 is not supported".into()));
    }
    if pads[0].max(pads[1]) >= kernel[0] || pads[2].max(pads[3]) >= kernel[1] {
        return Err(err(format!(
            "pads {pads:?} (top, bottom, left, right) reach a whole kernel {kernel:?}: not supported"
        )));
    }
    Ok(Window2 {
        kernel,
        stride: two("strides", [1, 1])?,
        pads,
    })
}

/// Conv weights `[Cout, Cin, kh, kw]` (row-major) in half-gen's `[kh, kw, cin, cout]`.
pub fn conv_weights(w: &[i64], dims: [usize; 4]) -> Vec<i64> {
    let [co, ci, kh, kw] = dims;
    let mut out = vec![0; w.len()];
    for o in 0..co {
        for i in 0..ci {
            for y in 0..kh {
                for x in 0..kw {
                    out[((y * kw + x) * ci + i) * co + o] = w[((o * ci + i) * kh + y) * kw + x];
                }
            }
        }
    }
    out
}

/// Depthwise weights `[C, 1, kh, kw]` in half-gen's `[kh, kw, c]`.
pub fn dw_weights(w: &[i64], dims: [usize; 4]) -> Vec<i64> {
    let [c, _, kh, kw] = dims;
    let mut out = vec![0; w.len()];
    for ch in 0..c {
        for y in 0..kh {
            for x in 0..kw {
                out[(y * kw + x) * c + ch] = w[(ch * kh + y) * kw + x];
            }
        }
    }
    out
}

/// Dense weights `[in, out]` whose rows index a `[C, H, W]` map flattened in ONNX's order,
/// reordered for half-gen's `H, W, C` flattening (`dims` the map's; a vector keeps its order).
pub fn dense_weights(w: &[i64], inputs: usize, outputs: usize, dims: &[u64]) -> Vec<i64> {
    let [c, h, wd] = match dims {
        [c, h, w] => [*c as usize, *h as usize, *w as usize],
        _ => return w.to_vec(),
    };
    let mut out = vec![0; w.len()];
    for ch in 0..c {
        for y in 0..h {
            for x in 0..wd {
                let onnx_row = (ch * h + y) * wd + x;
                let our_row = (y * wd + x) * c + ch;
                if onnx_row < inputs && our_row < inputs {
                    out[our_row * outputs..(our_row + 1) * outputs]
                        .copy_from_slice(&w[onnx_row * outputs..(onnx_row + 1) * outputs]);
                }
            }
        }
    }
    out
}

/// The dims of constant `t` as a fixed-size array of 4.
pub fn dims4(t: &OnnxTensor) -> Option<[usize; 4]> {
    match t.dims.as_slice() {
        [a, b, c, d] => Some([*a, *b, *c, *d]),
        _ => None,
    }
}

/// Records the model input.
pub fn set_input(e: &mut Emitted, dims: &[u64], ty: ElemType, scale: f64) {
    e.input_shape = hwc(dims);
    e.input_type = Some(ty);
    e.input_scale = scale;
}

/// A positive real factor as an integer scale and a right shift, `scale / 2^shift`, as
/// precise as the requantiser allows (a scale below 2^21 in magnitude, a shift in 0..=62):
/// the relative error is at most 2^-21 unless the factor is below 2^-41 or at least 2^21
/// (then the closest such pair). `None` for a factor that is not finite or not positive.
pub fn fixed_point(f: f64) -> Option<(i64, i64)> {
    if !f.is_finite() || f <= 0.0 {
        return None;
    }
    let top = (1i64 << 21) - 1;
    let mut shift = 0i64;
    while shift < 62 && (f * 2f64.powi(shift as i32 + 1)).round() <= top as f64 {
        shift += 1;
    }
    let scale = (f * 2f64.powi(shift as i32)).round().clamp(1.0, top as f64) as i64;
    Some((scale, shift))
}
