//! The layers of the QDQ importer: conv and dwconv, dense, add, average and max pooling and
//! concat, built from already checked activations and quantised constants. Each builder but
//! maxpool returns a [`Pending`] layer, which the next `QuantizeLinear` requantises.

use super::num;
use super::{Act, Ctx, Kind, Pending, QConst};
use crate::error::Result;
use crate::import::common::{self, IntTensor};
use crate::import::emit::LayerOut;
use crate::import::onnx::OnnxNode;

/// A layer's int32 bias: the integers, and their scales when the model gives them (QDQ; the
/// QOperator form implies `input scale * weight scale`).
#[derive(Debug, Clone)]
pub(super) struct Bias {
    /// One per output channel.
    pub ints: Vec<i64>,
    /// One, or one per output channel.
    pub scales: Option<Vec<f64>>,
}

impl From<QConst> for Bias {
    fn from(c: QConst) -> Self {
        Bias {
            ints: c.ints,
            scales: Some(c.scales),
        }
    }
}

/// The weight scale of each of `outs` output channels along axis `out_axis` of `w`.
fn per_output(
    cx: &Ctx,
    n: &OnnxNode,
    w: &QConst,
    out_axis: usize,
    outs: usize,
) -> Result<Vec<f64>> {
    match (w.scales.as_slice(), w.axis) {
        ([s], _) => Ok(vec![*s; outs]),
        (s, Some(ax)) if ax == out_axis && s.len() == outs => Ok(s.to_vec()),
        (s, ax) => Err(cx.err(
            n,
            format!(
                "{} weight scales along axis {ax:?}: half-gen takes one per tensor or one per \
                 output channel (axis {out_axis})",
                s.len()
            ),
        )),
    }
}

/// The bias array of a layer whose accumulator step is `acc[c]` per output channel.
fn bias_array(cx: &Ctx, n: &OnnxNode, b: Option<Bias>, acc: &[f64]) -> Result<Option<Vec<i64>>> {
    let Some(b) = b else { return Ok(None) };
    if b.ints.len() != acc.len() {
        return Err(cx.err(
            n,
            format!("{} biases for {} output channels", b.ints.len(), acc.len()),
        ));
    }
    if let Some(s) = &b.scales {
        for (c, want) in acc.iter().enumerate() {
            let got = if s.len() == 1 { s.first() } else { s.get(c) };
            match got {
                Some(g) if (g - want).abs() <= 1e-5 * want.abs() => {}
                _ => {
                    return Err(cx.err(
                        n,
                        format!(
                            "the bias scale of channel {c} ({got:?}) is not input scale * \
                             weight scale ({want}): half-gen adds the int32 bias to the \
                             accumulator unchanged"
                        ),
                    ));
                }
            }
        }
    }
    Ok(Some(b.ints))
}

/// `weight_bits` of `w`.
fn bits(cx: &Ctx, n: &OnnxNode, w: &QConst) -> Result<u32> {
    num::weight_bits(w.elem_type).ok_or_else(|| {
        cx.err(
            n,
            format!(
                "weights of type {} are not supported (int8 and smaller integers are)",
                crate::import::onnx::type_name(w.elem_type)
            ),
        )
    })
}

/// The `[C, H, W]` of a map input.
fn map(cx: &Ctx, n: &OnnxNode, x: &Act) -> Result<[u64; 3]> {
    match x.t.dims.as_slice() {
        [c, h, w] => Ok([*c, *h, *w]),
        d => Err(cx.err(
            n,
            format!("reads a tensor of shape {d:?}; expected a [C, H, W] map"),
        )),
    }
}

/// The output size of `win` on `h x w`, or an error when the kernel exceeds the padded input.
fn out_hw(cx: &Ctx, n: &OnnxNode, win: &common::Window2, h: u64, w: u64) -> Result<(u64, u64)> {
    let [t, b, l, r] = win.pads;
    let (Some(ph), Some(pw)) = (
        h.checked_add(t).and_then(|v| v.checked_add(b)),
        w.checked_add(l).and_then(|v| v.checked_add(r)),
    ) else {
        return Err(cx.err(n, "the padding is too large"));
    };
    if win.kernel[0] > ph || win.kernel[1] > pw {
        return Err(cx.err(n, "the kernel is larger than the padded input"));
    }
    Ok(win.out_hw(h, w))
}

/// A pending layer of one factor per channel.
fn pending(layer: LayerOut, acc_scale: Vec<f64>, dims: Vec<u64>) -> Pending {
    Pending {
        layer,
        kind: Kind::PerChannel,
        acc_scale,
        dims,
        flat: None,
        relu: false,
        arrays: Vec::new(),
        in_types: Vec::new(),
        acc_range: Vec::new(),
    }
}

