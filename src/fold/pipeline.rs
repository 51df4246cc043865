//! The whole pipeline under one choice of folds: stream widths, width converters, forks,
//! FIFO depths, the frame-0 schedule (latency) and the bottleneck.
//!
//! Schedule (docs/cost-model.md, "Latency"): time 0 is the first input beat. A stage's k-th
//! input word arrives at `first_arrival + (k-1) * cpw_in` (the producer's cycles per word, scaled
//! through any width converter, plus one cycle for the converter and one for the FIFO). Its
//! first output leaves `depth` cycles after its `first_need`-th input word; its last output
//! leaves at the later of its own pace (`first_out + (out_words-1) * cycles/out_words`) and
//! `tail` cycles after its last input word. Stages overlap; the latency is the output stage's
//! last word plus the output register, not a sum of stage cycles.

use super::candidates::Candidate;
use crate::cost::Resources;
use crate::ir::Graph;
use crate::ops::NodeKind;
use crate::stage::glue;
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::visit::{EdgeIndexable, NodeIndexable};
use serde::Serialize;

/// A glue element of the pipeline (fork, width converter or FIFO) with its cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Glue {
    /// `fork`, `dwc`, `fifo` or `axis` (the port adapters `axis_in`, `axis_out`).
    pub kind: &'static str,
    /// Where: `producer->consumer`, or the fork's name.
    pub name: String,
    /// Cycles per frame.
    pub cycles: u64,
    /// FIFO depth in words (0 for the others).
    pub depth: u64,
    /// Stream width in bits.
    pub width: u64,
    /// Resources.
    pub res: Resources,
}

/// Per-node schedule facts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct NodeTime {
    /// Cycle of the first output word (frame 0).
    pub first_out: f64,
    /// Cycle of the last output word (frame 0).
    pub last_out: f64,
    /// Average cycles per output word.
    pub cpw: f64,
    /// Elements per output word.
    pub out_par: u32,
    /// Elements per row of the output words (`out_par` unless a row's last word is short).
    pub out_row: u64,
    /// Cycles per frame of the stage.
    pub cycles: u64,
}

/// The evaluated pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// Schedule per node index (`None` for removed indices).
    pub times: Vec<Option<NodeTime>>,
    /// Forks, converters and FIFOs.
    pub glue: Vec<Glue>,
    /// Sum of the glue's resources.
    pub glue_res: Resources,
    /// Cycles per frame of the slowest stage, glue included.
    pub cycles: u64,
    /// The slowest stage's name.
    pub bottleneck: String,
    /// First input beat to last output beat, frame 0.
    pub latency: u64,
    /// Total FIFO storage in bits.
    pub fifo_bits: u64,
    /// Per edge index: the stream plan (None for removed indices).
    pub edges: Vec<Option<EdgeStream>>,
}

/// How one tensor edge is streamed: the producer's word (elements) and row, the consumer's
/// word and row, and the FIFO depth in consumer words (a width converter sits between when
/// the words differ: [`EdgeStream::converts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeStream {
    /// Elements per producer word.
    pub src_par: u32,
    /// Elements per consumer word.
    pub dst_par: u32,
    /// Elements per producer row (`src_par` unless a row's last word is short).
    pub src_row: u64,
    /// Elements per consumer row, likewise.
    pub dst_row: u64,
    /// FIFO depth in consumer words.
    pub depth: u64,
}

impl EdgeStream {
    /// An edge of `par`-element words on both sides, never short, `depth` words deep.
    pub fn plain(par: u32, depth: u64) -> Self {
        EdgeStream {
            src_par: par,
            dst_par: par,
            src_row: par as u64,
            dst_row: par as u64,
            depth,
        }
    }

    /// Producer and consumer words differ: in width, or in where a row's short word falls.
    pub fn converts(&self) -> bool {
        converts((self.src_par, self.src_row), (self.dst_par, self.dst_row))
    }

    /// Either side's rows end in a short word (padded lanes).
    pub fn padded(&self) -> bool {
        pads((self.src_par, self.src_row), (self.dst_par, self.dst_row))
    }
}

