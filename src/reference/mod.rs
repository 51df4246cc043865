//! The reference interpreter: executes the graph with the model format's exact integer
//! arithmetic. It is the golden model every simulation (C, RTL) is checked against.

pub mod calibrate;
pub mod eval;

use crate::error::{Error, Result};
use crate::ir::Graph;
use crate::ops::NodeKind;
use crate::weights::{Params, check_range};
use petgraph::visit::NodeIndexable;

/// Every node's output values for one frame, indexed by node index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Output values per node (HWC order); empty for removed indices.
    pub values: Vec<Vec<i64>>,
}

impl Trace {
    /// The model output.
    pub fn output<'a>(&'a self, graph: &Graph) -> &'a [i64] {
        &self.values[graph.output.index()]
    }
}

/// Checks one input frame against the model's input shape and type.
pub fn check_input(graph: &Graph, input: &[i64]) -> Result<()> {
    let t = graph.g[graph.input].out;
    if input.len() as u64 != t.shape.elems() {
        return Err(Error::BadInputFile(format!(
            "an input frame has {} values; the model input {} has {}",
            input.len(),
            t.shape,
            t.shape.elems()
        )));
    }
    check_range(input, t.ty).map_err(|e| Error::BadInputFile(format!("input frame: {e}")))
}

/// Runs one frame through the graph, keeping every node's output.
pub fn trace(graph: &Graph, params: &Params, input: &[i64]) -> Result<Trace> {
    check_input(graph, input)?;
    let mut values: Vec<Vec<i64>> = vec![Vec::new(); graph.g.node_bound()];
    for n in graph.order() {
        let node = &graph.g[n];
        let out = match &node.kind {
            NodeKind::Input => input.to_vec(),
            NodeKind::Fork { .. } => {
                let src = graph.producers(n)[0];
                values[src.index()].clone()
            }
            NodeKind::Layer { op, .. } => {
                let ins: Vec<&[i64]> = graph
                    .producers(n)
                    .into_iter()
                    .map(|p| values[p.index()].as_slice())
                    .collect();
                op.op().reference(node, &ins, params.get(&node.name))
            }
        };
        values[n.index()] = out;
    }
    Ok(Trace { values })
}

/// Runs one frame and returns the model output only.
pub fn run(graph: &Graph, params: &Params, input: &[i64]) -> Result<Vec<i64>> {
    let t = trace(graph, params, input)?;
    Ok(t.values
        .into_iter()
        .nth(graph.output.index())
        .unwrap_or_default())
}

/// `frames` seeded random input frames, uniform over the input type (the test vectors of
/// every simulation): frame `i` comes from SplitMix64 seeded with `seed ^ fnv1a64("input") + i`.
pub fn random_inputs(graph: &Graph, seed: u64, frames: usize) -> Vec<Vec<i64>> {
    (0..frames).map(|i| random_input(graph, seed, i)).collect()
}

/// Frame `i` of [`random_inputs`].
pub fn random_input(graph: &Graph, seed: u64, i: usize) -> Vec<i64> {
    use crate::weights::generate::{SplitMix64, fnv1a64};
    let t = graph.g[graph.input].out;
    let mut r = SplitMix64::new((seed ^ fnv1a64("input")).wrapping_add(i as u64));
    (0..t.shape.elems()).map(|_| r.value(t.ty)).collect()
}
