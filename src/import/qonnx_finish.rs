//! The end of a pending QONNX layer: thresholds or an exact integer scale when its quantizer
//! is met ([`Walk::finish_layer`]), an add's requantisation, and a plain accumulator when no
//! quantizer follows ([`Walk::materialize`]).

use super::chain::{self, Chain, Quantizer, Rounding, Step};
use super::common::{self, IntTensor};
use super::onnx::OnnxNode;
use super::qonnx::{IntVal, Pending, Val, Walk};
use crate::error::Result;
use crate::format::ElemType;

fn list(v: &[i64]) -> String {
    let s: Vec<String> = v.iter().map(i64::to_string).collect();
    format!("[{}]", s.join(", "))
}

impl Walk<'_> {
    /// Writes pending layer `p` with the quantizer of `node`: thresholds, or a plain integer
    /// scale when the level is an exact integer multiple of the accumulator (no rounding).
    pub(super) fn finish_layer(
        &mut self,
        node: &OnnxNode,
        mut p: Pending,
        q: Quantizer,
        ty: ElemType,
        scale: f64,
    ) -> Result<()> {
        let (lo, hi) = q.range();
        let bias = lo;
        if p.layer.op == "add" {
            return self.finish_add(node, p, &q, ty, scale);
        }
        if let Some(m) = exact_factor(&p.chain, &q, p.channels, ty, p.acc) {
            return self.finish_linear(node, p, m, ty, scale);
        }
        let flip: Vec<bool> = (0..p.channels).map(|c| p.chain.direction(c) < 0).collect();
        if flip.iter().any(|&f| f) {
            self.negate(node, &mut p, &flip)?;
        }
        let count = q.count();
        if count > crate::model::MAX_THRESHOLDS as usize {
            return Err(self.err(
                node,
                format!(
                    "{count} levels: thresholds are limited to {}",
                    crate::model::MAX_THRESHOLDS
                ),
            ));
        }
        let t = chain::thresholds(&p.chain, &q, p.channels, p.acc.0, p.acc.1);
        let name = p.layer.name.clone();
        let out_ty = if ty.is_bipolar() {
            ty
        } else {
            ElemType::for_range(lo.min(ty.min()), hi.max(ty.max()))
        };
        let mut layer = p.layer.key(
            "output",
            format!(
                "{{bits: {}, signed: {}}}",
                out_ty.bits,
                out_ty.signed || out_ty.bits == 1
            ),
        );
        layer = layer.key("requant", format!("{{thresholds: {count}, bias: {bias}}}"));
        self.push_weights(&name, &p.weights);
        self.e.array(
            format!("{name}.thresholds"),
            vec![p.channels as u64, count as u64],
            t,
        );
        let fate = format!("thresholds of `{name}` ({count} per channel)");
        self.emit(node, layer, fate, p.dims.clone(), out_ty, scale)
    }

    /// Writes pending layer `p` requantised by the integer factor `m`, exactly: the level is
    /// `clip(acc * m)` (with the chain's integer bias, and its relu).
    fn finish_linear(
        &mut self,
        node: &OnnxNode,
        p: Pending,
        m: (i64, Vec<i64>, bool),
        ty: ElemType,
        scale: f64,
    ) -> Result<()> {
        let (factor, bias, relu) = m;
        let name = p.layer.name.clone();
        let mut layer = p
            .layer
            .key(
                "output",
                format!("{{bits: {}, signed: {}}}", ty.bits, ty.signed),
            )
            .key("requant", format!("{{scale: {factor}, shift: 0}}"));
        if relu {
            layer = layer.key("activation", "relu");
        }
        if bias.iter().any(|&b| b != 0) {
            layer.set("bias", true);
            self.e
                .array(format!("{name}.bias"), vec![p.channels as u64], bias);
        }
        self.push_weights(&name, &p.weights);
        let fate = format!("requantisation of `{name}` (scale {factor}, exact)");
        self.emit(node, layer, fate, p.dims, ty, scale)
    }

    /// Writes `layer` as what `node` became (`fate`) and makes its output an integer stream
    /// of `dims`, `ty` and `scale`.
    fn emit(
        &mut self,
        node: &OnnxNode,
        layer: super::emit::LayerOut,
        fate: String,
        dims: Vec<u64>,
        ty: ElemType,
        scale: f64,
    ) -> Result<()> {
        let name = layer.name.clone();
        if self.e.layers.iter().any(|l| l.name == name) {
            return Err(self.err(
                node,
                format!("`{name}`'s unquantized output is read by a second quantizer"),
            ));
        }
        if let Some(out) = node.outputs.first() {
            self.layer_outputs.insert(out.clone(), name.clone());
        }
        self.e.layers.push(layer);
        self.e.fate(node, fate);
        let t = IntTensor {
            src: name,
            dims,
            ty,
            scale,
        };
        self.set(node, Val::Int(IntVal { t, flat_from: None }));
        Ok(())
    }

    fn push_weights(&mut self, name: &str, weights: &Option<(Vec<u64>, Vec<i64>)>) {
        if let Some((shape, w)) = weights {
            self.e
                .array(format!("{name}.weight"), shape.clone(), w.clone());
        }
    }

    /// Negates the weights of the channels in `flip` (their accumulator falls as the value
    /// grows), widening the weight type when a negated weight leaves it.
    fn negate(&mut self, node: &OnnxNode, p: &mut Pending, flip: &[bool]) -> Result<()> {
        let Some((_, w)) = &mut p.weights else {
            return Err(self.err(node, format!("`{}` would need its accumulator negated (a falling scale), which only a layer with weights allows", p.layer.name)));
        };
        let c = p.channels.max(1);
        for (i, v) in w.iter_mut().enumerate() {
            if flip[i % c] {
                *v = -*v;
            }
        }
        p.chain.negate(c, flip);
        if let Some(wt) = p.wt
            && !wt.is_bipolar()
            && w.iter().any(|&v| v < wt.min() || v > wt.max())
        {
            p.layer.set("weight_bits", wt.bits + 1);
        }
        Ok(())
    }

    /// An add's requantisation: exact (an integer factor) or, otherwise, the closest scale
    /// and shift (rounding half up where the model rounds half to even: noted).
    fn finish_add(
        &mut self,
        node: &OnnxNode,
        p: Pending,
        q: &Quantizer,
        ty: ElemType,
        scale: f64,
    ) -> Result<()> {
        let Quantizer::Uniform {
            scale: qs,
            zero,
            mode,
            lo,
            hi,
        } = q
        else {
            return Err(self.err(node, "an Add's output must be quantized by Quant"));
        };
        if *zero != 0.0 || qs.len() != 1 || p.chain.steps.iter().any(|s| *s != Step::Relu) {
            return Err(self.err(
                node,
                "an Add's quantizer must have one scale, zero point 0 and only a Relu before it",
            ));
        }
        if (*lo, *hi) != (ty.min(), ty.max()) {
            return Err(self.err(
                node,
                "a narrow-range quantizer after an Add is not supported",
            ));
        }
        let f = p.chain.s0[0] / f64::from(qs[0]);
        let (m, shift) = if f.fract() == 0.0 && f >= 1.0 && f < (1 << 20) as f64 {
            (f as i64, 0)
        } else if *mode != Rounding::HalfEven {
            return Err(self.err(
                node,
                format!("an Add requantised by the factor {f} with rounding {mode:?}: half-gen's add rounds half up (an integer factor, or ROUND, is needed)"),
            ));
        } else {
            let Some((m, s)) = common::fixed_point(f) else {
                return Err(self.err(node, "the Add's requantisation factor is not positive"));
            };
            self.e.notes.push(format!(
                "`{}`: the add's factor {f} is requantised as {m} / 2^{s}, rounding half up where the model rounds half to even",
                p.layer.name
            ));
            (m, s)
        };
        let name = p.layer.name.clone();
        let scales: Vec<i64> = p.input_scales.iter().map(|k| k * m).collect();
        let mut layer = p
            .layer
            .key(
                "output",
                format!("{{bits: {}, signed: {}}}", ty.bits, ty.signed),
            )
            .key(
                "requant",
                format!("{{scale: {}, shift: {shift}}}", list(&scales)),
            );
        if p.chain.steps.contains(&Step::Relu) {
            layer = layer.key("activation", "relu");
        }
        let fate = format!("requantisation of `{name}`");
        self.emit(node, layer, fate, p.dims, ty, scale)
    }

    /// Writes pending layer `p` without a quantizer: its accumulator is the output, which
    /// must stay an integer multiple of one step (a float bias a multiple of it).
    pub(super) fn materialize(&mut self, p: Pending, node: Option<&OnnxNode>) -> Result<IntVal> {
        let why = || {
            format!(
                "the output of `{}` is not on an integer grid: a Quant must follow it",
                p.layer.name
            )
        };
        let Some((step, bias)) = p.chain.as_integer(p.channels) else {
            return Err(match node {
                Some(n) => self.err(n, why()),
                None => self.m.error(None, why()),
            });
        };
        let name = p.layer.name.clone();
        let mut layer = p.layer.clone();
        if bias.iter().any(|&b| b != 0) {
            if p.weights.is_none() {
                return Err(self.m.error(None, why()));
            }
            layer.set("bias", true);
            self.e
                .array(format!("{name}.bias"), vec![p.channels as u64], bias);
        }
        let ks = &p.input_scales;
        if !ks.is_empty() && ks.iter().any(|&k| k != 1) {
            let ty = ElemType::for_range(p.acc.0, p.acc.1);
            layer = layer
                .key(
                    "output",
                    format!("{{bits: {}, signed: {}}}", ty.bits, ty.signed),
                )
                .key("requant", format!("{{scale: {}, shift: 0}}", list(ks)));
        }
        self.push_weights(&name, &p.weights);
        self.e.layers.push(layer);
        let ty = ElemType::for_range(p.acc.0, p.acc.1);
        Ok(IntVal {
            t: IntTensor {
                src: name,
                dims: p.dims,
                ty,
                scale: step,
            },
            flat_from: None,
        })
    }
}

