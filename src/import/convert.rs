//! From the decoded protobuf messages to an [`OnnxModel`]: names checked, tensors and
//! attributes decoded, `Constant` nodes folded into the initializers.

use super::MAX_TOTAL_ELEMS;
use super::onnx::{Attr, Dim, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, ValueInfo, file_error};
use super::proto::{
    AttributeProto, AttributeType, GraphProto, ModelProto, NodeProto, TypeProto, ValueInfoProto,
    data_type as dt, tensor_shape_proto::dimension, type_proto,
};
use super::tensor;
use crate::error::{Error, ImportError, Result};
use std::collections::BTreeMap;

/// The default domain's other spelling.
const AI_ONNX: &str = "ai.onnx";

/// `ai.onnx` written as the empty default domain.
fn domain(d: Option<&str>) -> String {
    match d.unwrap_or_default() {
        AI_ONNX => String::new(),
        d => d.to_string(),
    }
}

/// Converts a decoded model; `file` names it in messages.
pub(super) fn model(file: &str, m: ModelProto) -> Result<OnnxModel> {
    let Some(graph) = m.graph else {
        return Err(file_error(file, "not an ONNX model: it has no graph"));
    };
    let mut opsets = BTreeMap::new();
    for o in &m.opset_import {
        opsets.insert(domain(o.domain.as_deref()), o.version.unwrap_or_default());
    }
    Ok(OnnxModel {
        file: file.to_string(),
        ir_version: m.ir_version.unwrap_or_default(),
        opsets,
        producer: m.producer_name.unwrap_or_default(),
        producer_version: m.producer_version.unwrap_or_default(),
        graph: Converter {
            file,
            budget: MAX_TOTAL_ELEMS,
        }
        .graph(graph)?,
    })
}

/// The state of one conversion: the file's name and what remains of the element budget.
struct Converter<'a> {
    /// The file, for messages.
    file: &'a str,
    /// Constant elements still allowed ([`MAX_TOTAL_ELEMS`] minus those decoded).
    budget: u64,
}

impl Converter<'_> {
    /// An error about the file.
    fn err(&self, message: impl Into<String>) -> Error {
        file_error(self.file, message)
    }

    /// An error about node `name` (operator `op`).
    fn node_err(&self, name: &str, op: &str, message: impl Into<String>) -> Error {
        Error::Import(ImportError {
            file: self.file.to_string(),
            node: Some(name.to_string()),
            op: Some(op.to_string()),
            message: message.into(),
        })
    }

    /// Converts the graph.
    fn graph(&mut self, g: GraphProto) -> Result<OnnxGraph> {
        let mut out = OnnxGraph {
            name: g.name.unwrap_or_default(),
            ..OnnxGraph::default()
        };
        for t in &g.initializer {
            let name = t.name.clone().unwrap_or_default();
            if name.is_empty() {
                return Err(self.err("an initializer has no name"));
            }
            let decoded = tensor::decode(t, &mut self.budget)
                .map_err(|m| self.err(format!("initializer `{name}`: {m}")))?;
            if out.initializers.insert(name.clone(), decoded).is_some() {
                return Err(self.err(format!("initializer `{name}` is defined twice")));
            }
        }
        let stored: Vec<String> = out.initializers.keys().cloned().collect();
        for (index, n) in g.node.into_iter().enumerate() {
            self.node(index, n, &mut out)?;
        }
        for v in g.input {
            let v = self.value_info(v, "a graph input")?;
            if stored.binary_search(&v.name).is_err() {
                out.inputs.push(v);
            }
        }
        for v in g.output {
            out.outputs.push(self.value_info(v, "a graph output")?);
        }
        for v in g.value_info {
            let v = self.value_info(v, "a value_info entry")?;
            out.value_info.insert(v.name.clone(), v);
        }
        Ok(out)
    }

    /// Converts node `index` of the file into `out`: a node, or an initializer for a
    /// `Constant`.
    fn node(&mut self, index: usize, n: NodeProto, out: &mut OnnxGraph) -> Result<()> {
        let op_type = n.op_type.unwrap_or_default();
        if op_type.is_empty() {
            return Err(self.err(format!("node {index} of the graph has no op_type")));
        }
        let name = match n.name {
            Some(name) if !name.is_empty() => name,
            _ => format!("{op_type}_{index}"),
        };
        let mut attrs = BTreeMap::new();
        for a in &n.attribute {
            let (key, value) = self
                .attribute(a)
                .map_err(|m| self.node_err(&name, &op_type, m))?;
            if attrs.insert(key.clone(), value).is_some() {
                let m = format!("attribute `{key}` is given twice");
                return Err(self.node_err(&name, &op_type, m));
            }
        }
        let node = OnnxNode {
            name,
            op_type,
            domain: domain(n.domain.as_deref()),
            inputs: n.input,
            outputs: n.output,
            attrs,
        };
        if node.op_type == "Constant" && node.domain.is_empty() {
            let value = constant(&node).map_err(|m| self.node_err(&node.name, "Constant", m))?;
            let [output] = node.outputs.as_slice() else {
                let m = format!("a Constant has one output, not {}", node.outputs.len());
                return Err(self.node_err(&node.name, "Constant", m));
            };
            if out.initializers.insert(output.clone(), value).is_some() {
                let m = format!("its output `{output}` is also an initializer");
                return Err(self.node_err(&node.name, "Constant", m));
            }
            return Ok(());
        }
        out.nodes.push(node);
        Ok(())
    }

    /// The name and value of attribute `a`; the error is a message without the node.
    fn attribute(&mut self, a: &AttributeProto) -> std::result::Result<(String, Attr), String> {
        let name = a.name.clone().unwrap_or_default();
        if name.is_empty() {
            return Err("an attribute has no name".into());
        }
        if a.ref_attr_name.is_some() {
            return Err(format!(
                "attribute `{name}` refers to a function's attribute, which only functions may"
            ));
        }
        let utf8 = |b: &[u8]| {
            String::from_utf8(b.to_vec())
                .map_err(|_| format!("attribute `{name}`: a string is not UTF-8"))
        };
        let kind = match a.r#type.unwrap_or_default() {
            0 => implied_type(a),
            t => t,
        };
        let value = match AttributeType::try_from(kind) {
            Ok(AttributeType::Int) => Attr::Int(a.i.unwrap_or_default()),
            Ok(AttributeType::Float) => Attr::Float(a.f.unwrap_or_default()),
            Ok(AttributeType::Ints) => Attr::Ints(a.ints.clone()),
            Ok(AttributeType::Floats) => Attr::Floats(a.floats.clone()),
            Ok(AttributeType::String) => Attr::Str(utf8(a.s.as_deref().unwrap_or_default())?),
            Ok(AttributeType::Strings) => Attr::Strs(
                a.strings
                    .iter()
                    .map(|s| utf8(s))
                    .collect::<std::result::Result<_, _>>()?,
            ),
            Ok(AttributeType::Tensor) => {
                let Some(t) = &a.t else {
                    return Err(format!("attribute `{name}` is a TENSOR without a tensor"));
                };
                Attr::Tensor(
                    tensor::decode(t, &mut self.budget)
                        .map_err(|m| format!("attribute `{name}`: {m}"))?,
                )
            }
            _ => Attr::Other(kind),
        };
        Ok((name, value))
    }

    /// Converts a graph input, output or `value_info` entry (`what`, for messages).
    fn value_info(&self, v: ValueInfoProto, what: &str) -> Result<ValueInfo> {
        let name = v.name.unwrap_or_default();
        if name.is_empty() {
            return Err(self.err(format!("{what} has no name")));
        }
        let (elem_type, shape) = match v.r#type {
            Some(TypeProto {
                value: Some(type_proto::Value::TensorType(t)),
                ..
            }) => (
                t.elem_type.unwrap_or_default(),
                t.shape.map(|s| {
                    s.dim
                        .into_iter()
                        .map(|d| match d.value {
                            Some(dimension::Value::DimValue(v)) => Dim::Fixed(v),
                            Some(dimension::Value::DimParam(p)) => Dim::Symbolic(p),
                            None => Dim::Unknown,
                        })
                        .collect()
                }),
            ),
            _ => (dt::UNDEFINED, None),
        };
        Ok(ValueInfo {
            name,
            elem_type,
            shape,
        })
    }
}