/// Conv: group 1 is a `conv`, one group per channel (depth multiplier 1) a `dwconv`.
pub(super) fn conv(
    cx: &mut Ctx,
    n: &OnnxNode,
    x: &Act,
    w: &QConst,
    b: Option<Bias>,
) -> Result<Pending> {
    let [c, h, wd] = map(cx, n, x)?;
    let Some(&[co, cig, kh, kw]) = w.dims.get(..4).filter(|_| w.dims.len() == 4) else {
        return Err(cx.err(
            n,
            format!(
                "weights of shape {:?}; expected [Cout, Cin, kh, kw]",
                w.dims
            ),
        ));
    };
    if co
        .checked_mul(cig)
        .and_then(|v| v.checked_mul(kh))
        .and_then(|v| v.checked_mul(kw))
        != Some(w.ints.len())
    {
        return Err(cx.err(n, "the weights do not match their shape"));
    }
    let group = n.int("group").unwrap_or(1);
    let dw = if group == 1 && cig as u64 == c {
        false
    } else if group as u64 == c && cig == 1 && co as u64 == c {
        true
    } else {
        return Err(cx.err(
            n,
            format!(
                "group {group} with {c} input and {co} output channels ({cig} per group): \
                 half-gen imports group 1 (conv) or one group per channel (dwconv)"
            ),
        ));
    };
    let win = common::window(cx.model, n, Some([kh as u64, kw as u64]))?;
    if win.kernel != [kh as u64, kw as u64] {
        return Err(cx.err(n, "kernel_shape does not match the weights"));
    }
    let (oh, ow) = out_hw(cx, n, &win, h, wd)?;
    let wbits = bits(cx, n, w)?;
    let ws = per_output(cx, n, w, 0, co)?;
    let acc: Vec<f64> = ws.iter().map(|s| num::product_f32(x.t.scale, *s)).collect();
    let bias = bias_array(cx, n, b, &acc)?;
    let name = cx.names.layer(&n.name);
    let op = if dw { "dwconv" } else { "conv" };
    let mut layer = LayerOut::new(&name, op, vec![x.t.src.clone()]);
    if !dw {
        layer = layer.key("channels", co);
    }
    layer = win.keys(layer).key("weight_bits", wbits);
    let (kh, kw, cig, co) = (kh as u64, kw as u64, cig as u64, co as u64);
    let weights = if dw {
        (
            "weight",
            vec![kh, kw, co],
            common::dw_weights(&w.ints, [co as usize, 1, kh as usize, kw as usize]),
        )
    } else {
        let d = [co as usize, cig as usize, kh as usize, kw as usize];
        (
            "weight",
            vec![kh, kw, cig, co],
            common::conv_weights(&w.ints, d),
        )
    };
    let mut p = pending(layer, acc, vec![co, oh, ow]);
    p.acc_range = num::acc_ranges(&weights.2, co as usize, x.t.ty, bias.as_deref());
    p.arrays.push(weights);
    match bias {
        Some(v) => p.arrays.push(("bias", vec![co], v)),
        None => p.layer = p.layer.clone().key("bias", false),
    }
    Ok(p)
}

/// Dense from a `[K, N]` (or, with `trans_b`, `[N, K]`) weight matrix.
pub(super) fn dense(
    cx: &mut Ctx,
    n: &OnnxNode,
    x: &Act,
    w: &QConst,
    trans_b: bool,
    b: Option<Bias>,
) -> Result<Pending> {
    let Some(&[r, c]) = w.dims.get(..2).filter(|_| w.dims.len() == 2) else {
        return Err(cx.err(
            n,
            format!("weights of shape {:?}; expected a matrix", w.dims),
        ));
    };
    if r.checked_mul(c) != Some(w.ints.len()) {
        return Err(cx.err(n, "the weights do not match their shape"));
    }
    let (k, outs, out_axis) = if trans_b { (c, r, 0) } else { (r, c, 1) };
    if x.t.dims != [k as u64] {
        return Err(cx.err(
            n,
            format!(
                "reads a tensor of shape {:?} with weights of {k} inputs; half-gen's dense \
                 reads a vector (Flatten a map first)",
                x.t.dims
            ),
        ));
    }
    let wbits = bits(cx, n, w)?;
    let ws = per_output(cx, n, w, out_axis, outs)?;
    let acc: Vec<f64> = ws.iter().map(|s| num::product_f32(x.t.scale, *s)).collect();
    let bias = bias_array(cx, n, b, &acc)?;
    let mut kn = if trans_b {
        let mut t = vec![0; w.ints.len()];
        for o in 0..outs {
            for i in 0..k {
                t[i * outs + o] = w.ints[o * k + i];
            }
        }
        t
    } else {
        w.ints.clone()
    };
    if let Some(d) = &x.flat {
        kn = common::dense_weights(&kn, k, outs, d);
    }
    let name = cx.names.layer(&n.name);
    let layer = LayerOut::new(&name, "dense", vec![x.t.src.clone()])
        .key("units", outs)
        .key("weight_bits", wbits);
    let mut p = pending(layer, acc, vec![outs as u64]);
    p.acc_range = num::acc_ranges(&kn, outs, x.t.ty, bias.as_deref());
    p.arrays.push(("weight", vec![k as u64, outs as u64], kn));
    match bias {
        Some(v) => p.arrays.push(("bias", vec![outs as u64], v)),
        None => p.layer = p.layer.clone().key("bias", false),
    }
    Ok(p)
}

