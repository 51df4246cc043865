//! The int8 importer of onnxruntime-quantized networks: `quantize_static` in the QDQ format
//! (`QuantizeLinear`/`DequantizeLinear` around float operators) and in the QOperator format
//! (`QLinearConv`, `QLinearMatMul`, `QLinearAdd`, `QGemm`, with float `Relu`, pooling and
//! `Flatten` between a `DequantizeLinear` and a `QuantizeLinear`).
//!
//! Every activation is an integer tensor with a scale and a zero point of 0 (onnxruntime's
//! `ActivationSymmetric=True`). The nodes are read in file order and every ONNX value becomes
//! one [`Val`]: the float input, an integer tensor, its dequantised float value, a float
//! accumulator that waits for the `QuantizeLinear` that requantises it (a conv, dense, add,
//! average pool or concat layer under construction), or a dequantised constant (weights and
//! biases). A `QuantizeLinear` with scale `s_y` after an accumulator of real step `s_acc[c]`
//! is the layer's requantisation: `f_c = s_acc[c] / s_y`, computed in float32 as onnxruntime
//! does, becomes an integer scale and shift per channel (`<layer>.scale`, `<layer>.shift` in
//! the weights file). A float `Relu` becomes the producing layer's `activation: relu`.
//!
//! Rounding: onnxruntime multiplies the accumulator by the float32 factor and rounds half to
//! even; half-gen multiplies by an integer scale and rounds half up (docs/model-format.md,
//! section 9). For a conv, dwconv or dense layer the scale and shift are fitted to onnxruntime's
//! own function on every accumulator the layer can reach (`num::fit_fixed_point`): equal
//! everywhere when some scale below 2^22 is, else at all but a few accumulators (an exact tie,
//! or a value float32 rounds onto one, that onnxruntime rounds to even), counted in a note.
//! Average pools and adds take the nearest 21-bit scales: they differ by one step on values
//! within about `|v| * 2^-21` of a half integer, and on exact ties of negative or odd values.

use super::common::{IntTensor, Names};
use super::emit::{Emitted, LayerOut};
use super::onnx::{OnnxModel, OnnxNode, OnnxTensor};
use crate::error::{Error, Result};
use crate::format::ElemType;
use std::collections::BTreeMap;

#[path = "qdq_flow.rs"]
mod flow;
#[path = "qdq_num.rs"]
mod num;
#[path = "qdq_ops.rs"]
mod ops;
#[path = "qdq_qop.rs"]
mod qop;

/// An integer activation and the path it took.
#[derive(Debug, Clone)]
struct Act {
    /// The tensor (its producer, ONNX shape, type and scale).
    t: IntTensor,
    /// The `[C, H, W]` map this vector flattens (a dense layer reading it reorders its weights).
    flat: Option<Vec<u64>>,
    /// The ONNX values that carry exactly the producer's output up to here (for the relu fold).
    chain: Vec<String>,
}

impl Act {
    /// The same tensor carried on by value `value`.
    fn then(&self, value: &str) -> Act {
        let mut a = self.clone();
        a.chain.push(value.to_string());
        a
    }
}

/// A quantised constant: the integers of an initializer and their scales.
#[derive(Debug, Clone)]
struct QConst {
    /// The integers, row-major.
    ints: Vec<i64>,
    /// The shape.
    dims: Vec<usize>,
    /// One scale, or one per index of dimension `axis`.
    scales: Vec<f64>,
    /// The dimension the scales run along (when more than one).
    axis: Option<usize>,
    /// The ONNX data type of the integers.
    elem_type: i32,
    /// The `DequantizeLinear` node that made it, if any.
    node: Option<usize>,
}

/// How a pending layer's factors are turned into scales and shifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One factor per output channel (or one for all): conv, dwconv, dense, avgpool.
    PerChannel,
    /// One factor per input, one shared shift: add, concat.
    PerInput,
}

