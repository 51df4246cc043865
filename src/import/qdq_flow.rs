//! The value flow of the QDQ importer: `QuantizeLinear` (the input quantizer, a layer's
//! requantisation, or an identity on the same scale), `DequantizeLinear` (of an activation or
//! of a constant), the relu fold, `Flatten`/`Reshape`, `MaxPool`, and quantised constants.

use super::num;
use super::{Act, Ctx, Kind, Pending, QConst, Val, type_text};
use crate::error::Result;
use crate::format::ElemType;
use crate::import::common::{self, IntTensor};
use crate::import::emit::LayerOut;
use crate::import::onnx::OnnxNode;

/// How a layer's accumulator becomes its output.
enum ChannelRq {
    /// Integer scales and shifts (one, or one per channel or input).
    Linear(Vec<i64>, Vec<i64>),
    /// `count` thresholds per channel (`table`, row-major `[channels][count]`) from level
    /// `bias`.
    Thresholds {
        bias: i64,
        count: usize,
        table: Vec<i64>,
    },
}

impl<'a> Ctx<'a> {
    /// `QuantizeLinear`.
    pub(super) fn quantize(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let (s, ty) = self.act_q(n, 1, 2)?;
        let out = self.out_name(n)?;
        let v = match self.val(n, 0)? {
            Val::Input => {
                let a = self.input_quantizer(n, s, ty)?;
                self.fate(
                    i,
                    format!("the input quantizer: {} with scale {s}", type_text(ty)),
                );
                Val::Int(a.then(out))
            }
            Val::Pending(_) => {
                let p = self.take_pending(n, 0)?;
                let what = format!(
                    "the requantisation of {} to {} with scale {s}",
                    p.layer.name,
                    type_text(ty)
                );
                let a = self.finalize(n, *p, (s, ty))?;
                self.fate(i, what);
                Val::Int(a)
            }
            Val::Real(a) if num::same_scale(a.t.scale, s) && a.t.ty == ty => {
                let what = format!("folded: quantises {} again with its own scale", a.t.src);
                let a = a.then(out);
                self.fate(i, what);
                Val::Int(a)
            }
            Val::Real(a) => {
                return Err(self.err(
                    n,
                    format!(
                        "requantises the output of {} from scale {} ({}) to {s} ({}) after a \
                         float operator that half-gen cannot requantise",
                        a.t.src,
                        a.t.scale,
                        type_text(a.t.ty),
                        type_text(ty)
                    ),
                ));
            }
            other => {
                return Err(self.err(
                    n,
                    format!("quantises {}; expected a float tensor", other.describe()),
                ));
            }
        };
        self.set(n, v)
    }

    /// The network input quantised to scale `s` and type `ty` (once; a second quantizer of
    /// the input must agree).
    fn input_quantizer(&mut self, n: &'a OnnxNode, s: f64, ty: ElemType) -> Result<Act> {
        if let Some(a) = &self.input {
            if num::same_scale(a.t.scale, s) && a.t.ty == ty {
                return Ok(a.clone());
            }
            return Err(self.err(n, "the input is quantised twice with different parameters"));
        }
        common::set_input(&mut self.e, &self.input_dims, ty, s);
        let a = Act {
            t: IntTensor {
                src: "input".into(),
                dims: self.input_dims.clone(),
                ty,
                scale: s,
            },
            flat: None,
            chain: Vec::new(),
        };
        self.input = Some(a.clone());
        Ok(a)
    }

    /// `DequantizeLinear`: of an initializer (weights, biases) or of an activation.
    pub(super) fn dequantize(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let src = self.input_name(n, 0)?;
        if self.model.graph.constant(src).is_some() {
            let mut c = self.qconst(n, [0, 1, 2], n.int("axis").unwrap_or(1), "weight")?;
            c.node = Some(i);
            return self.set(n, Val::Const(c));
        }
        let (a, real) = self.act(n, 0)?;
        if real {
            return Err(self.err(n, "dequantises a float tensor"));
        }
        let (s, ty) = self.act_q(n, 1, 2)?;
        if ty != a.t.ty {
            return Err(self.err(
                n,
                format!(
                    "dequantises a {} tensor as {}",
                    type_text(a.t.ty),
                    type_text(ty)
                ),
            ));
        }
        let mut a = a.then(self.out_name(n)?);
        a.t.scale = s;
        self.fate(i, format!("folded: dequantises the output of {}", a.t.src));
        self.set(n, Val::Real(a))
    }