/// The integer factor `m` (with the chain's integer bias per channel and whether it ends in a
/// relu) when the quantizer's level is exactly `clip(relu(acc + bias) * m)`: a uniform
/// quantizer of one scale, zero point 0 and the output type's whole range (not narrow) after a
/// chain that keeps the value an integer multiple of a step which is `m` quantizer steps. The
/// executor computes that in float32: a rounding to nearest lands on the integer while the
/// value stays below 2^22 steps; a directed rounding (floor, ceil, ...) only when every factor
/// is a power of two, so nothing is rounded at all.
fn exact_factor(
    chain: &Chain,
    q: &Quantizer,
    channels: usize,
    ty: ElemType,
    acc: (i64, i64),
) -> Option<(i64, Vec<i64>, bool)> {
    let Quantizer::Uniform {
        scale,
        zero,
        mode,
        lo,
        hi,
    } = q
    else {
        return None;
    };
    if *zero != 0.0 || scale.len() != 1 || (*lo, *hi) != (ty.min(), ty.max()) {
        return None;
    }
    let relu = chain.steps.last() == Some(&Step::Relu);
    let mut plain = chain.clone();
    if relu {
        plain.steps.pop();
    }
    if plain.steps.contains(&Step::Relu) {
        return None;
    }
    let (step, bias) = plain.as_integer(channels)?;
    let m = step / f64::from(scale[0]);
    if m.fract() != 0.0 || !(1.0..(1u64 << 21) as f64).contains(&m) {
        return None;
    }
    let reach = acc.0.unsigned_abs().max(acc.1.unsigned_abs()) as f64 * m;
    let nearest = matches!(
        mode,
        Rounding::HalfEven | Rounding::HalfUp | Rounding::HalfDown
    );
    let pow2 = |x: f64| x > 0.0 && x.log2().fract() == 0.0;
    let all_pow2 = plain.s0.iter().all(|&s| pow2(s))
        && pow2(f64::from(scale[0]))
        && plain.steps.iter().all(|s| match s {
            Step::Mul(v) | Step::Div(v) => v.iter().all(|&x| pow2(f64::from(x))),
            _ => true,
        });
    let exact = reach < (1u64 << 22) as f64 && (nearest || all_pow2);
    exact.then_some((m as i64, bias, relu))
}
