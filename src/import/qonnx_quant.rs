//! The QONNX walk's quantizers: `Quant` and `BipolarQuant` of weights (quantized constants),
//! of the input (its type) and of a layer's accumulator (its requantisation),
//! FINN's `MultiThreshold` and qonnx's `Trunc`.

use super::chain::{Quantizer, Rounding};
use super::common::{self, IntTensor};
use super::onnx::{OnnxNode, OnnxTensor};
use super::qonnx::{IntVal, QConst, Val, Walk};
use crate::error::Result;
use crate::format::ElemType;

impl Walk<'_> {
    /// A quantized constant (weights) from a `Quant` of an initializer.
    fn quant_weight(&mut self, node: &OnnxNode, x: &OnnxTensor, q: &UniformSpec) -> Result<QConst> {
        if q.zero != 0.0 {
            return Err(self.err(node, "weights with a non-zero zero point are not supported"));
        }
        if !q.signed {
            return Err(self.err(
                node,
                "unsigned weights are not supported (half-gen's are signed)",
            ));
        }
        let per = x.dims.first().copied().unwrap_or(1);
        let scale: Vec<f64> = q.scale.iter().map(|&s| f64::from(s)).collect();
        self.check_weight_scale(node, per, scale.len())?;
        let vals = x.to_f64();
        let inner = vals.len() / per.max(1);
        let ints = vals
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let s = if q.scale.len() == 1 {
                    q.scale[0]
                } else {
                    q.scale[i / inner.max(1)]
                };
                (q.mode.apply(v as f32 / s + q.zero) as i64).clamp(q.lo, q.hi)
            })
            .collect();
        Ok(QConst {
            ints,
            dims: x.dims.clone(),
            scale,
            bits: q.bits,
        })
    }

    /// A weight scale must be one value, or one per output channel laid along the first axis
    /// (`[C]`, `[C, 1, 1, 1]`): its dims are checked, not only its length.
    fn check_weight_scale(&self, node: &OnnxNode, per: usize, len: usize) -> Result<()> {
        let dims = &self.constant(node, 1)?.dims;
        let along_first = dims.first() == Some(&per) && dims.iter().skip(1).all(|&d| d == 1);
        if len == 1 || len == per && along_first {
            Ok(())
        } else {
            Err(self.err(
                node,
                format!("the weight scale of shape {dims:?} must be one value or one per output channel along the first axis"),
            ))
        }
    }

    pub(super) fn quant(&mut self, node: &OnnxNode) -> Result<()> {
        let q = self.uniform_spec(node)?;
        let src = node.input(0).unwrap_or_default();
        if let Some(x) = self.m.graph.constant(src) {
            let x = x.clone();
            let c = self.quant_weight(node, &x, &q)?;
            self.e.fate(node, format!("{}-bit weights", q.bits));
            self.set(node, Val::Weight(c));
            return Ok(());
        }
        match self.val(node, 0)? {
            Val::Int(v) if v.t.src.is_empty() => self.quant_input(node, v, &q),
            Val::Int(v) => self.requantize_stream(node, v, &q),
            Val::Acc(_) if q.zero != 0.0 => Err(self.err(
                node,
                "a zero point other than 0 on activations is not supported",
            )),
            Val::Acc(p) => {
                let quantizer = Quantizer::Uniform {
                    mode: q.mode,
                    scale: q.scale.clone(),
                    zero: q.zero,
                    lo: q.lo,
                    hi: q.hi,
                };
                let ty = ElemType {
                    bits: q.bits,
                    signed: q.signed,
                };
                self.finish_layer(node, *p, quantizer, ty, q.tensor_scale(self, node)?)
            }
            Val::Weight(_) => Err(self.err(node, "a Quant of quantized weights")),
        }
    }

    fn quant_input(&mut self, node: &OnnxNode, v: IntVal, q: &UniformSpec) -> Result<()> {
        if q.zero != 0.0 {
            return Err(self.err(node, "an input zero point other than 0 is not supported"));
        }
        let scale = q.tensor_scale(self, node)?;
        let ty = ElemType {
            bits: q.bits.max(2),
            signed: q.signed,
        };
        self.check_one_input_quantizer(node)?;
        // The graph input reaches the quantizer multiplied by `v.t.scale` (a `Mul` or `Div` by
        // a constant, 1 without one): one integer step is `scale / v.t.scale` of the input.
        common::set_input(&mut self.e, &v.t.dims, ty, scale / v.t.scale);
        self.e.fate(
            node,
            format!(
                "the input type ({}-bit {})",
                ty.bits,
                if ty.signed { "signed" } else { "unsigned" }
            ),
        );
        let t = IntTensor {
            src: "input".into(),
            ty,
            scale,
            ..v.t
        };
        self.set(node, Val::Int(IntVal { t, flat_from: None }));
        Ok(())
    }

    /// The graph input may be quantized once: a second quantizer would give the same integers
    /// another meaning.
    fn check_one_input_quantizer(&self, node: &OnnxNode) -> Result<()> {
        if self.e.input_type.is_some() {
            return Err(self.err(node, "the input is quantized a second time"));
        }
        Ok(())
    }

    /// A `Quant` of a stream that is already integer: nothing when it keeps every value.
    fn requantize_stream(&mut self, node: &OnnxNode, v: IntVal, q: &UniformSpec) -> Result<()> {
        let scale = q.tensor_scale(self, node)?;
        let keeps =
            scale == v.t.scale && q.zero == 0.0 && q.lo <= v.t.ty.min() && v.t.ty.max() <= q.hi;
        if !keeps {
            return Err(self.err(
                node,
                "a Quant that changes an integer stream (not right after a layer) is not supported",
            ));
        }
        self.e.fate(
            node,
            format!("nothing (`{}` already holds it exactly)", v.t.src),
        );
        self.set(node, Val::Int(v));
        Ok(())
    }

    pub(super) fn bipolar(&mut self, node: &OnnxNode) -> Result<()> {
        let scale = self.floats(node, 1)?;
        let src = node.input(0).unwrap_or_default();
        if scale.is_empty() || scale.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return Err(self.err(node, "the scale must be finite and positive"));
        }
        if let Some(x) = self.m.graph.constant(src) {
            let per = x.dims.first().copied().unwrap_or(1).max(1);
            self.check_weight_scale(node, per, scale.len())?;
            let ints = x
                .to_f64()
                .iter()
                .map(|&v| if v >= 0.0 { 1 } else { -1 })
                .collect();
            let c = QConst {
                ints,
                dims: x.dims.clone(),
                scale: scale.iter().map(|&s| f64::from(s)).collect(),
                bits: 1,
            };
            self.e.fate(node, "bipolar weights");
            self.set(node, Val::Weight(c));
            return Ok(());
        }
        let [s] = scale.as_slice() else {
            return Err(self.err(
                node,
                "a per-channel BipolarQuant scale on activations is not supported",
            ));
        };
        let ty = ElemType {
            bits: 1,
            signed: true,
        };
        match self.val(node, 0)? {
            Val::Int(v) if v.t.src.is_empty() => {
                self.check_one_input_quantizer(node)?;
                common::set_input(&mut self.e, &v.t.dims, ty, f64::from(*s) / v.t.scale);
                self.e.fate(node, "the input type (bipolar)");
                let t = IntTensor {
                    src: "input".into(),
                    ty,
                    scale: f64::from(*s),
                    ..v.t
                };
                self.set(node, Val::Int(IntVal { t, flat_from: None }));
                Ok(())
            }
            Val::Acc(p) => self.finish_layer(node, *p, Quantizer::Bipolar, ty, f64::from(*s)),
            _ => Err(self.err(node, "a BipolarQuant of a stream that is already integer")),
        }
    }

    /// qonnx's `Trunc` (version 1: `x, scale, zeropt, in_bits, out_bits`; version 2: `x,
    /// scale, zeropt, in_bits, out_scale, out_bits`, clipped) of a layer's accumulator.
    pub(super) fn trunc(&mut self, node: &OnnxNode) -> Result<()> {
        let Val::Acc(p) = self.val(node, 0)? else {
            return Err(self.err(node, "a Trunc must follow a layer (an average pool)"));
        };
        let one = |k: usize, what: &str| -> Result<f64> {
            self.constant(node, k)?
                .scalar_f64()
                .ok_or_else(|| self.err(node, format!("the {what} must be one value")))
        };
        let (scale, zero, in_bits) = (
            one(1, "scale")?,
            one(2, "zero point")?,
            one(3, "input bit width")?,
        );
        let v2 = node.inputs.len() >= 6;
        let (out_scale, out_bits) = if v2 {
            (one(4, "output scale")?, one(5, "output bit width")?)
        } else {
            (scale, one(4, "output bit width")?)
        };
        if zero != 0.0 || scale.is_nan() || out_scale.is_nan() || scale <= 0.0 || out_scale <= 0.0 {
            return Err(self.err(node, "a Trunc needs zero point 0 and positive scales"));
        }
        let name = node.string("rounding_mode").unwrap_or("FLOOR");
        let mode = Rounding::parse(name)
            .ok_or_else(|| self.err(node, format!("rounding mode {name} is not a qonnx one")))?;
        let divisor = if v2 {
            (out_scale / scale).log2().round().exp2()
        } else {
            (in_bits - out_bits).exp2()
        };
        if !(1.0..=(1u64 << 40) as f64).contains(&divisor) || !(2.0..=16.0).contains(&out_bits) {
            return Err(self.err(
                node,
                "a Trunc must keep 2..=16 bits and drop none or more (a divisor 2^k, k >= 0)",
            ));
        }
        let (lo, hi) = if v2 {
            let signed = node.int("signed").unwrap_or(1) != 0;
            let narrow = node.int("narrow").unwrap_or(0) != 0;
            let b = out_bits as u32;
            if !(2..=16).contains(&b) {
                return Err(self.err(node, "the output bit width must be in 2..=16"));
            }
            let (lo, hi) = if signed {
                (-(1i64 << (b - 1)), (1i64 << (b - 1)) - 1)
            } else {
                (0, (1i64 << b) - 1)
            };
            (
                lo + i64::from(narrow && signed),
                hi - i64::from(narrow && !signed),
            )
        } else {
            // No clipping: the levels the accumulator's range reaches on any channel.
            let at = |c: usize, acc: i64| {
                (mode.apply(
                    (p.chain.eval(c, acc) / scale as f32).round_ties_even() / divisor as f32,
                )) as i64
            };
            let ends = (0..p.channels.max(1)).flat_map(|c| [at(c, p.acc.0), at(c, p.acc.1)]);
            let (lo, hi) = ends.fold((i64::MAX, i64::MIN), |(l, h), v| (l.min(v), h.max(v)));
            if hi.saturating_sub(lo) > crate::model::MAX_THRESHOLDS {
                return Err(self.err(
                    node,
                    format!(
                        "the Trunc reaches levels {lo}..={hi}: more than {} thresholds",
                        crate::model::MAX_THRESHOLDS
                    ),
                ));
            }
            (lo, hi)
        };
        let q = Quantizer::Trunc {
            scale: scale as f32,
            divisor: divisor as f32,
            mode,
            lo,
            hi,
            clip: v2,
        };
        let ty = ElemType::for_range(lo, hi);
        self.finish_layer(node, *p, q, ty, out_scale)
    }

    pub(super) fn multithreshold(&mut self, node: &OnnxNode) -> Result<()> {
        let t = self.constant(node, 1)?.clone();
        let n = t.dims.last().copied().unwrap_or(0);
        if let Some(l) = node.string("data_layout")
            && l != "NCHW"
            && l != "NC"
        {
            return Err(self.err(
                node,
                format!("data layout {l}: half-gen imports NCHW and NC"),
            ));
        }
        let out_scale = node.float("out_scale").unwrap_or(1.0);
        let out_bias = node.float("out_bias").unwrap_or(0.0);
        let ty = dtype(node.string("out_dtype").unwrap_or(""))
            .ok_or_else(|| self.err(node, "`out_dtype` must be INTn, UINTn or BIPOLAR"))?;
        let bipolar = ty.is_bipolar() && n == 1 && out_scale == 2.0 && out_bias == -1.0;
        if ty.is_bipolar() && !bipolar {
            return Err(self.err(
                node,
                "a BIPOLAR MultiThreshold must have one threshold, out_scale 2 and out_bias -1",
            ));
        }
        if out_bias.abs() > (1 << 20) as f32 {
            return Err(self.err(node, format!("out_bias {out_bias} is beyond 2^20")));
        }
        if !(bipolar || out_scale == 1.0 && out_bias.fract() == 0.0) {
            return Err(self.err(
                node,
                format!("out_scale {out_scale} with out_bias {out_bias}: half-gen's levels step by 1 (bipolar: 2, -1)"),
            ));
        }
        let Val::Acc(p) = self.val(node, 0)? else {
            return Err(self.err(
                node,
                "a MultiThreshold must follow a conv, dense or pool layer",
            ));
        };
        let rows = t.dims.first().copied().unwrap_or(0);
        if t.dims.len() != 2 || n == 0 || (rows != 1 && rows != p.channels) {
            return Err(self.err(
                node,
                format!(
                    "thresholds of shape {:?}: expected [1, N] or [{}, N]",
                    t.dims, p.channels
                ),
            ));
        }
        let mut th: Vec<f32> = t.to_f64().iter().map(|&x| x as f32).collect();
        for row in th.chunks_mut(n.max(1)) {
            row.sort_by(f32::total_cmp);
        }
        let bias = if bipolar { -1 } else { out_bias as i64 };
        let q = Quantizer::Thresholds { t: th, n, bias };
        self.finish_layer(node, *p, q, ty, 1.0)
    }
}