/// The kind of an attribute without `type` (written before IR version 0.0.2): the first of
/// its fields that is set.
fn implied_type(a: &AttributeProto) -> i32 {
    let t = if a.t.is_some() {
        AttributeType::Tensor
    } else if !a.ints.is_empty() {
        AttributeType::Ints
    } else if !a.floats.is_empty() {
        AttributeType::Floats
    } else if !a.strings.is_empty() {
        AttributeType::Strings
    } else if a.s.is_some() {
        AttributeType::String
    } else if a.i.is_some() {
        AttributeType::Int
    } else if a.f.is_some() {
        AttributeType::Float
    } else {
        AttributeType::Undefined
    };
    t as i32
}

/// The value of a `Constant` node: its one value attribute as a tensor.
fn constant(node: &OnnxNode) -> std::result::Result<OnnxTensor, String> {
    let keys: Vec<&str> = node.attrs.keys().map(String::as_str).collect();
    let [key] = keys.as_slice() else {
        return Err(format!(
            "a Constant has exactly one value attribute, not {}",
            if keys.is_empty() {
                "none".to_string()
            } else {
                format!("{keys:?}")
            }
        ));
    };
    let int = |dims: Vec<usize>, v: Vec<i64>| OnnxTensor {
        dims,
        elem_type: dt::INT64,
        data: tensor::TensorData::Int(v),
    };
    let float = |dims: Vec<usize>, v: Vec<f32>| OnnxTensor {
        dims,
        elem_type: dt::FLOAT,
        data: tensor::TensorData::Float(v),
    };
    let wrong = || format!("attribute `{key}` of a Constant has the wrong kind");
    Ok(match *key {
        "value" => node.tensor(key).ok_or_else(wrong)?.clone(),
        "value_int" => int(vec![], vec![node.int(key).ok_or_else(wrong)?]),
        "value_ints" => {
            let v = node.ints(key).ok_or_else(wrong)?;
            int(vec![v.len()], v.to_vec())
        }
        "value_float" => float(vec![], vec![node.float(key).ok_or_else(wrong)?]),
        "value_floats" => {
            let v = node.floats(key).ok_or_else(wrong)?;
            float(vec![v.len()], v.to_vec())
        }
        other => return Err(format!("a Constant `{other}` is not supported")),
    })
}
