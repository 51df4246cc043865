//! Calibration of derived requantisation (the rule of docs/model-format.md): like the
//! post-training quantisation of Brevitas or TFLite, half-gen runs the reference on seeded
//! random input frames, layer by layer in graph order, and sets each derived requantiser so
//! the root mean square of its accumulator maps to half the output range:
//! `f = max(out_max / 2, 1) / rms(acc)`, written as `scale / 2^shift` with an 8-bit scale.
//! An add first equalises its inputs (`a / rms(a) + b / rms(b)`) and maps the RMS of that sum
//! the same way. Bipolar outputs keep the sign rule (scale 1, shift 0). Later layers are
//! calibrated on the already calibrated outputs, so deep networks keep their range; this is
//! what keeps every layer's output varied on random data, where a rule from the type ranges
//! alone collapses narrow (2-bit) networks to zero after a few layers.

use super::random_inputs;
use crate::error::{Error, Result};
use crate::format::{Activation, Requant};
use crate::ir::Graph;
use crate::ops::LayerOp;
use crate::ops::LayerParams;
use crate::ops::requant::derive::{add_scales, quantize_factor};
use crate::ops::{Node, NodeKind};
use crate::weights::Params;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::NodeIndexable;

/// Frames used for calibration: enough that small layers see many values, few enough that
/// large networks calibrate in well under a second (about 2e7 multiply-accumulates).
pub fn frame_count(graph: &Graph) -> usize {
    let macs: u64 = graph
        .layers()
        .filter_map(|n| graph.g[n].op().map(|op| op.op().macs(&graph.g[n])))
        .sum();
    (20_000_000 / macs.max(1)).clamp(2, 32) as usize
}
/// Offset of the calibration frames' seed from the model seed (so test vectors differ).
const SEED_SALT: u64 = 0xCA11_B8A7_E000_0001;

fn rms(values: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut n) = (0.0, 0usize);
    for v in values {
        s += v * v;
        n += 1;
    }
    if n == 0 || s == 0.0 {
        1.0
    } else {
        (s / n as f64).sqrt()
    }
}

/// Per frame, the values of each input port.
fn frames_in(values: &[Vec<Vec<i64>>], producers: &[NodeIndex]) -> Vec<Vec<Vec<i64>>> {
    let frames = producers.first().map_or(0, |q| values[q.index()].len());
    (0..frames)
        .map(|f| {
            producers
                .iter()
                .map(|q| values[q.index()][f].clone())
                .collect()
        })
        .collect()
}

fn refs(ins: &[Vec<i64>]) -> Vec<&[i64]> {
    ins.iter().map(Vec::as_slice).collect()
}

/// The accumulator per frame: the layer without requantiser or activation.
fn raw_acc(node: &Node, op: &LayerOp, p: &LayerParams, frames: &[Vec<Vec<i64>>]) -> Vec<Vec<i64>> {
    let mut raw = node.clone();
    raw.requant = None;
    raw.thresholds = None;
    raw.activation = Activation::None;
    frames
        .iter()
        .map(|ins| op.op().reference(&raw, &refs(ins), p))
        .collect()
}

/// Thresholds derived from the accumulator values `acc` (frames of HWC values) of a layer
/// whose model file gives none: per channel `c` with mean `m` and standard deviation `s`,
/// threshold `i` of `N` is `ceil(m + s * (4 i / (N + 1) - 2))`, levels spread evenly over
/// `m - 2s .. m + 2s` (one threshold: the mean, the sign of a centred channel); clamped to
/// `acc_min ..= acc_max + 1`, where every threshold outside works the same.
fn derive_thresholds(node: &Node, acc: &[Vec<i64>]) -> Vec<i64> {
    let Some(t) = &node.thresholds else {
        return Vec::new();
    };
    let channels = node.out.shape.c.max(1) as usize;
    let (lo, hi) = (node.acc.min(), node.acc.max().saturating_add(1));
    let mut out = Vec::with_capacity(channels * t.count as usize);
    for c in 0..channels {
        let vals = acc.iter().flat_map(|f| f.iter().skip(c).step_by(channels));
        let (mut n, mut s1, mut s2) = (0.0f64, 0.0f64, 0.0f64);
        for &v in vals {
            n += 1.0;
            s1 += v as f64;
            s2 += (v as f64) * (v as f64);
        }
        let m = if n > 0.0 { s1 / n } else { 0.0 };
        let sd = if n > 0.0 {
            (s2 / n - m * m).max(0.0).sqrt()
        } else {
            0.0
        };
        let steps = f64::from(t.count) + 1.0;
        for i in 1..=t.count {
            let z = 4.0 * f64::from(i) / steps - 2.0;
            let v = (m + sd * z).ceil();
            let v = if v.is_finite() { v as i64 } else { lo };
            out.push(v.clamp(lo, hi));
        }
    }
    out
}

