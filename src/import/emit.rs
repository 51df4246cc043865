//! What an import produces: the layers of a model file, the integer arrays of its weights file,
//! the scales that relate the integers to the ONNX model's real values, and a summary of what
//! each ONNX node became. [`Emitted::files`] renders them as `NAME.yaml`, `NAME.npz` and
//! `NAME.import.json`, byte for byte the same for the same input.

use crate::error::{Error, Result};
use crate::format::ElemType;
use npyz::WriterBuilder;
use serde::Serialize;
use std::fmt::Write;
use std::io::Cursor;

/// One layer of the model file: its name, op, producers and its other keys, each written as
/// YAML flow text (`kernel: [3, 3]`).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerOut {
    /// Layer name.
    pub name: String,
    /// The op (`conv`, `dwconv`, `dense`, `maxpool`, `avgpool`, `add`, `concat`).
    pub op: &'static str,
    /// Producers (layer names or `input`).
    pub from: Vec<String>,
    /// The other keys in order, values as YAML flow text.
    pub keys: Vec<(&'static str, String)>,
}

impl LayerOut {
    /// A layer of `op` reading `from`.
    pub fn new(name: &str, op: &'static str, from: Vec<String>) -> Self {
        LayerOut {
            name: name.to_string(),
            op,
            from,
            keys: Vec::new(),
        }
    }

    /// Adds key `k` with YAML flow value `v`.
    pub fn key(mut self, k: &'static str, v: impl ToString) -> Self {
        self.keys.push((k, v.to_string()));
        self
    }

    /// Adds or replaces key `k`.
    pub fn set(&mut self, k: &'static str, v: impl ToString) {
        match self.keys.iter_mut().find(|(key, _)| *key == k) {
            Some(e) => e.1 = v.to_string(),
            None => self.keys.push((k, v.to_string())),
        }
    }
}

/// An integer array of the weights file.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrayOut {
    /// `<layer>.weight`, `.bias`, `.scale`, `.shift` or `.thresholds`.
    pub name: String,
    /// Shape.
    pub shape: Vec<u64>,
    /// Values in C order.
    pub values: Vec<i64>,
}

/// What one ONNX node became.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeFate {
    /// The node's name.
    pub node: String,
    /// Its operator.
    pub op: String,
    /// What it became: `conv c0 (weights)`, `thresholds of c0`, `folded into c0`, ...
    pub became: String,
}

/// An imported model.
#[derive(Debug, Clone, Default)]
pub struct Emitted {
    /// The model's name.
    pub name: String,
    /// The input shape in half-gen's order (`[H, W, C]` or `[N]`).
    pub input_shape: Vec<u64>,
    /// The input element type.
    pub input_type: Option<ElemType>,
    /// Real input = integer input * `input_scale`.
    pub input_scale: f64,
    /// The layers in order.
    pub layers: Vec<LayerOut>,
    /// The weights file's arrays.
    pub arrays: Vec<ArrayOut>,
    /// Real output = integer output * `output_scale`, per output channel (one value when
    /// shared).
    pub output_scale: Vec<f64>,
    /// The ONNX layout of the output (`[C, H, W]` or `[N]`) and whether the integer output,
    /// in half-gen's `H, W, C` order, must be transposed to compare with it.
    pub output_onnx_shape: Vec<u64>,
    /// What each ONNX node became, in file order.
    pub fates: Vec<NodeFate>,
    /// Approximations the user should know about (one sentence each).
    pub notes: Vec<String>,
}

/// The sidecar `NAME.import.json`: scales and the per-node summary.
#[derive(Serialize)]
struct Sidecar<'a> {
    source: &'a str,
    format: &'a str,
    input_shape: &'a [u64],
    input_scale: f64,
    output_scale: &'a [f64],
    output_onnx_shape: &'a [u64],
    nodes: usize,
    layers: usize,
    fates: &'a [NodeFate],
    notes: &'a [String],
}

impl Emitted {
    /// Records that `node` became `what`.
    pub fn fate(&mut self, node: &super::onnx::OnnxNode, what: impl Into<String>) {
        self.fates.push(NodeFate {
            node: node.name.clone(),
            op: node.op_type.clone(),
            became: what.into(),
        });
    }

    /// Adds an array.
    pub fn array(&mut self, name: String, shape: Vec<u64>, values: Vec<i64>) {
        self.arrays.push(ArrayOut {
            name,
            shape,
            values,
        });
    }

    /// The layer called `name`.
    pub fn layer_mut(&mut self, name: &str) -> Option<&mut LayerOut> {
        self.layers.iter_mut().find(|l| l.name == name)
    }

    /// The model file's text.
    pub fn yaml(&self, source: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Imported by half-gen from {source} (docs/import.md).");
        let _ = writeln!(s, "name: {}", self.name);
        let ty = self.input_type.unwrap_or(ElemType {
            bits: 8,
            signed: true,
        });
        let shape: Vec<String> = self.input_shape.iter().map(u64::to_string).collect();
        let _ = writeln!(
            s,
            "input: {{shape: [{}], bits: {}, signed: {}}}",
            shape.join(", "),
            ty.bits,
            ty.signed
        );
        let _ = writeln!(s, "weights: {}.npz", self.name);
        let _ = writeln!(s, "layers:");
        for l in &self.layers {
            let from = match l.from.as_slice() {
                [one] => one.clone(),
                many => format!("[{}]", many.join(", ")),
            };
            let _ = write!(s, "  - {{name: {}, op: {}, from: {from}", l.name, l.op);
            for (k, v) in &l.keys {
                let _ = write!(s, ", {k}: {v}");
            }
            let _ = writeln!(s, "}}");
        }
        s
    }

    /// The weights file's bytes (every array as `int64`, a fixed timestamp: the same bytes for
    /// the same arrays).
    pub fn npz(&self) -> Result<Vec<u8>> {
        let io = |e: std::io::Error| Error::Internal(format!("writing the weights archive: {e}"));
        let mut cursor = Cursor::new(Vec::new());
        {
            let mut npz = npyz::npz::NpzWriter::new(&mut cursor);
            for a in &self.arrays {
                let opts = npyz::zip::write::FileOptions::default()
                    .last_modified_time(npyz::zip::DateTime::default());
                let mut w = npz
                    .array::<i64>(&a.name, opts)
                    .map_err(io)?
                    .default_dtype()
                    .shape(&a.shape)
                    .begin_nd()
                    .map_err(io)?;
                w.extend(a.values.iter().copied()).map_err(io)?;
                w.finish().map_err(io)?;
            }
        }
        Ok(cursor.into_inner())
    }

    /// The sidecar's text.
    pub fn sidecar(&self, source: &str, format: &str, nodes: usize) -> Result<String> {
        let s = Sidecar {
            source,
            format,
            input_shape: &self.input_shape,
            input_scale: self.input_scale,
            output_scale: &self.output_scale,
            output_onnx_shape: &self.output_onnx_shape,
            nodes,
            layers: self.layers.len(),
            fates: &self.fates,
            notes: &self.notes,
        };
        serde_json::to_string_pretty(&s)
            .map(|t| t + "\n")
            .map_err(|e| Error::Serialization(e.to_string()))
    }
}