/// A layer whose float accumulator waits for its `QuantizeLinear`.
#[derive(Debug, Clone)]
struct Pending {
    /// The layer without its requantisation.
    layer: LayerOut,
    /// How its factors become scales.
    kind: Kind,
    /// The real value of one accumulator step, per channel or per input.
    acc_scale: Vec<f64>,
    /// The ONNX shape of the output without the batch.
    dims: Vec<u64>,
    /// The map it flattens, after a `Flatten`.
    flat: Option<Vec<u64>>,
    /// Whether a `Relu` follows.
    relu: bool,
    /// Its weights-file arrays, by suffix (`weight`, `bias`).
    arrays: Vec<(&'static str, Vec<u64>, Vec<i64>)>,
    /// concat: the input types (no requantisation when they and the factors are all 1).
    in_types: Vec<ElemType>,
    /// conv, dwconv, dense: the reachable accumulators per output channel, over which the
    /// requantisation reproduces onnxruntime's exactly where an integer form can
    /// (`num::fit_fixed_point`).
    acc_range: Vec<(i64, i64)>,
}

/// What an ONNX value is.
#[derive(Debug, Clone)]
enum Val {
    /// The float network input, before its `QuantizeLinear`.
    Input,
    /// An integer tensor.
    Int(Act),
    /// The float value of an integer tensor (integer * scale, exactly).
    Real(Act),
    /// A float accumulator.
    Pending(Box<Pending>),
    /// A dequantised constant.
    Const(QConst),
}

impl Val {
    /// What it is, for messages.
    fn describe(&self) -> &'static str {
        match self {
            Val::Input => "the float network input (not quantised)",
            Val::Int(_) => "a quantised tensor",
            Val::Real(_) => "a dequantised tensor",
            Val::Pending(_) => "a float result that is not quantised yet",
            Val::Const(_) => "a dequantised constant",
        }
    }
}

/// The import under way.
struct Ctx<'a> {
    model: &'a OnnxModel,
    e: Emitted,
    names: Names,
    vals: BTreeMap<String, Val>,
    uses: BTreeMap<String, usize>,
    fates: Vec<Option<String>>,
    input_dims: Vec<u64>,
    input: Option<Act>,
    /// `Options::exact`.
    exact: bool,
}

/// Imports an onnxruntime-quantized model (QDQ or QOperator) as model `name`: the layers, the
/// weights, the scales and what every node became. Anything half-gen cannot compute exactly
/// as the model does (up to rounding, see the module documentation) is an
/// [`Error::Import`] naming the node.
pub fn import(model: &OnnxModel, opts: &super::Options, name: &str) -> Result<Emitted> {
    let (input_name, input_dims) = super::common::input_dims(model, opts.input_shape.as_deref())?;
    let mut cx = Ctx {
        model,
        e: Emitted {
            name: name.to_string(),
            ..Emitted::default()
        },
        names: Names::default(),
        vals: BTreeMap::new(),
        uses: super::common::consumers(model),
        fates: vec![None; model.graph.nodes.len()],
        input_dims,
        input: None,
        exact: opts.exact,
    };
    cx.vals.insert(input_name, Val::Input);
    for (i, node) in model.graph.nodes.iter().enumerate() {
        cx.node(i, node)?;
    }
    cx.finish()
}

/// Whether `model` is in one of onnxruntime's int8 forms: it has a `QuantizeLinear`,
/// `DequantizeLinear` or QOperator node (`QLinearConv`, `QLinearMatMul`, `QGemm`,
/// `QLinearAdd`, ...).
pub fn is_qdq(model: &OnnxModel) -> bool {
    model.graph.nodes.iter().any(|n| {
        matches!(
            n.op_type.as_str(),
            "QuantizeLinear" | "DequantizeLinear" | "QGemm"
        ) || n.op_type.starts_with("QLinear")
    })
}

impl<'a> Ctx<'a> {
    /// An import error about `n`.
    fn err(&self, n: &OnnxNode, message: impl Into<String>) -> Error {
        self.model.error(Some(n), message)
    }

    /// Records what node `i` became.
    fn fate(&mut self, i: usize, what: impl Into<String>) {
        if let Some(f) = self.fates.get_mut(i) {
            *f = Some(what.into());
        }
    }

    /// Imports one node.
    fn node(&mut self, i: usize, n: &'a OnnxNode) -> Result<()> {
        let op = n.op_type.as_str();
        let std = n.domain.is_empty();
        let ms = n.domain == "com.microsoft";
        match op {
            "QuantizeLinear" if std || ms => self.quantize(i, n),
            "DequantizeLinear" if std || ms => self.dequantize(i, n),
            "Relu" if std => self.relu(i, n),
            "Flatten" | "Reshape" if std => self.flatten(i, n),
            "MaxPool" if std => self.maxpool(i, n),
            "Conv" if std => self.conv_qdq(i, n),
            "Gemm" | "MatMul" if std => self.dense_qdq(i, n),
            "Add" if std => self.add_qdq(i, n),
            "AveragePool" | "GlobalAveragePool" if std => self.avgpool_qdq(i, n),
            "Concat" if std => self.concat_qdq(i, n),
            "QLinearConv" if std => self.qlinear_conv(i, n),
            "QLinearMatMul" if std => self.qlinear_matmul(i, n),
            "QGemm" if ms => self.qgemm(i, n),
            "QLinearAdd" if ms => self.qlinear_add(i, n),
            "QLinearConcat" if ms => self.qlinear_concat(i, n),
            "QLinearGlobalAveragePool" | "QLinearAveragePool" if ms => self.qlinear_avgpool(i, n),
            _ if std => Err(self.err(n, format!("unsupported operator {op}"))),
            _ => Err(self.err(n, format!("unsupported operator {}:{op}", n.domain))),
        }
    }

