//! A node of the dataflow graph: the model input, a layer (its op and resolved types), or a
//! stream fork.

use super::LayerOp;
use crate::cost::ScaleStyle;
use crate::format::{Activation, ElemType, Requant, Tensor, Thresholds};
use crate::stage::requant::Epilogue;

/// Widest accumulator half-gen builds (keeps `acc * scale` inside 64-bit arithmetic).
pub const MAX_ACC_BITS: u32 = 40;

/// What a node is.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// The model input (an AXI-Stream input adapter in hardware).
    Input,
    /// A layer of the model.
    Layer {
        /// Index in `Model::layers`.
        index: usize,
        /// Kind and parameters.
        op: LayerOp,
    },
    /// Duplicates a stream consumed by several layers.
    Fork {
        /// Number of consumers.
        ways: usize,
    },
}

/// One stage of the dataflow graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Layer name, `input`, or `<producer>_fork`.
    pub name: String,
    /// Kind.
    pub kind: NodeKind,
    /// Input tensors, in port order.
    pub inputs: Vec<Tensor>,
    /// Output tensor.
    pub out: Tensor,
    /// Exact accumulator type (no overflow possible); the output type where nothing accumulates.
    pub acc: ElemType,
    /// Resolved requantisation (explicit or derived); None when the accumulator passes through.
    pub requant: Option<Requant>,
    /// True when `requant` was derived by half-gen (not given by the model or weights file),
    /// so calibration may replace it.
    pub requant_derived: bool,
    /// Threshold requantisation instead of `requant` (never both); its values are empty while
    /// calibration is still to derive them.
    pub thresholds: Option<Thresholds>,
    /// Activation.
    pub activation: Activation,
}

impl Node {
    /// Recomputes the accumulator type after the requantisation changed (only the accumulator
    /// of an op with a scale per input, an add or a concat, depends on it).
    pub fn refresh_acc(&mut self) -> crate::Result<()> {
        if let (Some(op), Some(r)) = (self.op(), &self.requant)
            && op.op().scales_per_input()
        {
            let inf = op
                .op()
                .infer(&self.inputs, &r.scale)
                .map_err(|e| crate::Error::Unsupported(e.message))?;
            let acc = ElemType::for_range(inf.acc_min, inf.acc_max);
            if acc.bits > MAX_ACC_BITS {
                return Err(crate::Error::Unsupported(format!(
                    "the accumulator needs {} bits, more than the {} half-gen supports",
                    acc.bits, MAX_ACC_BITS
                )));
            }
            self.acc = acc;
        }
        Ok(())
    }

    /// The layer op, for layer nodes.
    pub fn op(&self) -> Option<&LayerOp> {
        match &self.kind {
            NodeKind::Layer { op, .. } => Some(op),
            _ => None,
        }
    }

    /// The node's epilogue: what its unit does after accumulating (requantise, relu,
    /// saturate), as the stage units take it, its constant scale multiplies where synthesis
    /// puts them ([`Epilogue::scaled`] sets a fold's style).
    pub fn epilogue(&self) -> Epilogue<'_> {
        Epilogue {
            acc: self.acc,
            requant: self.requant.as_ref(),
            thresholds: self.thresholds.as_ref(),
            relu: self.activation == Activation::Relu,
            out: self.out.ty,
            channels: self.out.shape.c,
            scales_per_input: self.op().is_some_and(|op| op.op().scales_per_input()),
            scale_style: ScaleStyle::Dsp,
        }
    }
}
