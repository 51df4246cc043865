//! A decoded, validated ONNX model: what the importer works on.
//!
//! [`read_model`] reads an `.onnx` file (at most [`MAX_MODEL_BYTES`]), decodes it with the
//! messages of [`super::proto`] and converts it: nodes keep the file's order, unnamed nodes are
//! named `<op_type>_<index>` (the index in the file's node list), the domain `ai.onnx` is
//! written as the empty default domain, constant tensors are decoded ([`OnnxTensor`]) and
//! `Constant` nodes become initializers. Graph inputs that are initializers (models before IR
//! version 4 list them) are not in [`OnnxGraph::inputs`].

use super::MAX_MODEL_BYTES;
use super::proto::AttributeType;
use crate::error::{Error, ImportError, Result};
use crate::limits;
use std::collections::BTreeMap;
use std::path::Path;

pub use super::tensor::{OnnxTensor, TensorData, type_name};

/// A decoded ONNX model.
#[derive(Debug, Clone, PartialEq)]
pub struct OnnxModel {
    /// The file as the user named it (for messages).
    pub file: String,
    /// The IR version it was written with (0 when absent).
    pub ir_version: i64,
    /// The operator sets it imports: domain (empty for the default one) to version.
    pub opsets: BTreeMap<String, i64>,
    /// The tool that wrote it (`pytorch`, `onnx.quantize`, `qonnx`), maybe empty.
    pub producer: String,
    /// That tool's version, maybe empty.
    pub producer_version: String,
    /// The graph.
    pub graph: OnnxGraph,
}

/// The graph of an [`OnnxModel`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OnnxGraph {
    /// Its name, maybe empty.
    pub name: String,
    /// The nodes in file order (which ONNX requires to be topological), without `Constant`s.
    pub nodes: Vec<OnnxNode>,
    /// The constant tensors by name: the initializers and the values of `Constant` nodes.
    pub initializers: BTreeMap<String, OnnxTensor>,
    /// The graph inputs that are not initializers, in order.
    pub inputs: Vec<ValueInfo>,
    /// The graph outputs, in order.
    pub outputs: Vec<ValueInfo>,
    /// The types and shapes of intermediate values, by name.
    pub value_info: BTreeMap<String, ValueInfo>,
}

/// A value's name, element type and shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueInfo {
    /// The value's name.
    pub name: String,
    /// Its element type as an ONNX data type number (see [`super::proto::data_type`]); 0 when
    /// unknown or not a tensor.
    pub elem_type: i32,
    /// Its shape, outermost first; `None` when the rank is unknown.
    pub shape: Option<Vec<Dim>>,
}

/// One dimension of a [`ValueInfo`] shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A named size (`N`, `batch_size`).
    Symbolic(String),
    /// Neither: unknown.
    Unknown,
}

/// One operator call of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct OnnxNode {
    /// Its name; `<op_type>_<index>` when the file gives none.
    pub name: String,
    /// The operator (`Conv`, `Quant`, `QuantizeLinear`).
    pub op_type: String,
    /// The operator's domain: empty for the default ONNX one, `qonnx.custom_op.general`,
    /// `com.microsoft`, ...
    pub domain: String,
    /// The input value names in order; an empty name is an absent optional input.
    pub inputs: Vec<String>,
    /// The output value names in order.
    pub outputs: Vec<String>,
    /// The attributes by name.
    pub attrs: BTreeMap<String, Attr>,
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    /// `INT`.
    Int(i64),
    /// `FLOAT`.
    Float(f32),
    /// `INTS`.
    Ints(Vec<i64>),
    /// `FLOATS`.
    Floats(Vec<f32>),
    /// `STRING` (UTF-8).
    Str(String),
    /// `STRINGS` (UTF-8 each).
    Strs(Vec<String>),
    /// `TENSOR`.
    Tensor(OnnxTensor),
    /// Any other kind (a graph, a sparse tensor, a list of tensors), by its
    /// `AttributeProto.AttributeType` number; not decoded.
    Other(i32),
}

impl Attr {
    /// The kind's name as ONNX spells it (`INT`, `FLOATS`, `GRAPH`), for messages.
    pub fn kind(&self) -> String {
        let t = match self {
            Attr::Int(_) => AttributeType::Int,
            Attr::Float(_) => AttributeType::Float,
            Attr::Ints(_) => AttributeType::Ints,
            Attr::Floats(_) => AttributeType::Floats,
            Attr::Str(_) => AttributeType::String,
            Attr::Strs(_) => AttributeType::Strings,
            Attr::Tensor(_) => AttributeType::Tensor,
            Attr::Other(t) => match AttributeType::try_from(*t) {
                Ok(t) => t,
                Err(_) => return format!("attribute type {t}"),
            },
        };
        t.name().to_string()
    }
}