/// Either of two `(par, row)` sides ends its rows in a short word.
fn pads((p, pr): (u32, u64), (q, qr): (u32, u64)) -> bool {
    glue::padded(p as u64, pr) || glue::padded(q as u64, qr)
}

/// A stream of `(par, row)` words on one side and `(par, row)` on the other needs a width
/// converter: the widths differ, or either side pads its rows and the rows differ.
pub fn converts((p, pr): (u32, u64), (q, qr): (u32, u64)) -> bool {
    p != q || (pads((p, pr), (q, qr)) && pr != qr)
}

/// Depth of a FIFO that only decouples two stages.
pub const MIN_FIFO_DEPTH: u64 = 2;

/// Evaluates the pipeline. `choice[i]` is the candidate of the layer at node index `i`.
pub fn evaluate(graph: &Graph, choice: &[Option<&Candidate>]) -> Pipeline {
    evaluate_with(graph, choice, true)
}

/// The figures the folding search compares (glue resources and cycles per frame), without
/// the names of the glue and of the bottleneck, which cost more than the arithmetic.
pub fn evaluate_lean(graph: &Graph, choice: &[Option<&Candidate>]) -> Pipeline {
    evaluate_with(graph, choice, false)
}

/// [`evaluate`], naming glue items and the bottleneck only when `named`.
fn evaluate_with(graph: &Graph, choice: &[Option<&Candidate>], named: bool) -> Pipeline {
    let g = &graph.g;
    let mut ev = Evaluation {
        graph,
        choice,
        times: vec![None; g.node_bound()],
        sink: GlueSink {
            named,
            items: Vec::new(),
            res: Resources::default(),
            cycles: 0,
            slowest: None,
        },
        fifo_depth: vec![MIN_FIFO_DEPTH; g.edge_bound()],
        arrivals: Vec::new(),
    };
    let mut cycles = 0u64;
    let mut bottleneck = String::new();
    for n in graph.order() {
        let node = &g[n];
        let t = match &node.kind {
            NodeKind::Input => ev.input(n),
            NodeKind::Fork { ways } => ev.fork(n, *ways),
            NodeKind::Layer { .. } => {
                let Some(c) = choice[n.index()] else { continue };
                ev.layer(n, c)
            }
        };
        if t.cycles > cycles {
            cycles = t.cycles;
            if named {
                bottleneck = node.name.to_string();
            }
        }
        ev.times[n.index()] = Some(t);
    }
    // The glue's slowest item (the first of the slowest), after the stages.
    if ev.sink.cycles > cycles {
        cycles = ev.sink.cycles;
        if let Some(i) = ev.sink.slowest {
            bottleneck = ev.sink.items[i].name.clone();
        }
    }
    let (fifo_bits, edges) = ev.fifos();
    ev.port_adapters();
    let out_time = ev.times[graph.output.index()].unwrap_or_default();
    Pipeline {
        times: ev.times,
        glue: ev.sink.items,
        glue_res: ev.sink.res,
        cycles,
        bottleneck,
        latency: out_time.last_out as u64 + 2,
        fifo_bits,
        edges,
    }
}

/// The state of one pipeline evaluation, node by node in topological order.
struct Evaluation<'a> {
    graph: &'a Graph,
    /// The candidate of the layer at each node index.
    choice: &'a [Option<&'a Candidate>],
    /// The schedule of every node evaluated so far.
    times: Vec<Option<NodeTime>>,
    sink: GlueSink,
    /// FIFO depth per edge index (the skew of a multi-input stage raises it).
    fifo_depth: Vec<u64>,
    /// Per input port of the current layer: first word's arrival, cycles per word, the edge,
    /// words per frame (reused from layer to layer).
    arrivals: Vec<(f64, f64, EdgeIndex, u64)>,
}

