//! QONNX import: the graphs Brevitas and qonnx write (`Quant`, `BipolarQuant` and FINN's
//! `MultiThreshold` in the domain `qonnx.custom_op.general`, standard ONNX around them).
//!
//! The walk follows the nodes in file order and keeps, for every value, what it is:
//! - an integer stream half-gen computes ([`Val::Int`]: a layer's output or the input),
//! - a layer whose accumulator is still on its way to a quantizer ([`Val::Acc`]: the layer is
//!   written when the quantizer is met, with thresholds derived by [`super::chain`], or as a
//!   plain accumulator when the value stays an integer multiple of one step),
//! - a quantized constant ([`Val::Weight`]: integers and their scale).
//!
//! Anything else stops the import with the node, its operator and why (docs/import.md).

use super::Options;
use super::chain::{Chain, Quantizer, Step};
use super::common::{self, IntTensor, Names};
use super::emit::{Emitted, LayerOut};
use super::onnx::{OnnxModel, OnnxNode, OnnxTensor};
use crate::error::Result;
use crate::format::ElemType;
use std::collections::BTreeMap;

/// The domains of QONNX's and FINN's custom operators.
pub const DOMAINS: [&str; 3] = [
    "qonnx.custom_op.general",
    "finn.custom_op.general",
    "onnx.brevitas",
];

/// An integer stream, and the `[C, H, W]` map it was flattened from (a dense layer reading
/// it reorders its weight rows).
#[derive(Debug, Clone)]
pub struct IntVal {
    /// The stream.
    pub t: IntTensor,
    /// The map's dims before an ONNX `Flatten`.
    pub flat_from: Option<Vec<u64>>,
}

/// A quantized constant: integers (row-major, the initializer's dims) and their scale.
#[derive(Debug, Clone)]
pub struct QConst {
    /// The integers.
    pub ints: Vec<i64>,
    /// The dims.
    pub dims: Vec<usize>,
    /// Scale per output channel (dim 0), or one.
    pub scale: Vec<f64>,
    /// Bits (1: bipolar).
    pub bits: u32,
}

/// A layer whose accumulator has not met its quantizer yet.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The layer (keys so far).
    pub layer: LayerOut,
    /// Its weights in half-gen's layout (output channel last), when it has any.
    pub weights: Option<(Vec<u64>, Vec<i64>)>,
    /// Its weight type.
    pub wt: Option<ElemType>,
    /// The real value of its accumulator, as the model computes it.
    pub chain: Chain,
    /// Output channels.
    pub channels: usize,
    /// Output dims (`[C, H, W]` or `[N]`).
    pub dims: Vec<u64>,
    /// The accumulator's range.
    pub acc: (i64, i64),
    /// An add's integer input scales (`a * ka + b * kb`); empty for other layers.
    pub input_scales: Vec<i64>,
}

/// What a value is.
#[derive(Debug, Clone)]
pub enum Val {
    /// An integer stream.
    Int(IntVal),
    /// A layer on its way to a quantizer.
    Acc(Box<Pending>),
    /// A quantized constant.
    Weight(QConst),
}

/// The walk's state.
pub struct Walk<'m> {
    /// The model.
    pub m: &'m OnnxModel,
    /// What it became.
    pub e: Emitted,
    /// Layer names.
    pub names: Names,
    /// Every value met so far.
    pub vals: BTreeMap<String, Val>,
    /// Readers of each value.
    pub uses: BTreeMap<String, usize>,
}

/// True when the model holds QONNX or FINN quantizers.
pub fn is_qonnx(model: &OnnxModel) -> bool {
    model.graph.nodes.iter().any(|n| {
        DOMAINS.contains(&n.domain.as_str())
            || matches!(
                n.op_type.as_str(),
                "Quant" | "BipolarQuant" | "MultiThreshold" | "Trunc"
            )
    })
}

/// Imports a QONNX model as model `name`.
pub fn import(model: &OnnxModel, opts: &Options, name: &str) -> Result<Emitted> {
    let (input, dims) = common::input_dims(model, opts.input_shape.as_deref())?;
    let mut w = Walk {
        m: model,
        e: Emitted {
            name: name.to_string(),
            ..Default::default()
        },
        names: Names::default(),
        vals: BTreeMap::new(),
        uses: common::consumers(model),
    };
    w.e.input_shape = common::hwc(&dims);
    w.vals.insert(
        input.clone(),
        Val::Int(IntVal {
            t: IntTensor {
                src: String::new(),
                dims,
                ty: ElemType {
                    bits: 8,
                    signed: true,
                },
                scale: 1.0,
            },
            flat_from: None,
        }),
    );
    for node in &model.graph.nodes {
        w.node(node)?;
    }
    w.finish()
}

