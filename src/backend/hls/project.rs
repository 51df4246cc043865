//! The HLS project files: layer headers, top function, testbench, Tcl, Makefile, README and
//! the embedded layer library.

use crate::board::Board;
use crate::fold::Design;
use crate::fold::candidates::Candidate;
use crate::ir::Graph;
use crate::lower::plan::{EdgePlan, Plan};
use crate::ops::{LayerOp, Node, NodeKind};
use crate::stage::{HlsArray, HwCtx, glue, render};
use crate::weights::Params;
use askama::Template;
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use std::collections::BTreeMap;

/// A constant array with its initialiser rendered.
pub struct ArrayView<'a> {
    /// Element type.
    pub ty: &'a str,
    /// Name.
    pub name: &'a str,
    /// Dimensions.
    pub dims: &'a [u64],
    /// Brace initialiser.
    pub init: String,
    /// Pragmas.
    pub pragmas: &'a [String],
}

#[derive(Template)]
#[template(path = "hls/layer.h", escape = "none")]
struct LayerTpl<'a> {
    name: &'a str,
    /// The layer's number in the top (template argument of units with static state).
    id: usize,
    summary: String,
    /// The layer function's input streams: name and width, by port.
    inputs: Vec<(&'static str, u64)>,
    out_width: u64,
    arrays: Vec<ArrayView<'a>>,
    streams: &'a [crate::stage::LocalStream],
    calls: &'a [String],
}

/// One stream of the top function.
pub struct StreamDecl {
    /// Variable name.
    pub name: String,
    /// Label for simulation messages.
    pub label: String,
    /// Width in bits.
    pub width: u64,
    /// FIFO depth.
    pub depth: u64,
}

impl StreamDecl {
    /// The `BIND_STORAGE` implementation of the FIFO, by the same rule as the cost model and
    /// the RTL ([`super::check_storage::fifo_impl`]: shift registers for the depth-2
    /// channels, block RAM or LUTRAM for a sized FIFO).
    pub fn storage(&self) -> &'static str {
        super::check_storage::fifo_impl(self.depth, self.width)
    }
}

#[derive(Template)]
#[template(path = "hls/top.cpp", escape = "none")]
struct TopTpl<'a> {
    name: &'a str,
    layers: Vec<String>,
    streams: Vec<StreamDecl>,
    calls: Vec<String>,
}

/// Facts about the model's input and output streams, shared by several templates.
#[derive(Debug, Clone)]
pub struct Io {
    /// Input elements per beat.
    pub in_par: u32,
    /// Input element bits.
    pub in_bits: u32,
    /// Input signed.
    pub in_signed: bool,
    /// Input beats per frame.
    pub in_words: u64,
    /// Output elements per beat.
    pub out_par: u32,
    /// Output element bits.
    pub out_bits: u32,
    /// Output signed.
    pub out_signed: bool,
    /// Output beats per frame.
    pub out_words: u64,
}

#[derive(Template)]
#[template(path = "hls/top.h", escape = "none")]
struct TopHeaderTpl<'a> {
    name: &'a str,
    board: &'a str,
    part: &'a str,
    in_shape: String,
    in_type: String,
    out_shape: String,
    out_type: String,
    in_par: u32,
    in_words: u64,
    in_bits: u32,
    in_signed: u8,
    in_axw: u64,
    out_par: u32,
    out_words: u64,
    out_bits: u32,
    out_signed: u8,
    out_axw: u64,
}

/// The AXI-Stream TDATA width for `bits` of payload: the next of 8, 16, 32, 64, ... bits, the
/// widths an AXI DMA and the AXI-Stream infrastructure offer (PG021, PG085); the payload sits
/// in the low bits, the rest is zero (docs/hls.md, "AXI-Stream ports").
fn axw(bits: u64) -> u64 {
    bits.max(8).next_power_of_two()
}

fn view(a: &HlsArray) -> ArrayView<'_> {
    ArrayView {
        ty: &a.ty,
        name: a.name,
        dims: &a.dims,
        init: crate::stage::arrays::nested(&a.dims, &a.values),
        pragmas: &a.pragmas,
    }
}

/// The stream names of an edge: producer side and (when a converter sits between) consumer
/// side.
fn edge_names(p: &EdgePlan) -> (String, String) {
    let base = format!("s_{}", p.ident);
    (base.clone(), format!("{base}_c"))
}

/// Renders every file of the `hls/` directory (paths relative to it).
pub fn files(
    graph: &Graph,
    design: &Design,
    params: &Params,
    board: &Board,
) -> (Vec<(String, String)>, Io) {
    let name = graph.name.as_str();
    let plan = Plan::new(graph, design);
    let io = io_facts(graph, &plan);
    let mut top = TopBody::new(graph, &plan, &io);
    let mut out: Vec<(String, String)> = Vec::new();
    let chosen = design.chosen_by_node();
    for n in graph.order() {
        let Some(header) = top.add_node(n, &chosen, params, &io, &design.hw) else {
            continue;
        };
        out.push(header);
    }
    top.calls
        .push(glue::axis_out_call(io.out_words, io.out_par, io.out_bits));
    out.push((format!("src/{name}.cpp"), top.render(name)));
    out.push((format!("src/{name}.h"), top_header(graph, board, &io)));
    for (path, text) in crate::stage::library::HLS {
        out.push((path.to_string(), text.to_string()));
    }
    (out, io)
}