impl Evaluation<'_> {
    /// The input adapter: one word per cycle from time 0.
    fn input(&self, n: NodeIndex) -> NodeTime {
        let elems = self.graph.g[n].out.shape.elems();
        let par = input_par(self.graph, self.choice, n);
        let words = elems / par as u64;
        NodeTime {
            first_out: 0.0,
            last_out: (words - 1) as f64,
            cpw: 1.0,
            out_par: par,
            out_row: par as u64,
            cycles: words,
        }
    }

    /// A fork of `ways` copies: its producer's stream, one cycle later.
    fn fork(&mut self, n: NodeIndex, ways: usize) -> NodeTime {
        let node = &self.graph.g[n];
        let elems = node.out.shape.elems();
        let p = self
            .graph
            .first_producer(n)
            .and_then(|s| self.times[s.index()])
            .unwrap_or_default();
        let words = glue::words(elems, p.out_par as u64, p.out_row);
        let width = p.out_par as u64 * node.out.ty.bits as u64;
        self.sink.add(
            "fork",
            || node.name.clone(),
            words,
            0,
            width,
            glue::fork(width, ways as u64),
        );
        NodeTime {
            first_out: p.first_out + 1.0,
            last_out: p.last_out + 1.0,
            cpw: p.cpw,
            out_par: p.out_par,
            out_row: p.out_row,
            cycles: words,
        }
    }

    /// A layer with candidate `c`: its inputs' arrivals (through width converters where the
    /// words differ), its first and last output, and the skew FIFOs of its inputs.
    fn layer(&mut self, n: NodeIndex, c: &Candidate) -> NodeTime {
        let graph = self.graph;
        let tm = c.cost.timing;
        self.arrivals.clear();
        for e in graph.g.edges_directed(n, petgraph::Direction::Incoming) {
            let s = self.times[e.source().index()].unwrap_or_default();
            let tensor = e.weight().tensor;
            let (p, q) = (s.out_par as u64, c.in_par as u64);
            let mut first = s.first_out + 1.0;
            let te = tensor.shape.elems();
            let (src_words, dst_words) =
                (glue::words(te, p, s.out_row), glue::words(te, q, c.in_row));
            let cpw_in = s.cpw * src_words as f64 / dst_words as f64;
            if converts((s.out_par, s.out_row), (c.in_par, c.in_row)) {
                // The converter and the two-word queue before it (`lower::netlist`).
                let bits = tensor.ty.bits as u64;
                let (i, o) = (glue::Rows::new(p, s.out_row), glue::Rows::new(q, c.in_row));
                let res = glue::dwc_rows(i, o, tensor.ty.bits) + glue::axis_in(p * bits);
                self.sink.add(
                    "dwc",
                    || graph.edge_label(e.id()),
                    src_words.max(dst_words),
                    0,
                    p.max(q) * bits,
                    res,
                );
                // The queue's cycle and the converter's, after the producer word that
                // completes the first consumer word.
                let last = q.min(c.in_row).min(te) - 1;
                let completing = last / s.out_row * i.words + last % s.out_row / p;
                first += completing as f64 * s.cpw + 2.0;
            }
            self.arrivals.push((first, cpw_in, e.id(), dst_words));
        }
        let arrivals = &self.arrivals;
        let need = tm.first_need.max(1) as f64;
        let ready = arrivals
            .iter()
            .map(|(f, r, _, _)| f + (need - 1.0) * r)
            .fold(0.0, f64::max);
        let first_out = ready + tm.depth as f64;
        let last_in = arrivals
            .iter()
            .map(|(f, r, _, words)| f + ((*words).max(1) - 1) as f64 * r)
            .fold(0.0, f64::max);
        let own = tm.cycles as f64 / tm.out_words.max(1) as f64;
        let pace = if tm.burst { 1.0 } else { own };
        let last_out =
            (first_out + (tm.out_words.max(1) - 1) as f64 * pace).max(last_in + tm.tail as f64);
        let cpw = if tm.out_words > 1 {
            (last_out - first_out) / (tm.out_words - 1) as f64
        } else {
            own
        };
        size_skew_fifos(arrivals, &mut self.fifo_depth);
        NodeTime {
            first_out,
            last_out,
            cpw,
            out_par: c.out_par,
            out_row: c.out_row,
            cycles: tm.cycles,
        }
    }

    /// Every edge's FIFO (into the glue): the total FIFO storage in bits and, when named, the
    /// stream plan per edge index.
    fn fifos(&mut self) -> (u64, Vec<Option<EdgeStream>>) {
        let graph = self.graph;
        let g = &graph.g;
        let mut fifo_bits = 0;
        let mut edges = vec![None; if self.sink.named { g.edge_bound() } else { 0 }];
        for e in g.edge_indices() {
            let Some((s, t)) = g.edge_endpoints(e) else {
                continue;
            };
            let tensor = g[e].tensor;
            let src = self.times[s.index()].map(|x| (x.out_par, x.out_row));
            let (par, row) = match &g[t].kind {
                NodeKind::Layer { .. } => {
                    self.choice[t.index()].map_or((1, 1), |c| (c.in_par, c.in_row))
                }
                _ => src.unwrap_or((1, 1)),
            };
            let width = par as u64 * tensor.ty.bits as u64;
            let depth = self.fifo_depth[e.index()];
            fifo_bits += depth * width;
            if let Some(slot) = edges.get_mut(e.index()) {
                let (src_par, src_row) = src.unwrap_or((par, row));
                *slot = Some(EdgeStream {
                    src_par,
                    dst_par: par,
                    src_row,
                    dst_row: row,
                    depth,
                });
            }
            self.sink.add(
                "fifo",
                || graph.edge_label(e),
                0,
                depth,
                width,
                glue::fifo(depth, width),
            );
        }
        (fifo_bits, edges)
    }

    /// The AXI-Stream adapters at the accelerator's ports (`half_axis_in`, `half_axis_out`).
    fn port_adapters(&mut self) {
        let graph = self.graph;
        let g = &graph.g;
        if let Some(t) = self.times[graph.input.index()] {
            let width = t.out_par as u64 * g[graph.input].out.ty.bits as u64;
            self.sink.add(
                "axis",
                || "axis_in".into(),
                0,
                0,
                width,
                glue::axis_in(width),
            );
        }
        if let Some(t) = self.times[graph.output.index()] {
            let out = g[graph.output].out;
            let width = t.out_par as u64 * out.ty.bits as u64;
            let words = out.shape.elems() / t.out_par.max(1) as u64;
            self.sink.add(
                "axis",
                || "axis_out".into(),
                0,
                0,
                width,
                glue::axis_out(width, words),
            );
        }
    }
}

