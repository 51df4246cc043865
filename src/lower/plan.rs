//! The edge plan: what every edge of a folded design becomes in hardware, the one description
//! both backends (and the netlist the schedule simulates) build their streams from.

use crate::fold::Design;
use crate::fold::pipeline::EdgeStream;
use crate::format::Tensor;
use crate::ir::Graph;
use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

/// The streams of one edge: the producer writes `src_par` elements a word, the consumer reads
/// `dst_par` (a width converter sits between when they differ), through a FIFO `depth` words
/// deep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgePlan {
    /// A unique identifier for generated names ([`Graph::edge_idents`]).
    pub ident: String,
    /// The name in reports and options ([`Graph::edge_label`]).
    pub label: String,
    /// The tensor it carries.
    pub tensor: Tensor,
    /// Parallelism and depth.
    pub stream: EdgeStream,
}

impl EdgePlan {
    /// A width converter sits between producer and consumer: the words differ in width or
    /// in where a row's short word falls ([`EdgeStream::converts`]).
    pub fn converts(&self) -> bool {
        self.stream.converts()
    }

    /// The converter's rows on the producer's side and on the consumer's, when either side
    /// pads its rows (None: a plain width converter, [`crate::stage::glue::dwc_instance`]).
    pub fn padded_rows(&self) -> Option<(u64, u64)> {
        let s = &self.stream;
        s.padded().then_some((s.src_row, s.dst_row))
    }

    /// Bits of the producer's words.
    pub fn src_width(&self) -> u64 {
        self.stream.src_par as u64 * self.tensor.ty.bits as u64
    }

    /// Bits of the consumer's words.
    pub fn dst_width(&self) -> u64 {
        self.stream.dst_par as u64 * self.tensor.ty.bits as u64
    }
}

/// The plan of a whole design: every edge's streams, the ports' parallelism, and the edges of
/// each node in the order both backends wire them.
#[derive(Debug, Clone)]
pub struct Plan {
    /// By edge index (a removed index holds an empty plan).
    pub edges: Vec<EdgePlan>,
    /// Elements per word at the accelerator's input.
    pub in_par: u32,
    /// Elements per word at the accelerator's output.
    pub out_par: u32,
}

impl Plan {
    /// The plan of `design`; an edge the folding did not plan keeps one element a word and
    /// the default depth of 2.
    pub fn new(graph: &Graph, design: &Design) -> Plan {
        let idents = graph.edge_idents();
        let empty = EdgePlan {
            ident: String::new(),
            label: String::new(),
            tensor: Tensor {
                shape: crate::format::Shape::vector(1),
                ty: crate::format::ElemType {
                    bits: 1,
                    signed: false,
                },
            },
            stream: EdgeStream::plain(1, 2),
        };
        let mut edges = vec![empty; idents.len()];
        for e in graph.g.edge_indices() {
            let stream = design
                .pipeline
                .edges
                .get(e.index())
                .copied()
                .flatten()
                .unwrap_or(EdgeStream::plain(1, 2));
            edges[e.index()] = EdgePlan {
                ident: idents[e.index()].clone(),
                label: graph.edge_label(e),
                tensor: graph.g[e].tensor,
                stream,
            };
        }
        let par = |n: NodeIndex| design.pipeline.times[n.index()].map_or(1, |t| t.out_par);
        Plan {
            edges,
            in_par: par(graph.input),
            out_par: par(graph.output),
        }
    }

    /// The plan of edge `e` (of the graph the plan was made for).
    pub fn edge(&self, e: EdgeIndex) -> &EdgePlan {
        &self.edges[e.index()]
    }

    /// The edges into `n`, by port.
    pub fn incoming(graph: &Graph, n: NodeIndex) -> Vec<EdgeIndex> {
        let mut v: Vec<(usize, EdgeIndex)> = graph
            .g
            .edges_directed(n, Direction::Incoming)
            .map(|e| (e.weight().port, e.id()))
            .collect();
        v.sort();
        v.into_iter().map(|x| x.1).collect()
    }

    /// The edges out of `n`, by consumer (then edge index).
    pub fn outgoing(graph: &Graph, n: NodeIndex) -> Vec<EdgeIndex> {
        let mut v: Vec<(NodeIndex, EdgeIndex)> = graph
            .g
            .edges_directed(n, Direction::Outgoing)
            .map(|e| (e.target(), e.id()))
            .collect();
        v.sort();
        v.into_iter().map(|x| x.1).collect()
    }

    /// Words per frame at the accelerator's input.
    pub fn in_words(&self, graph: &Graph) -> u64 {
        graph.g[graph.input].out.shape.elems() / self.in_par as u64
    }

    /// Words per frame at the accelerator's output.
    pub fn out_words(&self, graph: &Graph) -> u64 {
        graph.g[graph.output].out.shape.elems() / self.out_par as u64
    }
}