    /// The quantised constant of inputs `[data, scale, zero point]` of `n`, its scales along
    /// `axis` when more than one; `what` names it in messages (`weight`, `bias`).
    pub(super) fn qconst(
        &self,
        n: &'a OnnxNode,
        [d, s, z]: [usize; 3],
        axis: i64,
        what: &str,
    ) -> Result<QConst> {
        let data = self.constant(n, d)?;
        let ints = data
            .to_i64()
            .filter(|_| !data.is_float())
            .ok_or_else(|| self.err(n, format!("the {what}s are not integers")))?;
        let scales = self.constant(n, s)?.to_f64();
        if let Some(bad) = scales.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(self.err(n, format!("{what} scale {bad} is not a positive number")));
        }
        let (zp, _) = self.zero_points(n, z)?;
        if let Some(bad) = zp.iter().find(|z| **z != 0) {
            return Err(self.err(
                n,
                format!(
                    "{what} zero point {bad} is not supported: quantize with \
                     WeightSymmetric=True"
                ),
            ));
        }
        let rank = data.dims.len() as i64;
        let ax = if axis < 0 { axis + rank } else { axis };
        let axis = match scales.len() {
            1 => None,
            len if (0..rank).contains(&ax) && data.dims.get(ax as usize) == Some(&len) => {
                Some(ax as usize)
            }
            len => {
                return Err(self.err(
                    n,
                    format!(
                        "{len} {what} scales do not match axis {axis} of the {what}s {:?}",
                        data.dims
                    ),
                ));
            }
        };
        Ok(QConst {
            ints,
            dims: data.dims.clone(),
            scales,
            axis,
            elem_type: data.elem_type,
            node: None,
        })
    }

    /// Takes the float accumulator at input `k` of `n` (read by `n` alone).
    pub(super) fn take_pending(&mut self, n: &'a OnnxNode, k: usize) -> Result<Box<Pending>> {
        let name = self.input_name(n, k)?;
        if self.uses.get(name).copied().unwrap_or(0) != 1 {
            return Err(self.err(
                n,
                format!(
                    "the float result `{name}` is read by several nodes before it is \
                     quantised; half-gen requantises each layer once"
                ),
            ));
        }
        match self.vals.remove(name) {
            Some(Val::Pending(p)) => Ok(p),
            _ => Err(self.err(n, format!("`{name}` is not a float result"))),
        }
    }

    /// Per-channel requantisation of layer `name` for onnxruntime's float32 multipliers
    /// `factors` (one, or one per channel) and output levels `out`: on a layer with known
    /// accumulator ranges, the integer form closest to onnxruntime's requantisation on them
    /// (`num::fit_fixed_point`: equal at every reachable accumulator where such a form
    /// exists), the accumulators where it differs counted in a note, or with `--exact`
    /// thresholds equal to it everywhere (`num::ort_thresholds`); else the nearest 21-bit
    /// scale. `None` when a factor is not positive.
    fn channel_scales(
        &mut self,
        name: &str,
        factors: &[f64],
        ranges: &[(i64, i64)],
        out: (i64, i64),
    ) -> Option<ChannelRq> {
        let union = ranges
            .iter()
            .copied()
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)));
        let (mut inexact, mut missed) = (0, 0u64);
        let mut pairs = Vec::with_capacity(factors.len());
        for (c, f) in factors.iter().enumerate() {
            let range = if factors.len() == 1 {
                union
            } else {
                ranges.get(c).copied()
            };
            match range.and_then(|r| num::fit_fixed_point(*f as f32, r, out)) {
                Some(fit) => {
                    inexact += usize::from(fit.missed > 0);
                    missed = missed.saturating_add(fit.missed);
                    pairs.push((fit.scale, fit.shift));
                }
                None => pairs.push(common::fixed_point(*f)?),
            }
        }
        if missed > 0
            && self.exact
            && let Some(t) = self.exact_thresholds(name, factors, ranges, out, missed)
        {
            return Some(t);
        }
        if inexact > 0 {
            self.e.notes.push(format!(
                "{name}: for {inexact} of {} requantisation factors no integer scale below \
                 2^22 gives onnxruntime's float32 rounding at every reachable accumulator (it \
                 rounds exact ties to even); the closest one differs from it by one step at \
                 {missed} accumulator values in all{}",
                factors.len(),
                if self.exact {
                    ""
                } else {
                    " (--exact: thresholds instead)"
                }
            ));
        }
        let (scale, shift) = pairs.into_iter().unzip();
        Some(ChannelRq::Linear(scale, shift))
    }

    /// `--exact`: layer `name` requantised by onnxruntime's own function as thresholds, one
    /// row per channel of `ranges`, noted with the `missed` accumulators it avoids; `None` when
    /// a channel has none (more than 256 output levels).
    fn exact_thresholds(
        &mut self,
        name: &str,
        factors: &[f64],
        ranges: &[(i64, i64)],
        out: (i64, i64),
        missed: u64,
    ) -> Option<ChannelRq> {
        let mut table = Vec::new();
        for (c, range) in ranges.iter().enumerate() {
            let f = factors.get(c).or(factors.first())?;
            table.extend(num::ort_thresholds(*f as f32, *range, out)?);
        }
        let count = usize::try_from(out.1 - out.0).ok()?;
        self.e.notes.push(format!(
            "{name}: requantised by thresholds ({count} per channel, onnxruntime's rounding at \
             every reachable accumulator, as --exact asks): its closest integer scales differ \
             from onnxruntime at {missed} accumulator values"
        ));
        Some(ChannelRq::Thresholds {
            bias: out.0,
            count,
            table,
        })
    }

    /// Completes a pending layer with its requantisation to scale `s_y` and type `ty`.
    pub(super) fn finalize(
        &mut self,
        n: &'a OnnxNode,
        p: Pending,
        (s_y, ty): (f64, ElemType),
    ) -> Result<Act> {
        let out = self.out_name(n)?;
        let mut factors: Vec<f64> = p
            .acc_scale
            .iter()
            .map(|a| num::ratio_f32(*a, s_y))
            .collect();
        if factors.windows(2).all(|w| w[0] == w[1]) && p.kind == Kind::PerChannel {
            factors.truncate(1);
        }
        let name = p.layer.name.clone();
        let exact = p.layer.op == "concat"
            && factors.iter().all(|f| *f == 1.0)
            && p.in_types.iter().all(|t| *t == ty);
        let mut layer: LayerOut = p.layer;
        if p.relu {
            layer = layer.key("activation", "relu");
        }
        let mut arrays = p.arrays;
        if !exact {
            let rq = match p.kind {
                Kind::PerInput => {
                    num::shared_fixed_point(&factors).map(|(s, sh)| ChannelRq::Linear(s, vec![sh]))
                }
                Kind::PerChannel => {
                    let lo = if p.relu { ty.min().max(0) } else { ty.min() };
                    self.channel_scales(&name, &factors, &p.acc_range, (lo, ty.max()))
                }
            };
            layer = layer.key(
                "output",
                format!("{{bits: {}, signed: {}}}", ty.bits, ty.signed),
            );
            match rq {
                Some(ChannelRq::Linear(scale, shift)) => {
                    arrays.push(("scale", vec![scale.len() as u64], scale));
                    arrays.push(("shift", vec![shift.len() as u64], shift));
                }
                Some(ChannelRq::Thresholds { bias, count, table }) => {
                    layer = layer.key("requant", format!("{{thresholds: {count}, bias: {bias}}}"));
                    let rows = (table.len() / count.max(1)) as u64;
                    arrays.push(("thresholds", vec![rows, count as u64], table));
                }
                None => {
                    return Err(self.err(
                        n,
                        format!("a requantisation factor of {name}, {factors:?}, is not positive"),
                    ));
                }
            }
        }
        for (suffix, shape, values) in arrays {
            self.e.array(format!("{name}.{suffix}"), shape, values);
        }
        self.e.layers.push(layer);
        Ok(Act {
            t: IntTensor {
                src: name,
                dims: p.dims,
                ty,
                scale: s_y,
            },
            flat: p.flat,
            chain: vec![out.to_string()],
        })
    }

    /// `Relu`: the producing layer's `activation: relu`.
    pub(super) fn relu(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let out = self.out_name(n)?;
        if let Val::Pending(_) = self.val(n, 0)? {
            let mut p = self.take_pending(n, 0)?;
            p.relu = true;
            self.fate(i, format!("activation relu of {}", p.layer.name));
            return self.set(n, Val::Pending(p));
        }
        let (a, real) = self.act(n, 0)?;
        if let Some(v) = a
            .chain
            .iter()
            .find(|v| self.uses.get(v.as_str()) != Some(&1))
        {
            return Err(self.err(
                n,
                format!(
                    "the output of {} reaches this Relu through `{v}`, which other nodes read \
                     too: half-gen applies relu inside the producing layer",
                    a.t.src
                ),
            ));
        }
        match self.e.layer_mut(&a.t.src) {
            Some(layer) if layer.op != "maxpool" => layer.set("activation", "relu"),
            _ => {
                return Err(self.err(n, format!("a Relu after {} is not supported", a.t.src)));
            }
        }
        self.fate(i, format!("activation relu of {}", a.t.src));
        let a = a.then(out);
        self.set(n, if real { Val::Real(a) } else { Val::Int(a) })
    }

    /// `Flatten` (axis 1) and a `Reshape` that flattens or keeps the shape.
    pub(super) fn flatten(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let dims = match self.val(n, 0)? {
            Val::Int(a) | Val::Real(a) => a.t.dims.clone(),
            Val::Pending(p) => p.dims.clone(),
            other => {
                return Err(self.err(n, format!("reshapes {}", other.describe())));
            }
        };
        let elems = dims.iter().fold(1u64, |a, d| a.saturating_mul(*d));
        let keep = if n.op_type == "Flatten" {
            if n.int("axis").unwrap_or(1) != 1 {
                return Err(self.err(n, "half-gen imports Flatten with axis 1 only"));
            }
            false
        } else {
            let shape = self.constant(n, 1)?.to_i64().unwrap_or_default();
            match num::reshape_target(&shape, &dims) {
                Some(t) if t == dims => true,
                Some(t) if t == [elems] => false,
                _ => {
                    return Err(self.err(
                        n,
                        format!(
                            "reshapes {dims:?} to {shape:?}: half-gen imports a Reshape that \
                             only flattens a map to a vector"
                        ),
                    ));
                }
            }
        };
        let out = self.out_name(n)?;
        let (new, flat) = match dims.as_slice() {
            _ if keep => (dims.clone(), None),
            [_, h, w] if h.saturating_mul(*w) > 1 => (vec![elems], Some(dims.clone())),
            _ => (vec![elems], None),
        };
        let v = match self.val(n, 0)?.clone() {
            Val::Pending(_) => {
                let mut p = self.take_pending(n, 0)?;
                if !keep {
                    (p.dims, p.flat) = (new, flat.or(p.flat));
                }
                self.fate(
                    i,
                    format!("folded: reshapes the output of {}", p.layer.name),
                );
                Val::Pending(p)
            }
            Val::Int(a) | Val::Real(a) => {
                let real = matches!(self.val(n, 0)?, Val::Real(_));
                let mut a = a.then(out);
                if !keep {
                    (a.t.dims, a.flat) = (new, flat.or(a.flat));
                }
                self.fate(i, format!("folded: reshapes the output of {}", a.t.src));
                if real { Val::Real(a) } else { Val::Int(a) }
            }
            _ => return Err(self.err(n, "cannot reshape this value")),
        };
        self.set(n, v)
    }

    /// `MaxPool` on integers or on their dequantised values (the same maximum).
    pub(super) fn maxpool(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let (x, real) = self.act(n, 0)?;
        let out = self.out_name(n)?;
        let a = super::ops::maxpool(self, n, &x, out)?;
        self.fate(i, format!("maxpool {}", a.t.src));
        self.set(n, if real { Val::Real(a) } else { Val::Int(a) })
    }
}
