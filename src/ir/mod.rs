//! The graph IR: a petgraph `StableDiGraph` whose nodes are stages (the model input, layers,
//! stream forks) and whose edges are tensors. Built from a validated model by small passes
//! (see `passes`).

mod passes;

use crate::error::Result;
use crate::format::Tensor;
use crate::model::Model;
use crate::ops::{Node, NodeKind};
use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableDiGraph};
use petgraph::visit::{EdgeIndexable, EdgeRef};

/// An edge: the tensor flowing from producer to consumer, into input `port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// The tensor.
    pub tensor: Tensor,
    /// Consumer input index.
    pub port: usize,
}

/// The dataflow graph of one model.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Nodes and edges.
    pub g: StableDiGraph<Node, Edge>,
    /// The input node.
    pub input: NodeIndex,
    /// The node whose output is the model output.
    pub output: NodeIndex,
    /// Model name.
    pub name: String,
}

impl Graph {
    /// Nodes in a topological order (the order they were added: inputs always come first).
    pub fn order(&self) -> Vec<NodeIndex> {
        // One allocation (the stable graph's indices come without a length: a plain collect
        // grows the vector several times, on every pipeline evaluation of the folding search).
        let mut order = Vec::with_capacity(self.g.node_count());
        order.extend(self.g.node_indices());
        order
    }

    /// Layer nodes in topological order.
    pub fn layers(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.g
            .node_indices()
            .filter(|&n| matches!(self.g[n].kind, NodeKind::Layer { .. }))
    }

    /// Producers of `n`, by port.
    pub fn producers(&self, n: NodeIndex) -> Vec<NodeIndex> {
        let mut e: Vec<_> = self
            .g
            .edges_directed(n, Direction::Incoming)
            .map(|e| (e.weight().port, e.source()))
            .collect();
        e.sort();
        e.into_iter().map(|(_, s)| s).collect()
    }

    /// The first of [`Graph::producers`], without building the list (the folding search asks
    /// on every pipeline evaluation).
    pub fn first_producer(&self, n: NodeIndex) -> Option<NodeIndex> {
        self.g
            .edges_directed(n, Direction::Incoming)
            .map(|e| (e.weight().port, e.source()))
            .min()
            .map(|(_, s)| s)
    }

    /// The first of [`Graph::consumers`], without building the list.
    pub fn first_consumer(&self, n: NodeIndex) -> Option<NodeIndex> {
        self.g.neighbors_directed(n, Direction::Outgoing).min()
    }

    /// Consumers of `n`, in node order.
    pub fn consumers(&self, n: NodeIndex) -> Vec<NodeIndex> {
        let mut c: Vec<_> = self
            .g
            .edges_directed(n, Direction::Outgoing)
            .map(|e| e.target())
            .collect();
        c.sort();
        c
    }

    /// Edges from `a` into `b` (more than one when a layer reads one tensor on two ports).
    fn parallel_edges(&self, a: NodeIndex, b: NodeIndex) -> usize {
        self.g.edges_connecting(a, b).count()
    }

    /// The edge's name in reports and options: `producer->consumer`, with `[port]` appended
    /// when the producer feeds several ports of the consumer.
    pub fn edge_label(&self, e: EdgeIndex) -> String {
        let Some((a, b)) = self.g.edge_endpoints(e) else {
            return String::new();
        };
        let base = format!("{}->{}", self.g[a].name, self.g[b].name);
        if self.parallel_edges(a, b) > 1 {
            format!("{base}[{}]", self.g[e].port)
        } else {
            base
        }
    }

    /// Identifiers for every edge (by edge index) for generated code: `producer__consumer`,
    /// `_<port>` appended where the producer feeds several ports of the consumer, and the
    /// edge index appended to any that would still clash (layer names may contain `__`).
    pub fn edge_idents(&self) -> Vec<String> {
        let mut out = vec![String::new(); self.g.edge_bound()];
        let mut count: std::collections::BTreeMap<String, usize> = Default::default();
        for e in self.g.edge_indices() {
            let Some((a, b)) = self.g.edge_endpoints(e) else {
                continue;
            };
            let mut id = format!("{}__{}", self.g[a].name, self.g[b].name);
            if self.parallel_edges(a, b) > 1 {
                id = format!("{id}_{}", self.g[e].port);
            }
            *count.entry(id.clone()).or_default() += 1;
            out[e.index()] = id;
        }
        for e in self.g.edge_indices() {
            let id = &mut out[e.index()];
            if count.get(id.as_str()).is_some_and(|&c| c > 1) {
                *id = format!("{id}_e{}", e.index());
            }
        }
        let live: Vec<&String> = self.g.edge_indices().map(|e| &out[e.index()]).collect();
        let distinct: std::collections::BTreeSet<&&String> = live.iter().collect();
        if distinct.len() < live.len() {
            // Names built to clash even so: fall back to the edge indices alone.
            return (0..out.len()).map(|i| format!("edge{i}")).collect();
        }
        out
    }

    /// A copy whose derived requantisers are the cheapest ones (scale 1, shift 0; both of an
    /// add's or a concat's scales 1): calibration and a weights file change only derived requantisers, so
    /// no layer of this copy costs more than in the graph that will be folded.
    pub fn with_unit_requant(&self) -> Result<Graph> {
        let mut out = self.clone();
        for n in self.layers() {
            let node = &mut out.g[n];
            if !node.requant_derived {
                continue;
            }
            if let Some(r) = &mut node.requant {
                r.scale = vec![1; r.scale.len()];
                r.shift = vec![0];
            }
            node.refresh_acc()?;
        }
        Ok(out)
    }

    /// The node of layer `name`.
    pub fn find(&self, name: &str) -> Option<NodeIndex> {
        self.g.node_indices().find(|&n| self.g[n].name == name)
    }
}

/// Builds the graph of a validated model: shape inference, requantisation, exact accumulator
/// widths, forks for multi-consumer tensors.
pub fn build(model: &Model) -> Result<Graph> {
    passes::build(model)
}