/// Generated biases re-centred (the role batch normalisation plays in a trained network):
/// `noise_c - round(mean_c)` of the bias-free accumulator, or for a bipolar output the
/// threshold that splits the channel's values most evenly; clipped to the bias range.
fn centre_bias(
    node: &Node,
    op: &LayerOp,
    p: &LayerParams,
    frames: &[Vec<Vec<i64>>],
) -> LayerParams {
    let c = p.bias.len();
    let mut zero = p.clone();
    zero.bias = vec![0; c];
    let acc = raw_acc(node, op, &zero, frames);
    let mut per: Vec<Vec<i64>> = vec![Vec::new(); c];
    for (i, v) in acc.iter().flatten().enumerate() {
        per[i % c].push(*v);
    }
    let (lo, hi) = crate::weights::spec(op, node).bias_range;
    let bias = p
        .bias
        .iter()
        .zip(per.iter_mut())
        .map(|(&noise, vals)| {
            let b = if node.out.ty.is_bipolar() {
                even_split(vals)
            } else {
                let mean = vals.iter().sum::<i64>() as f64 / vals.len().max(1) as f64;
                noise - mean.round() as i64
            };
            b.clamp(lo, hi)
        })
        .collect();
    LayerParams {
        weight: p.weight.clone(),
        bias,
    }
}

/// Accumulator values below which the RMS is estimated from the input's moments instead.
const MIN_SAMPLES: usize = 256;

/// RMS of a layer's accumulator: measured when the frames give at least [`MIN_SAMPLES`]
/// values; otherwise (a small dense head, say) from the input's mean `mu` and variance `s2`
/// over all its values, assuming independent inputs: per output channel `c` with weight
/// column `w_c`, `E[acc_c^2] = (b_c + mu * sum w_c)^2 + s2 * sum w_c^2` (for an average pool,
/// `w` is all ones over the window).
fn acc_rms(node: &Node, op: &LayerOp, p: &LayerParams, frames: &[Vec<Vec<i64>>]) -> f64 {
    let acc = raw_acc(node, op, p, frames);
    let count: usize = acc.iter().map(Vec::len).sum();
    if count >= MIN_SAMPLES {
        return rms(acc.iter().flatten().map(|&v| v as f64));
    }
    let xs: Vec<f64> = frames
        .iter()
        .flat_map(|f| f[0].iter().map(|&v| v as f64))
        .collect();
    let n = xs.len().max(1) as f64;
    let mu = xs.iter().sum::<f64>() / n;
    let s2 = xs.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / n;
    let cols = node.out.shape.c.max(1) as usize;
    let columns: Vec<(f64, f64, f64)> = if p.weight.is_empty() {
        let window = (node.inputs[0].shape.elems() / node.out.shape.elems().max(1)).max(1) as f64;
        let window = op.op().window().map_or(window, |w| w.area() as f64);
        vec![(0.0, window, window); 1]
    } else {
        (0..cols)
            .map(|c| {
                let col = p.weight.iter().skip(c).step_by(cols).map(|&w| w as f64);
                let (s1, sq) = col.fold((0.0, 0.0), |(a, b), w| (a + w, b + w * w));
                (p.bias.get(c).copied().unwrap_or(0) as f64, s1, sq)
            })
            .collect()
    };
    let mean_sq = columns
        .iter()
        .map(|(b, s1, sq)| (b + mu * s1).powi(2) + s2 * sq)
        .sum::<f64>()
        / columns.len() as f64;
    if mean_sq > 0.0 { mean_sq.sqrt() } else { 1.0 }
}