/// The facts of the model's input and output streams under `plan`.
fn io_facts(graph: &Graph, plan: &Plan) -> Io {
    let in_t = graph.g[graph.input].out;
    let out_t = graph.g[graph.output].out;
    Io {
        in_par: plan.in_par,
        in_bits: in_t.ty.bits,
        in_signed: in_t.ty.signed && in_t.ty.bits > 1,
        in_words: plan.in_words(graph),
        out_par: plan.out_par,
        out_bits: out_t.ty.bits,
        out_signed: out_t.ty.signed && out_t.ty.bits > 1,
        out_words: plan.out_words(graph),
    }
}

/// The top function as it is assembled in dataflow order: its streams, the calls that connect
/// them, and the layers whose headers it includes.
struct TopBody<'a> {
    graph: &'a Graph,
    plan: &'a Plan,
    streams: Vec<StreamDecl>,
    calls: Vec<String>,
    layers: Vec<String>,
    /// The width converter calls not placed yet, by edge: each runs right before the edge's
    /// consumer, so C simulation follows the dataflow order.
    converters: BTreeMap<EdgeIndex, String>,
}

impl<'a> TopBody<'a> {
    /// The streams of every edge (plus a converted stream where the widths differ) and of the
    /// output, before any call.
    fn new(graph: &'a Graph, plan: &'a Plan, io: &Io) -> Self {
        let mut top = TopBody {
            graph,
            plan,
            streams: Vec::new(),
            calls: Vec::new(),
            layers: Vec::new(),
            converters: BTreeMap::new(),
        };
        for e in graph.g.edge_indices() {
            top.add_edge(e);
        }
        let out_bits = graph.g[graph.output].out.ty.bits;
        top.add_stream(
            "s_output".into(),
            "output".into(),
            (io.out_par * out_bits) as u64,
            2,
        );
        top
    }

    /// Declares a stream.
    fn add_stream(&mut self, name: String, label: String, width: u64, depth: u64) {
        self.streams.push(StreamDecl {
            name,
            label,
            width,
            depth,
        });
    }

    /// The streams of edge `e`: one, or, when a width converter sits between, the producer's
    /// (of the default depth) and the converted one (with the edge's FIFO depth).
    fn add_edge(&mut self, e: EdgeIndex) {
        let p = self.plan.edge(e);
        let (a, b) = edge_names(p);
        if !p.converts() {
            self.add_stream(a, p.label.clone(), p.dst_width(), p.stream.depth);
            return;
        }
        self.add_stream(a.clone(), p.label.clone(), p.src_width(), 2);
        let label = format!("{} (converted)", p.label);
        self.add_stream(b.clone(), label, p.dst_width(), p.stream.depth);
        let (pi, po) = (p.stream.src_par, p.stream.dst_par);
        let elems = (p.tensor.shape.elems(), p.tensor.ty.bits);
        let call = glue::dwc_call(elems, (pi, po), p.padded_rows(), &a, &b);
        self.converters.insert(e, call);
    }

    /// The stream a consumer of edge `e` reads: the converted one when the widths differ.
    fn consumer_side(&self, e: EdgeIndex) -> String {
        let p = self.plan.edge(e);
        let (a, b) = edge_names(p);
        if p.converts() { b } else { a }
    }

    /// The calls of node `n`, after the width converters of its inputs; for a layer also its
    /// header file (path and text), None for other nodes and a layer without a candidate.
    fn add_node(
        &mut self,
        n: NodeIndex,
        chosen: &BTreeMap<NodeIndex, &Candidate>,
        params: &Params,
        io: &Io,
        hw: &HwCtx,
    ) -> Option<(String, String)> {
        let graph = self.graph;
        let node = &graph.g[n];
        let outs: Vec<String> = if n == graph.output {
            vec!["s_output".into()]
        } else {
            Plan::outgoing(graph, n)
                .into_iter()
                .map(|e| edge_names(self.plan.edge(e)).0)
                .collect()
        };
        let incoming = Plan::incoming(graph, n);
        let ins: Vec<String> = incoming.iter().map(|&e| self.consumer_side(e)).collect();
        for e in &incoming {
            if let Some(c) = self.converters.remove(e) {
                self.calls.push(c);
            }
        }
        match &node.kind {
            NodeKind::Input => {
                let call = glue::axis_in_call(io.in_words, io.in_par, io.in_bits, &outs[0]);
                self.calls.push(call);
                None
            }
            NodeKind::Fork { .. } => {
                self.add_fork(node, incoming[0], &ins[0], &outs);
                None
            }
            NodeKind::Layer { op, .. } => {
                let cand = chosen.get(&n)?;
                let id = self.layers.len();
                self.layers.push(node.name.clone());
                let (name, ins) = (&node.name, ins.join(", "));
                self.calls
                    .push(format!("layer_{name}({ins}, {});", outs[0]));
                let path = format!("src/layers/{name}.h");
                Some((path, layer_header(node, id, op, cand, params, hw)))
            }
        }
    }