    /// The name of input `k` of `n`.
    fn input_name(&self, n: &'a OnnxNode, k: usize) -> Result<&'a str> {
        n.input(k)
            .ok_or_else(|| self.err(n, format!("input {k} is missing")))
    }

    /// The value of input `k` of `n`.
    fn val(&self, n: &'a OnnxNode, k: usize) -> Result<&Val> {
        let name = self.input_name(n, k)?;
        match self.vals.get(name) {
            Some(v) => Ok(v),
            None if self.model.graph.constant(name).is_some() => Err(self.err(
                n,
                format!(
                    "input {k} (`{name}`) is a constant that is not dequantised: half-gen \
                     imports int8 weights behind a DequantizeLinear"
                ),
            )),
            None => Err(self.err(
                n,
                format!("input {k} (`{name}`) is not the output of an imported node"),
            )),
        }
    }

    /// Input `k` of `n` as an activation, with whether it is the dequantised (float) form.
    fn act(&self, n: &'a OnnxNode, k: usize) -> Result<(Act, bool)> {
        match self.val(n, k)? {
            Val::Int(a) => Ok((a.clone(), false)),
            Val::Real(a) => Ok((a.clone(), true)),
            other => Err(self.err(
                n,
                format!(
                    "input {k} (`{}`) is {}; expected a quantised activation",
                    self.input_name(n, k)?,
                    other.describe()
                ),
            )),
        }
    }

    /// Input `k` of `n` as a dequantised activation (the QDQ form's float operators).
    fn real(&self, n: &'a OnnxNode, k: usize) -> Result<Act> {
        match self.act(n, k)? {
            (a, true) => Ok(a),
            (_, false) => Err(self.err(
                n,
                format!("input {k} is an integer tensor; expected its DequantizeLinear"),
            )),
        }
    }

    /// Input `k` of `n` as an integer activation whose scale and zero point are inputs
    /// `scale_k` and `zp_k` (the QOperator form).
    fn int(&self, n: &'a OnnxNode, k: usize, scale_k: usize, zp_k: usize) -> Result<Act> {
        let (a, real) = self.act(n, k)?;
        if real {
            return Err(self.err(n, format!("input {k} is a float tensor; expected integers")));
        }
        let (s, ty) = self.act_q(n, scale_k, zp_k)?;
        if !num::same_scale(s, a.t.scale) || ty != a.t.ty {
            return Err(self.err(
                n,
                format!(
                    "input {k} is quantised with scale {} ({}), but the node reads it with \
                     scale {s} ({})",
                    a.t.scale,
                    type_text(a.t.ty),
                    type_text(ty)
                ),
            ));
        }
        Ok(a)
    }

    /// A dequantised constant at input `k` of `n`.
    fn qconst_in(&self, n: &'a OnnxNode, k: usize) -> Result<QConst> {
        match self.val(n, k)? {
            Val::Const(c) => Ok(c.clone()),
            other => Err(self.err(
                n,
                format!(
                    "input {k} is {}; expected int8 weights behind a DequantizeLinear",
                    other.describe()
                ),
            )),
        }
    }

    /// The constant at input `k` of `n`.
    fn constant(&self, n: &'a OnnxNode, k: usize) -> Result<&'a OnnxTensor> {
        let name = self.input_name(n, k)?;
        self.model
            .graph
            .constant(name)
            .ok_or_else(|| self.err(n, format!("input {k} (`{name}`) must be a constant")))
    }

    /// The positive scale at input `k` of `n` (one value).
    fn scalar(&self, n: &'a OnnxNode, k: usize) -> Result<f64> {
        let t = self.constant(n, k)?;
        match t.scalar_f64() {
            Some(s) if s.is_finite() && s > 0.0 => Ok(s),
            Some(s) => Err(self.err(n, format!("scale {s} is not a positive number"))),
            None => Err(self.err(
                n,
                format!(
                    "the scale has {} values: half-gen quantises activations per tensor",
                    t.len()
                ),
            )),
        }
    }

    /// The zero points at input `k` of `n` and their data type (an absent zero point is one 0
    /// of the node's `output_dtype`, default UINT8).
    fn zero_points(&self, n: &'a OnnxNode, k: usize) -> Result<(Vec<i64>, i32)> {
        if n.input(k).is_none() {
            let t = n.int("output_dtype").filter(|t| *t != 0);
            let t = t.map_or(super::proto::data_type::UINT8, |t| t as i32);
            return Ok((vec![0], t));
        }
        let t = self.constant(n, k)?;
        let v = t
            .to_i64()
            .ok_or_else(|| self.err(n, "the zero point is not an integer"))?;
        Ok((v, t.elem_type))
    }

    /// An activation's scale and type from inputs `scale_k` and `zp_k` of `n`: per tensor,
    /// zero point 0.
    fn act_q(&self, n: &'a OnnxNode, scale_k: usize, zp_k: usize) -> Result<(f64, ElemType)> {
        let s = self.scalar(n, scale_k)?;
        let (zp, t) = self.zero_points(n, zp_k)?;
        if let Some(z) = zp.iter().find(|z| **z != 0) {
            return Err(self.err(
                n,
                format!(
                    "activation zero point {z} is not supported: quantize with \
                     ActivationSymmetric=True"
                ),
            ));
        }
        let ty = num::act_type(t).ok_or_else(|| {
            self.err(
                n,
                format!(
                    "activations of type {} are not supported (int8, uint8, int16, uint16, \
                     int4, uint4 are)",
                    super::onnx::type_name(t)
                ),
            )
        })?;
        Ok((s, ty))
    }

    /// Sets the first output of `n` to `v`; a further output must be unused.
    fn set(&mut self, n: &'a OnnxNode, v: Val) -> Result<()> {
        if let Some(extra) = n
            .outputs
            .iter()
            .skip(1)
            .find(|o| !o.is_empty() && self.uses.get(o.as_str()).copied().unwrap_or(0) > 0)
        {
            return Err(self.err(
                n,
                format!("its output `{extra}` is read; half-gen computes only the first output"),
            ));
        }
        let out = n
            .outputs
            .first()
            .ok_or_else(|| self.err(n, "the node has no output"))?;
        self.vals.insert(out.clone(), v);
        Ok(())
    }

    /// The name of the first output of `n`.
    fn out_name(&self, n: &'a OnnxNode) -> Result<&'a str> {
        n.outputs
            .first()
            .map(String::as_str)
            .ok_or_else(|| self.err(n, "the node has no output"))
    }

    /// The graph output, the output scale and every node's fate.
    fn finish(mut self) -> Result<Emitted> {
        let g = &self.model.graph;
        let [out] = g.outputs.as_slice() else {
            return Err(self.model.error(
                None,
                format!(
                    "the graph has {} outputs; half-gen imports one",
                    g.outputs.len()
                ),
            ));
        };
        let a = match self.vals.get(&out.name) {
            Some(Val::Int(a) | Val::Real(a)) => a.clone(),
            Some(v) => {
                return Err(self.model.error(
                    None,
                    format!(
                        "the graph output `{}` is {}: half-gen needs a quantised output \
                         (a QuantizeLinear, then a DequantizeLinear for its scale)",
                        out.name,
                        v.describe()
                    ),
                ));
            }
            None => {
                return Err(self.model.error(
                    None,
                    format!(
                        "the graph output `{}` is not computed by any node",
                        out.name
                    ),
                ));
            }
        };
        if self.e.layers.last().map(|l| l.name.as_str()) != Some(a.t.src.as_str()) {
            let why = if a.t.src == "input" {
                "is the quantised input: there is no layer".to_string()
            } else {
                format!(
                    "comes from layer {}, which is not the last one imported",
                    a.t.src
                )
            };
            return Err(self
                .model
                .error(None, format!("the graph output `{}` {why}", out.name)));
        }
        self.e.output_scale = vec![a.t.scale];
        self.e.output_onnx_shape = a.flat.clone().unwrap_or_else(|| a.t.dims.clone());
        for (i, n) in g.nodes.iter().enumerate() {
            let mut became = self.fates.get_mut(i).and_then(Option::take);
            if n.outputs.first() == Some(&out.name) {
                became = Some(format!(
                    "the output of {}: real output = integer * {}",
                    a.t.src, a.t.scale
                ));
            }
            let became = became.unwrap_or_else(|| "unused: the output does not read it".into());
            self.e.fate(n, became);
        }
        self.e.notes.push(
            "onnxruntime requantises with a float32 multiplier and rounds half to even; \
             half-gen uses an integer multiplier and rounds half up: fitted to onnxruntime on \
             every reachable accumulator of a conv or dense layer (differences counted above \
             when there are any), the nearest 21-bit one for pools and adds, where a value \
             within about 2^-21 of a half step (or on an exact tie) may come out one step apart"
                .to_string(),
        );
        Ok(self.e)
    }
}

/// An element type as text (`int8`, `uint8`).
fn type_text(t: ElemType) -> String {
    format!("{}int{}", if t.signed { "" } else { "u" }, t.bits)
}