/// A `Quant`'s parameters.
#[derive(Debug, Clone)]
pub struct UniformSpec {
    /// Scale (per channel or one).
    pub scale: Vec<f32>,
    /// Rounding mode.
    pub mode: Rounding,
    /// Zero point.
    pub zero: f32,
    /// Bits.
    pub bits: u32,
    /// Signed.
    pub signed: bool,
    /// Smallest level.
    pub lo: i64,
    /// Largest level.
    pub hi: i64,
}

impl UniformSpec {
    /// The one scale of a quantized activation.
    fn tensor_scale(&self, w: &Walk, node: &OnnxNode) -> Result<f64> {
        match self.scale.as_slice() {
            [s] if *s > 0.0 => Ok(f64::from(*s)),
            [_] => Err(w.err(node, "the scale must be positive")),
            _ => Err(w.err(node, "per-channel activation scales are not supported")),
        }
    }
}

impl Walk<'_> {
    pub(super) fn uniform_spec(&self, node: &OnnxNode) -> Result<UniformSpec> {
        let scale = self.floats(node, 1)?;
        let zero = self
            .constant(node, 2)?
            .scalar_f64()
            .ok_or_else(|| self.err(node, "the zero point must be one value"))?
            as f32;
        let bits = self
            .constant(node, 3)?
            .scalar_f64()
            .ok_or_else(|| self.err(node, "the bit width must be one value"))?;
        if bits.fract() != 0.0 || !(2.0..=16.0).contains(&bits) {
            return Err(self.err(node, format!("a {bits}-bit Quant: half-gen imports integer bit widths 2..=16 (1: BipolarQuant)")));
        }
        let name = node.string("rounding_mode").unwrap_or("ROUND");
        let mode = Rounding::parse(name)
            .ok_or_else(|| self.err(node, format!("rounding mode {name} is not a qonnx one")))?;
        let bits = bits as u32;
        let signed = node.int("signed").unwrap_or(1) != 0;
        let narrow = node.int("narrow").unwrap_or(0) != 0;
        let (mut lo, mut hi) = if signed {
            (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
        } else {
            (0, (1i64 << bits) - 1)
        };
        if narrow {
            if signed {
                lo += 1;
            } else {
                hi -= 1;
            }
        }
        if scale.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(self.err(node, "the scale must be finite and positive"));
        }
        Ok(UniformSpec {
            scale,
            mode,
            zero,
            bits,
            signed,
            lo,
            hi,
        })
    }
}

/// The element type of a FINN data type name (`INT2`, `UINT4`, `BIPOLAR`, `BINARY`).
fn dtype(s: &str) -> Option<ElemType> {
    if s == "BIPOLAR" {
        return Some(ElemType {
            bits: 1,
            signed: true,
        });
    }
    if s == "BINARY" {
        return Some(ElemType {
            bits: 2,
            signed: false,
        });
    }
    let (signed, digits) = if let Some(d) = s.strip_prefix("UINT") {
        (false, d)
    } else {
        (true, s.strip_prefix("INT")?)
    };
    let bits: u32 = digits.parse().ok()?;
    (2..=16)
        .contains(&bits)
        .then_some(ElemType { bits, signed })
}