    /// The chain of copy calls of a fork reading `input` (edge `e`) and the streams between
    /// them.
    fn add_fork(&mut self, node: &Node, e: EdgeIndex, input: &str, outs: &[String]) {
        let p = self.plan.edge(e);
        let (par, row) = (p.stream.dst_par as u64, p.stream.dst_row);
        let words = glue::words(node.out.shape.elems(), par, row);
        let fork = glue::fork_calls(&node.name, input, outs, words, p.dst_width());
        for (chain, width) in fork.streams {
            self.add_stream(chain.clone(), chain, width, 2);
        }
        self.calls.extend(fork.calls);
    }

    /// The top function's source.
    fn render(self, name: &str) -> String {
        render(&TopTpl {
            name,
            layers: self.layers,
            streams: self.streams,
            calls: self.calls.iter().map(|c| process_call(c)).collect(),
        })
    }
}

/// A unit or glue call as a dataflow process of its region (`HALF_PROCESS`, hls/include/half/
/// sim.h: the call itself for Vitis, a coroutine for the cycle simulation); a layer's call in
/// the top and an `#error` stay as they are (a layer function is a region of its own).
fn process_call(call: &str) -> String {
    if call.starts_with("layer_") || call.starts_with('#') {
        return call.to_string();
    }
    format!("HALF_PROCESS({});", call.trim_end_matches(';'))
}

/// The header of a layer, number `id` in the top: its arrays, internal streams and unit calls
/// under candidate `cand`.
/// Its summary line names the fold's styles and where the estimate put the line buffer and the
/// matrix unit's input buffer (the static checks compare the code's bindings with them).
fn layer_header(
    node: &Node,
    id: usize,
    op: &LayerOp,
    cand: &Candidate,
    params: &Params,
    hw: &HwCtx,
) -> String {
    let stage = op.op().hls(node, &cand.fold, params.get(&node.name), hw);
    // Where the estimate put the memories the library binds per unit.
    let stores: String = cand
        .cost
        .units
        .iter()
        .filter_map(|u| match (u.kind, u.store) {
            ("swg", Some(s)) => Some(format!(", line buffer in {s}")),
            ("mvu", Some(s)) => Some(format!(", input buffer in {s}")),
            _ => None,
        })
        .collect();
    let inputs = node
        .inputs
        .iter()
        .enumerate()
        .map(|(port, t)| {
            let par = op.op().port_in_par(node, &cand.fold, port);
            (crate::stage::input_name(port), (par * t.ty.bits) as u64)
        })
        .collect();
    let fold = &cand.fold;
    render(&LayerTpl {
        name: &node.name,
        id,
        summary: format!(
            "{} {} -> {}, PE {}, SIMD {}, {} multipliers, {} memory{}",
            op.kind(),
            node.inputs[0].shape,
            node.out.shape,
            fold.pe,
            fold.simd,
            fold.mult.name(),
            fold.mem.name(),
            if fold.scale == crate::cost::ScaleStyle::Lut {
                ", constant scales by shift-adds"
            } else {
                ""
            }
        ) + &stores,
        inputs,
        out_width: (cand.out_par * node.out.ty.bits) as u64,
        arrays: stage.arrays.iter().map(view).collect(),
        streams: &stage.streams,
        calls: &stage
            .calls
            .iter()
            .map(|c| process_call(c))
            .collect::<Vec<_>>(),
    })
}

/// The top function's header: the board, the model's input and output and their AXI-Stream
/// widths.
fn top_header(graph: &Graph, board: &Board, io: &Io) -> String {
    let in_t = graph.g[graph.input].out;
    let out_t = graph.g[graph.output].out;
    render(&TopHeaderTpl {
        name: &graph.name,
        board: &board.name,
        part: &board.part,
        in_shape: in_t.shape.to_string(),
        in_type: in_t.ty.to_string(),
        out_shape: out_t.shape.to_string(),
        out_type: out_t.ty.to_string(),
        in_par: io.in_par,
        in_words: io.in_words,
        in_bits: io.in_bits,
        in_signed: u8::from(io.in_signed),
        in_axw: axw((io.in_par * io.in_bits) as u64),
        out_par: io.out_par,
        out_words: io.out_words,
        out_bits: io.out_bits,
        out_signed: u8::from(io.out_signed),
        out_axw: axw((io.out_par * io.out_bits) as u64),
    })
}