/// The bias `b` for which `v + b >= 0` holds for the share of `vals` closest to one half
/// (the threshold a bipolar output is taken at), ties to the smaller `|b|`.
fn even_split(vals: &mut [i64]) -> i64 {
    if vals.is_empty() {
        return 0;
    }
    vals.sort_unstable();
    let n = vals.len() as f64;
    let mut best = (f64::INFINITY, 0i64);
    let mut i = 0;
    while i < vals.len() {
        // b = -vals[i]: exactly the values from index i on are >= -b.
        let share = (vals.len() - i) as f64 / n;
        let key = ((share - 0.5).abs(), vals[i].abs());
        if key.0 < best.0 || (key.0 == best.0 && key.1 < best.1.abs()) {
            best = (key.0, -vals[i]);
        }
        let v = vals[i];
        while i < vals.len() && vals[i] == v {
            i += 1;
        }
    }
    best.1
}

/// Calibrates every derived requantiser of `graph` (see the module comment); with generated
/// parameters (`generated`), also centres the biases first.
pub fn calibrate(graph: &mut Graph, params: &mut Params, seed: u64, generated: bool) -> Result<()> {
    let frames = random_inputs(graph, seed ^ SEED_SALT, frame_count(graph));
    let mut values: Vec<Vec<Vec<i64>>> = vec![Vec::new(); graph.g.node_bound()];
    for n in graph.order() {
        let producers = graph.producers(n);
        let outs: Vec<Vec<i64>> = match &graph.g[n].kind {
            NodeKind::Input => frames.clone(),
            NodeKind::Fork { .. } => values[producers[0].index()].clone(),
            NodeKind::Layer { op, .. } => {
                let op = op.clone();
                let node = &graph.g[n];
                let p = params.get(&node.name).clone();
                if generated && !p.bias.is_empty() {
                    let centred = centre_bias(node, &op, &p, &frames_in(&values, &producers));
                    params.layers.insert(node.name.clone(), centred);
                }
                let p = params.get(&graph.g[n].name).clone();
                let node = &graph.g[n];
                if node
                    .thresholds
                    .as_ref()
                    .is_some_and(|t| t.values.is_empty())
                {
                    let acc = raw_acc(node, &op, &p, &frames_in(&values, &producers));
                    let derived = derive_thresholds(node, &acc);
                    if let Some(t) = &mut graph.g[n].thresholds {
                        t.values = derived;
                    }
                }
                let node = &graph.g[n];
                if node.requant_derived && !node.out.ty.is_bipolar() && op.op().calibrates() {
                    let target = (node.out.ty.max() as f64 / 2.0).max(1.0);
                    let new = if op.op().scales_per_input() {
                        let all = |k: usize| {
                            values[producers[k].index()]
                                .iter()
                                .flatten()
                                .map(|&v| v as f64)
                        };
                        let (ra, rb) = (rms(all(0)), rms(all(1)));
                        let r = rms(all(0).zip(all(1)).map(|(a, b)| a / ra + b / rb));
                        let f = target / r;
                        let (scale, shift) = add_scales(f / ra, f / rb);
                        Requant {
                            scale: scale.to_vec(),
                            shift: vec![shift],
                        }
                    } else {
                        let ins = frames_in(&values, &producers);
                        let (scale, shift) = quantize_factor(target / acc_rms(node, &op, &p, &ins));
                        Requant {
                            scale: vec![scale],
                            shift: vec![shift],
                        }
                    };
                    let node = &mut graph.g[n];
                    node.requant = Some(new);
                    node.refresh_acc().map_err(|m| {
                        Error::Unsupported(format!("layer `{}`: calibration: {m}", node.name))
                    })?;
                }
                let node = &graph.g[n];
                let p = params.get(&node.name);
                frames_in(&values, &producers)
                    .iter()
                    .map(|ins| op.op().reference(node, &refs(ins), p))
                    .collect()
            }
        };
        values[n.index()] = outs;
    }
    Ok(())
}