/// Elementwise `a + b` of two tensors of one shape.
pub(super) fn add(cx: &mut Ctx, n: &OnnxNode, a: &Act, b: &Act) -> Result<Pending> {
    if a.t.dims != b.t.dims || a.flat != b.flat {
        return Err(cx.err(
            n,
            format!(
                "adds shapes {:?} and {:?}: half-gen adds tensors of one shape (no \
                 broadcasting)",
                a.t.dims, b.t.dims
            ),
        ));
    }
    let name = cx.names.layer(&n.name);
    let layer = LayerOut::new(&name, "add", vec![a.t.src.clone(), b.t.src.clone()]);
    let mut p = pending(layer, vec![a.t.scale, b.t.scale], a.t.dims.clone());
    p.kind = Kind::PerInput;
    p.flat = a.flat.clone();
    Ok(p)
}

/// AveragePool (the window sum over the full window) or a global average pool.
pub(super) fn avgpool(cx: &mut Ctx, n: &OnnxNode, x: &Act, global: bool) -> Result<Pending> {
    let [c, h, w] = map(cx, n, x)?;
    let name = cx.names.layer(&n.name);
    let layer = LayerOut::new(&name, "avgpool", vec![x.t.src.clone()]);
    let (layer, area, dims) = if global {
        (
            layer.key("global", true),
            h.saturating_mul(w),
            vec![c, 1, 1],
        )
    } else {
        let win = common::window(cx.model, n, None)?;
        if win.pads != [0; 4] && n.int("count_include_pad").unwrap_or(0) == 0 {
            return Err(cx.err(
                n,
                "count_include_pad 0 with padding divides the border windows by fewer \
                 elements; half-gen's avgpool divides by the whole window (export with \
                 count_include_pad=1 or without padding)",
            ));
        }
        let (oh, ow) = out_hw(cx, n, &win, h, w)?;
        (
            win.keys(layer),
            win.kernel[0].saturating_mul(win.kernel[1]),
            vec![c, oh, ow],
        )
    };
    Ok(pending(layer, vec![x.t.scale / area.max(1) as f64], dims))
}

/// Channel concatenation (axis 1) of maps of one height and width, or of vectors.
pub(super) fn concat(cx: &mut Ctx, n: &OnnxNode, xs: &[Act], axis: i64) -> Result<Pending> {
    let first = xs.first().ok_or_else(|| cx.err(n, "no inputs"))?;
    let rank = first.t.dims.len() as i64 + 1;
    if !(2..=16).contains(&xs.len()) || !(axis == 1 || axis == 1 - rank) {
        return Err(cx.err(
            n,
            format!(
                "concatenates {} tensors along axis {axis}: half-gen concatenates 2 to 16 \
                 along the channels (axis 1)",
                xs.len()
            ),
        ));
    }
    let mut channels = 0;
    for x in xs {
        if x.t.dims.get(1..) != first.t.dims.get(1..)
            || x.t.dims.len() != first.t.dims.len()
            || x.flat.is_some()
        {
            return Err(cx.err(n, "concatenates tensors of different heights or widths"));
        }
        channels = x.t.channels().saturating_add(channels);
    }
    let name = cx.names.layer(&n.name);
    let from = xs.iter().map(|x| x.t.src.clone()).collect();
    let mut dims = first.t.dims.clone();
    if let Some(c) = dims.first_mut() {
        *c = channels;
    }
    let mut p = pending(
        LayerOut::new(&name, "concat", from),
        xs.iter().map(|x| x.t.scale).collect(),
        dims,
    );
    p.kind = Kind::PerInput;
    p.in_types = xs.iter().map(|x| x.t.ty).collect();
    Ok(p)
}

/// MaxPool: a layer of the same type and scale, added at once.
pub(super) fn maxpool(cx: &mut Ctx, n: &OnnxNode, x: &Act, out: &str) -> Result<Act> {
    let [c, h, w] = map(cx, n, x)?;
    let win = common::window(cx.model, n, None)?;
    let (oh, ow) = out_hw(cx, n, &win, h, w)?;
    let name = cx.names.layer(&n.name);
    let layer = win.keys(LayerOut::new(&name, "maxpool", vec![x.t.src.clone()]));
    cx.e.layers.push(layer);
    Ok(Act {
        t: IntTensor {
            src: name,
            dims: vec![c, oh, ow],
            ty: x.t.ty,
            scale: x.t.scale,
        },
        flat: None,
        chain: vec![out.to_string()],
    })
}
