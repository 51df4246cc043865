//! Layer parameters: integer weights and biases, read from the model's `.npz` file or generated
//! deterministically from its seed, and validated against the layer's types (so the exact
//! accumulator width of the IR holds for every value).
//!
//! Layouts (NumPy, C order): conv `[kh, kw, cin, cout]`, dwconv `[kh, kw, c]`, dense
//! `[in, out]`, bias `[cout]`; `<layer>.scale` and `<layer>.shift` (scalar or per channel)
//! replace the derived requantisation of layers the model gives none.

pub mod generate;
pub mod npz;
pub mod thresholds;

pub use generate::generate;
pub use npz::{read_npy_i64, write_npy_i64};

use crate::error::{Error, Result};
use crate::format::{ElemType, Requant};
use crate::ir::Graph;
use crate::model::Model;
use crate::ops::{LayerOp, LayerParams, mac_range};
use std::collections::BTreeMap;

/// Every layer's parameters, by layer name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params {
    /// Parameters by layer name.
    pub layers: BTreeMap<String, LayerParams>,
}

impl Params {
    /// The parameters of `layer` (empty when it has none).
    pub fn get(&self, layer: &str) -> &LayerParams {
        static EMPTY: LayerParams = LayerParams {
            weight: Vec::new(),
            bias: Vec::new(),
        };
        self.layers.get(layer).unwrap_or(&EMPTY)
    }
}

/// What a layer's parameters must look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamSpec {
    /// Weight array shape (empty when the layer has no weights).
    pub weight_shape: Vec<u64>,
    /// Weight type.
    pub weight_type: Option<ElemType>,
    /// Bias length (0 without bias).
    pub bias_len: u64,
    /// Inclusive bias range (the IR's accumulator rule).
    pub bias_range: (i64, i64),
    /// Products summed per output, for the generator's bias spread.
    pub fan_in: u64,
    /// Input element type.
    pub input_type: ElemType,
}

/// The parameter spec of a layer op with input type `xt` and input shape `(h, w, c)` or `n`.
pub fn spec(op: &LayerOp, node: &crate::ops::Node) -> ParamSpec {
    let inp = node.inputs[0];
    let o = op.op();
    let (weight_shape, bias, cout, fan_in) = match o.weights(node) {
        Some(w) => (w.shape, w.bias, w.channels, w.fan_in),
        None => (Vec::new(), false, 0, 0),
    };
    let wt = o.weights(node).and(o.weight_type());
    let bias_range = match wt {
        Some(wt) if bias => mac_range(wt, inp.ty, fan_in, false),
        _ => (0, 0),
    };
    ParamSpec {
        weight_shape,
        weight_type: wt,
        bias_len: if bias { cout } else { 0 },
        bias_range,
        fan_in,
        input_type: inp.ty,
    }
}

/// Loads the model's weights file, or generates parameters from its seed, and applies any
/// requantisation the file gives to `graph`.
pub fn load(model: &Model, graph: &mut Graph) -> Result<Params> {
    match &model.weights {
        None => Ok(generate(model.seed, graph)),
        Some(path) => npz::load(path, model, graph),
    }
}

/// A value outside the range of its element type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("element {index} is {value}, outside {}", range_text(.ty))]
pub struct OutOfRange {
    /// Index of the first value out of range.
    pub index: usize,
    /// That value.
    pub value: i64,
    /// The type it should fit.
    pub ty: ElemType,
}

/// The values `t` holds, as a message writes them: `{-1, +1}` or `[min, max]`.
fn range_text(t: &ElemType) -> String {
    if t.is_bipolar() {
        "{-1, +1}".to_string()
    } else {
        format!("[{}, {}]", t.min(), t.max())
    }
}

/// Checks `values` against the integer range of `t` (bipolar: only -1 and +1).
pub fn check_range(values: &[i64], t: ElemType) -> std::result::Result<(), OutOfRange> {
    let bad = values.iter().position(|&v| {
        if t.is_bipolar() {
            v != 1 && v != -1
        } else {
            v < t.min() || v > t.max()
        }
    });
    match bad {
        None => Ok(()),
        Some(index) => Err(OutOfRange {
            index,
            value: values[index],
            ty: t,
        }),
    }
}

/// Why a weights file's `.scale` and `.shift` cannot be a layer's requantisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequantRefused {
    /// The name is not a layer of the graph.
    #[error("`{0}` is not a layer")]
    NotALayer(String),
    /// The layer has no `output` type, so no requantiser.
    #[error("the layer has no `output`, so it has no requantiser")]
    NoRequantiser,
    /// The layer kind refuses it (entry counts), or its accumulator would be too wide.
    #[error("{0}")]
    Refused(String),
    /// A scale or shift beyond what the requantiser computes.
    #[error("scale must satisfy |scale| < 2^22 and shift 0..=62")]
    OutOfRange,
}

/// A requant given in a weights file for a layer whose model has none.
pub fn set_requant(
    graph: &mut Graph,
    layer: &str,
    r: Requant,
) -> std::result::Result<(), RequantRefused> {
    let not_a_layer = || RequantRefused::NotALayer(layer.to_string());
    let n = graph.find(layer).ok_or_else(not_a_layer)?;
    let node = &mut graph.g[n];
    let op = node.op().ok_or_else(not_a_layer)?;
    if node.requant.is_none() {
        return Err(RequantRefused::NoRequantiser);
    }
    op.op()
        .check_requant(&r, op.op().out_channels(node), node.inputs.len())
        .map_err(|e| RequantRefused::Refused(e.message))?;
    if r.shift.iter().any(|s| !(0..=62).contains(s)) || r.scale.iter().any(|s| s.abs() >= 1 << 22) {
        return Err(RequantRefused::OutOfRange);
    }
    node.requant = Some(r);
    node.requant_derived = false;
    node.refresh_acc()
        .map_err(|e| RequantRefused::Refused(e.to_string()))
}

/// An error about one array of a weights file (exit code 2).
pub fn array_error(file: &str, array: &str, message: impl Into<String>) -> Error {
    let layer = array.split('.').next().unwrap_or(array);
    Error::Input(crate::error::Diagnostic::new(
        file,
        Default::default(),
        Some(layer),
        format!("array `{array}`: {}", message.into()),
    ))
}