impl Walk<'_> {
    /// An error about `node`.
    pub fn err(&self, node: &OnnxNode, why: impl Into<String>) -> crate::Error {
        self.m.error(Some(node), why)
    }

    /// The value of input `k` of `node`.
    pub fn val(&self, node: &OnnxNode, k: usize) -> Result<Val> {
        let name = node
            .input(k)
            .ok_or_else(|| self.err(node, format!("input {k} is missing")))?;
        if let Some(v) = self.vals.get(name) {
            return Ok(v.clone());
        }
        Err(self.err(
            node,
            format!("input `{name}` is not something half-gen computes (a float tensor or an unsupported producer)"),
        ))
    }

    /// Constant input `k` of `node`.
    pub fn constant(&self, node: &OnnxNode, k: usize) -> Result<&OnnxTensor> {
        node.input(k)
            .and_then(|n| self.m.graph.constant(n))
            .ok_or_else(|| self.err(node, format!("input {k} must be a constant")))
    }

    /// Constant input `k` as float32 values.
    pub fn floats(&self, node: &OnnxNode, k: usize) -> Result<Vec<f32>> {
        Ok(self
            .constant(node, k)?
            .to_f64()
            .iter()
            .map(|&x| x as f32)
            .collect())
    }

    /// Sets output 0 of `node`.
    pub fn set(&mut self, node: &OnnxNode, v: Val) {
        if let Some(o) = node.outputs.first() {
            self.vals.insert(o.clone(), v);
        }
    }

    fn node(&mut self, node: &OnnxNode) -> Result<()> {
        match node.op_type.as_str() {
            "Quant" => self.quant(node),
            "BipolarQuant" => self.bipolar(node),
            "MultiThreshold" => self.multithreshold(node),
            "Conv" => self.conv(node),
            "MatMul" | "Gemm" => self.dense(node),
            "BatchNormalization" => self.batchnorm(node),
            "Relu" => self.relu(node),
            "Mul" | "Div" => self.scale_by(node),
            "Add" => self.add(node),
            "MaxPool" => self.maxpool(node),
            "AveragePool" | "GlobalAveragePool" => self.avgpool(node),
            "Concat" => self.concat(node),
            "Flatten" | "Reshape" => self.flatten(node),
            "Identity" | "Dropout" => {
                let v = self.val(node, 0)?;
                self.e.fate(node, "nothing (passes its input on)");
                self.set(node, v);
                Ok(())
            }
            "Transpose" => self.transpose(node),
            "Trunc" => Err(self.err(
                node,
                "Trunc is not supported yet: export the average pool with a Quant after it",
            )),
            other => Err(self.err(node, format!("unsupported operator {other}"))),
        }
    }

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
        if scale.len() != 1 && scale.len() != per {
            return Err(self.err(
                node,
                "the weight scale must be one or one per output channel",
            ));
        }
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
                ((v as f32 / s + q.zero).round_ties_even() as i64).clamp(q.lo, q.hi)
            })
            .collect();
        Ok(QConst {
            ints,
            dims: x.dims.clone(),
            scale,
            bits: q.bits,
        })
    }

    fn quant(&mut self, node: &OnnxNode) -> Result<()> {
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
            Val::Acc(p) => {
                let quantizer = Quantizer::Uniform {
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
        common::set_input(&mut self.e, &v.t.dims, ty, scale);
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

    fn bipolar(&mut self, node: &OnnxNode) -> Result<()> {
        let scale = self.floats(node, 1)?;
        let src = node.input(0).unwrap_or_default();
        if let Some(x) = self.m.graph.constant(src) {
            let per = x.dims.first().copied().unwrap_or(1).max(1);
            let ints = x
                .to_f64()
                .iter()
                .map(|&v| if v >= 0.0 { 1 } else { -1 })
                .collect();
            let c = QConst {
                ints,
                dims: x.dims.clone(),
                scale: if scale.len() == per {
                    scale.iter().map(|&s| f64::from(s)).collect()
                } else {
                    vec![f64::from(scale[0])]
                },
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
                common::set_input(&mut self.e, &v.t.dims, ty, f64::from(*s));
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

    fn multithreshold(&mut self, node: &OnnxNode) -> Result<()> {
        let t = self.constant(node, 1)?.clone();
        let n = t.dims.last().copied().unwrap_or(0);
        let out_scale = node.float("out_scale").unwrap_or(1.0);
        let out_bias = node.float("out_bias").unwrap_or(0.0);
        let ty = dtype(node.string("out_dtype").unwrap_or(""))
            .ok_or_else(|| self.err(node, "`out_dtype` must be INTn, UINTn or BIPOLAR"))?;
        let bipolar = ty.is_bipolar() && n == 1 && out_scale == 2.0 && out_bias == -1.0;
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
        let mut th: Vec<f32> = t.to_f64().iter().map(|&x| x as f32).collect();
        for row in th.chunks_mut(n.max(1)) {
            row.sort_by(f32::total_cmp);
        }
        let bias = if bipolar { -1 } else { out_bias as i64 };
        let q = Quantizer::Thresholds { t: th, n, bias };
        self.finish_layer(node, *p, q, ty, 1.0)
    }

    fn transpose(&mut self, node: &OnnxNode) -> Result<()> {
        let v = self.val(node, 0)?;
        let trivial = matches!(&v, Val::Int(i) if i.t.dims.iter().filter(|&&d| d > 1).count() <= 1);
        if !trivial {
            return Err(self.err(
                node,
                "a Transpose that changes the order of the elements is not supported",
            ));
        }
        self.e.fate(node, "nothing (a layout change of a vector)");
        self.set(node, v);
        Ok(())
    }

    fn flatten(&mut self, node: &OnnxNode) -> Result<()> {
        let Val::Int(v) = self.val(node, 0)? else {
            return Err(self.err(
                node,
                "a Flatten or Reshape of a value that is not an integer stream",
            ));
        };
        if node.op_type == "Reshape" {
            let shape = self.constant(node, 1)?.to_i64().unwrap_or_default();
            let flat =
                matches!(shape.as_slice(), [1 | -1, n] if *n == -1 || *n as u64 == v.t.elems());
            if !flat {
                return Err(self.err(node, format!("a Reshape to {shape:?} is not a flatten")));
            }
        } else if node.int("axis").unwrap_or(1) != 1 {
            return Err(self.err(node, "a Flatten with an axis other than 1"));
        }
        self.e.fate(
            node,
            "nothing (half-gen's dense layers flatten their input)",
        );
        let from = if v.t.dims.len() == 3 {
            Some(v.t.dims.clone())
        } else {
            v.flat_from.clone()
        };
        let t = IntTensor {
            dims: vec![v.t.elems()],
            ..v.t
        };
        self.set(node, Val::Int(IntVal { t, flat_from: from }));
        Ok(())
    }

    fn finish(mut self) -> Result<Emitted> {
        let outs = self.m.graph.outputs.clone();
        let [out] = outs.as_slice() else {
            return Err(self.m.error(
                None,
                format!(
                    "the graph has {} outputs; half-gen builds networks of one output",
                    outs.len()
                ),
            ));
        };
        let v = self.vals.get(&out.name).cloned();
        let v = match v {
            Some(Val::Acc(p)) => self.materialize(*p, None)?,
            Some(Val::Int(v)) => v,
            _ => {
                return Err(self.m.error(
                    None,
                    format!("the output `{}` is not computed from the input", out.name),
                ));
            }
        };
        if v.t.src == "input" || v.t.src.is_empty() {
            return Err(self.m.error(None, "the network has no layer"));
        }
        self.e.output_scale = vec![v.t.scale];
        self.e.output_onnx_shape = v.t.dims.clone();
        Ok(self.e)
    }
}

/// A `Quant`'s parameters.
#[derive(Debug, Clone)]
pub struct UniformSpec {
    /// Scale (per channel or one).
    pub scale: Vec<f32>,
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
    fn uniform_spec(&self, node: &OnnxNode) -> Result<UniformSpec> {
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
        if let Some(m) = node.string("rounding_mode")
            && !m.eq_ignore_ascii_case("ROUND")
            && !m.eq_ignore_ascii_case("HALF_EVEN")
        {
            return Err(self.err(
                node,
                format!("rounding mode {m} is not supported (ROUND is)"),
            ));
        }
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

/// A float32 constant per channel: one value or `channels` (a `[1, C, 1, 1]` or `[C]` shape).
pub fn per_channel(v: &[f32], channels: usize) -> Option<Vec<f32>> {
    (v.len() == 1 || v.len() == channels).then(|| v.to_vec())
}

/// The step a `Mul` or `Div` by constant `c` adds.
pub fn scale_step(op: &str, c: Vec<f32>) -> Step {
    if op == "Div" {
        Step::Div(c)
    } else {
        Step::Mul(c)
    }
}
