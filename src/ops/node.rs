//! A node of the dataflow graph: the model input, a layer (its op and resolved types), or a
//! stream fork.

use super::requant::{RequantShape, signed_bits};
use super::{LayerOp, Operator};
use crate::format::{Activation, ElemType, Requant, Tensor};

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
    /// Activation.
    pub activation: Activation,
}

impl Node {
    /// Recomputes the accumulator type after the requantisation changed (only an add's
    /// accumulator, `a*scale_a + b*scale_b`, depends on it).
    pub fn refresh_acc(&mut self) -> std::result::Result<(), String> {
        if let (Some(LayerOp::Add(a)), Some(r)) = (self.op(), &self.requant) {
            let inf = a.infer(&self.inputs, &r.scale).map_err(|e| e.message)?;
            let acc = ElemType::for_range(inf.acc_min, inf.acc_max);
            if acc.bits > MAX_ACC_BITS {
                return Err(format!(
                    "the accumulator needs {} bits, more than the {} half-gen supports",
                    acc.bits, MAX_ACC_BITS
                ));
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

    /// What the requantisers of this node look like with `pe` lanes.
    pub fn requant_shape(&self, pe: u32) -> RequantShape {
        let channels = self.out.shape.c as u64;
        match &self.requant {
            None => RequantShape {
                acc: self.acc,
                scale_bits: 2,
                scale: 1,
                out: None,
                entries_per_pe: 1,
                per_channel: false,
            },
            Some(r) => RequantShape {
                acc: self.acc,
                scale_bits: signed_bits(&r.scale),
                scale: r.scale.first().copied().unwrap_or(1),
                out: Some(self.out.ty),
                entries_per_pe: channels.div_ceil(pe.max(1) as u64),
                per_channel: r.scale.len() > 1 && !matches!(self.op(), Some(LayerOp::Add(_)))
                    || r.shift.len() > 1,
            },
        }
    }
}