/// Collects the glue: every item when named, else only the sums the search compares.
struct GlueSink {
    named: bool,
    items: Vec<Glue>,
    res: Resources,
    /// The slowest item's cycles per frame, and its index in `items` when named.
    cycles: u64,
    slowest: Option<usize>,
}

impl GlueSink {
    fn add(
        &mut self,
        kind: &'static str,
        name: impl FnOnce() -> String,
        cycles: u64,
        depth: u64,
        width: u64,
        res: Resources,
    ) {
        self.res += res;
        if self.named {
            if cycles > self.cycles {
                self.slowest = Some(self.items.len());
            }
            self.items.push(Glue {
                kind,
                name: name(),
                cycles,
                depth,
                width,
                res,
            });
        }
        self.cycles = self.cycles.max(cycles);
    }
}

/// The input adapter emits words as wide as its (first) reader takes them.
fn input_par(graph: &Graph, choice: &[Option<&Candidate>], n: NodeIndex) -> u32 {
    let mut cur = n;
    loop {
        let Some(first) = graph.first_consumer(cur) else {
            return 1;
        };
        match &graph.g[first].kind {
            NodeKind::Fork { .. } => cur = first,
            _ => return choice[first.index()].map_or(1, |c| c.in_par),
        }
    }
}

/// A stage with several inputs (add) takes one word from each at once: the input whose words
/// arrive first must buffer the skew until the latest input's first word arrives.
fn size_skew_fifos(arrivals: &[(f64, f64, EdgeIndex, u64)], depth: &mut [u64]) {
    if arrivals.len() < 2 {
        return;
    }
    let latest = arrivals.iter().map(|a| a.0).fold(0.0, f64::max);
    for &(first, cpw, e, words) in arrivals {
        let skew_words = ((latest - first) / cpw.max(1e-9)).ceil() as u64;
        depth[e.index()] = (skew_words + MIN_FIFO_DEPTH).min(words + MIN_FIFO_DEPTH);
    }
}