impl OnnxNode {
    /// The attribute `name`, of any kind.
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.get(name)
    }

    /// The `INT` attribute `name`.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.attrs.get(name)? {
            Attr::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The `FLOAT` attribute `name`.
    pub fn float(&self, name: &str) -> Option<f32> {
        match self.attrs.get(name)? {
            Attr::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The `INTS` attribute `name`.
    pub fn ints(&self, name: &str) -> Option<&[i64]> {
        match self.attrs.get(name)? {
            Attr::Ints(v) => Some(v),
            _ => None,
        }
    }

    /// The `FLOATS` attribute `name`.
    pub fn floats(&self, name: &str) -> Option<&[f32]> {
        match self.attrs.get(name)? {
            Attr::Floats(v) => Some(v),
            _ => None,
        }
    }

    /// The `STRING` attribute `name`.
    pub fn string(&self, name: &str) -> Option<&str> {
        match self.attrs.get(name)? {
            Attr::Str(v) => Some(v),
            _ => None,
        }
    }

    /// The `STRINGS` attribute `name`.
    pub fn strings(&self, name: &str) -> Option<&[String]> {
        match self.attrs.get(name)? {
            Attr::Strs(v) => Some(v),
            _ => None,
        }
    }

    /// The `TENSOR` attribute `name`.
    pub fn tensor(&self, name: &str) -> Option<&OnnxTensor> {
        match self.attrs.get(name)? {
            Attr::Tensor(v) => Some(v),
            _ => None,
        }
    }

    /// Input `k`, or `None` when the node has fewer inputs or leaves it out (empty name).
    pub fn input(&self, k: usize) -> Option<&str> {
        self.inputs
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

impl OnnxGraph {
    /// The type and shape known for value `name`: a graph input or output, or an entry of
    /// `value_info`.
    pub fn info(&self, name: &str) -> Option<&ValueInfo> {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .find(|v| v.name == name)
            .or_else(|| self.value_info.get(name))
    }

    /// The constant tensor `name` (an initializer or a former `Constant`).
    pub fn constant(&self, name: &str) -> Option<&OnnxTensor> {
        self.initializers.get(name)
    }
}

impl OnnxModel {
    /// The version of operator set `domain` (empty for the default one) the model imports.
    pub fn opset(&self, domain: &str) -> Option<i64> {
        self.opsets.get(domain).copied()
    }

    /// An [`Error::Import`] about this model, and about `node` when given.
    pub fn error(&self, node: Option<&OnnxNode>, message: impl Into<String>) -> Error {
        Error::Import(ImportError {
            file: self.file.clone(),
            node: node.map(|n| n.name.clone()),
            op: node.map(|n| n.op_type.clone()),
            message: message.into(),
        })
    }
}

/// An [`Error::Import`] about `file` as a whole.
pub(super) fn file_error(file: &str, message: impl Into<String>) -> Error {
    Error::Import(ImportError {
        file: file.to_string(),
        node: None,
        op: None,
        message: message.into(),
    })
}

/// Reads, decodes and converts the ONNX model at `path`: a regular file of at most
/// [`MAX_MODEL_BYTES`].
pub fn read_model(path: &Path) -> Result<OnnxModel> {
    use std::io::Read;
    let file = path.display().to_string();
    let cannot = |e: std::io::Error| file_error(&file, format!("cannot read the file: {e}"));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(file_error(&file, "is a directory, not an ONNX model file"));
    }
    if !meta.is_file() {
        return Err(file_error(&file, "is not a regular file"));
    }
    let too_large = |n: u64| {
        file_error(
            &file,
            limits::exceeded("the file's size in bytes", n, MAX_MODEL_BYTES),
        )
    };
    if meta.len() > MAX_MODEL_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_MODEL_BYTES + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_MODEL_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    decode_model(&bytes, &file)
}

/// Decodes and converts the bytes of an ONNX model; `file` names it in messages.
pub fn decode_model(bytes: &[u8], file: &str) -> Result<OnnxModel> {
    use prost::Message;
    let proto = super::proto::ModelProto::decode(bytes)
        .map_err(|e| file_error(file, format!("not an ONNX model: {e}")))?;
    super::convert::model(file, proto)
}
