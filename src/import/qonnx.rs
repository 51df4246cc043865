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
use super::chain::{Chain, Step};
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
    /// The ONNX value that is each written layer's own output, by value name (aliases such as
    /// a Flatten's output are not in it).
    pub layer_outputs: BTreeMap<String, String>,
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
        layer_outputs: BTreeMap::new(),
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
            "Trunc" => self.trunc(node),
            other => Err(self.err(node, format!("unsupported operator {other}"))),
        }
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
        // A flattened map's integers stay in half-gen's H, W, C order: the sidecar names the
        // map, whose ONNX order is C, H, W.
        self.e.output_onnx_shape = v.flat_from.clone().unwrap_or_else(|| v.t.dims.clone());
        Ok(self.e)
    }
}

/// The step a `Mul` or `Div` by constant `c` adds.
pub fn scale_step(op: &str, c: Vec<f32>) -> Step {
    if op == "Div" {
        Step::Div(c)
    } else {
        Step::Mul(c)
    }
}
