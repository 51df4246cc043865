//! The HLS project files: layer headers, top function, testbench, Tcl, Makefile, README and
//! the embedded layer library.

use crate::board::Board;
use crate::fold::Design;
use crate::ir::Graph;
use crate::lower::plan::{EdgePlan, Plan};
use crate::ops::NodeKind;
use crate::stage::{HlsArray, glue, render};
use crate::weights::Params;
use askama::Template;
use petgraph::stable_graph::{EdgeIndex, NodeIndex};

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
    summary: String,
    /// The layer function's input streams: name and width, by port.
    inputs: Vec<(&'static str, u64)>,
    out_width: u64,
    arrays: Vec<ArrayView<'a>>,
    streams: &'a [(String, u64)],
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
    /// The `BIND_STORAGE` implementation of a sized FIFO, by the same rule as the cost model
    /// and the RTL ([`crate::stage::glue::fifo_in_bram`]); `None` for the default depth-2
    /// channels, which Vitis HLS builds from shift registers.
    pub fn storage(&self) -> Option<&'static str> {
        if self.depth <= 2 {
            None
        } else if crate::stage::glue::fifo_in_bram(self.depth, self.width) {
            Some("bram")
        } else {
            Some("lutram")
        }
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

fn axw(bits: u64) -> u64 {
    bits.div_ceil(8).max(1) * 8
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
    let g = &graph.g;
    let plan = Plan::new(graph, design);
    let mut out: Vec<(String, String)> = Vec::new();
    let mut streams: Vec<StreamDecl> = Vec::new();
    let mut calls: Vec<String> = Vec::new();
    let mut layers = Vec::new();
    // Streams: every edge, plus a converter stream where the widths differ (its converter
    // runs right before the consumer, so C simulation follows the dataflow order).
    let mut dwc_calls: std::collections::BTreeMap<EdgeIndex, String> = Default::default();
    for e in g.edge_indices() {
        let p = plan.edge(e);
        let (a, b) = edge_names(p);
        if !p.converts() {
            streams.push(StreamDecl {
                name: a,
                label: p.label.clone(),
                width: p.dst_width(),
                depth: p.stream.depth,
            });
        } else {
            streams.push(StreamDecl {
                name: a.clone(),
                label: p.label.clone(),
                width: p.src_width(),
                depth: 2,
            });
            streams.push(StreamDecl {
                name: b.clone(),
                label: format!("{} (converted)", p.label),
                width: p.dst_width(),
                depth: p.stream.depth,
            });
            let (pi, po) = (p.stream.src_par, p.stream.dst_par);
            dwc_calls.insert(e, glue::dwc_call(&p.tensor, (pi, po), &a, &b));
        }
    }
    let consumer_side = |e: EdgeIndex| {
        let p = plan.edge(e);
        let (a, b) = edge_names(p);
        if p.converts() { b } else { a }
    };
    let outgoing = |n: NodeIndex| Plan::outgoing(graph, n);
    let incoming = |n: NodeIndex| Plan::incoming(graph, n);
    let out_node = graph.output;
    let out_t = g[out_node].out;
    let in_t = g[graph.input].out;
    let io = Io {
        in_par: plan.in_par,
        in_bits: in_t.ty.bits,
        in_signed: in_t.ty.signed && in_t.ty.bits > 1,
        in_words: plan.in_words(graph),
        out_par: plan.out_par,
        out_bits: out_t.ty.bits,
        out_signed: out_t.ty.signed && out_t.ty.bits > 1,
        out_words: plan.out_words(graph),
    };
    streams.push(StreamDecl {
        name: "s_output".into(),
        label: "output".into(),
        width: (io.out_par * out_t.ty.bits) as u64,
        depth: 2,
    });
    let by_layer: std::collections::BTreeMap<NodeIndex, usize> = design
        .spaces
        .iter()
        .enumerate()
        .map(|(i, s)| (s.node, i))
        .collect();
    for n in graph.order() {
        let node = &g[n];
        let outs: Vec<String> = if n == out_node {
            vec!["s_output".into()]
        } else {
            outgoing(n)
                .into_iter()
                .map(|e| edge_names(plan.edge(e)).0)
                .collect()
        };
        let ins: Vec<String> = incoming(n).into_iter().map(consumer_side).collect();
        for e in incoming(n) {
            if let Some(c) = dwc_calls.remove(&e) {
                calls.push(c);
            }
        }
        match &node.kind {
            NodeKind::Input => calls.push(glue::axis_in_call(
                io.in_words,
                io.in_par,
                io.in_bits,
                &outs[0],
            )),
            NodeKind::Fork { .. } => {
                let p = plan.edge(incoming(n)[0]);
                let words = node.out.shape.elems() / p.stream.dst_par.max(1) as u64;
                let fork = glue::fork_calls(&node.name, &ins[0], &outs, words, p.dst_width());
                for (chain, width) in fork.streams {
                    streams.push(StreamDecl {
                        name: chain.clone(),
                        label: chain,
                        width,
                        depth: 2,
                    });
                }
                calls.extend(fork.calls);
            }
            NodeKind::Layer { op, .. } => {
                let Some(&si) = by_layer.get(&n) else {
                    continue;
                };
                let cand = &design.spaces[si].list.cands[design.selection[si]];
                let stage = op.op().hls(node, &cand.fold, params.get(&node.name));
                let arrays: Vec<ArrayView> = stage.arrays.iter().map(view).collect();
                let inputs = node
                    .inputs
                    .iter()
                    .enumerate()
                    .map(|(port, t)| {
                        let par = op.op().port_in_par(&cand.fold, port);
                        (crate::stage::input_name(port), (par * t.ty.bits) as u64)
                    })
                    .collect();
                let tpl = LayerTpl {
                    name: &node.name,
                    summary: format!(
                        "{} {} -> {}, PE {}, SIMD {}, {} multipliers, {} memory",
                        op.kind(),
                        node.inputs[0].shape,
                        node.out.shape,
                        cand.fold.pe,
                        cand.fold.simd,
                        cand.fold.mult.name(),
                        cand.fold.mem.name()
                    ),
                    inputs,
                    out_width: (cand.out_par * node.out.ty.bits) as u64,
                    arrays,
                    streams: &stage.streams,
                    calls: &stage.calls,
                };
                out.push((format!("src/layers/{}.h", node.name), render(&tpl)));
                layers.push(node.name.clone());
                calls.push(format!(
                    "layer_{}({}, {});",
                    node.name,
                    ins.join(", "),
                    outs[0]
                ));
            }
        }
    }
    calls.push(glue::axis_out_call(io.out_words, io.out_par, io.out_bits));
    out.push((
        format!("src/{name}.cpp"),
        render(&TopTpl {
            name,
            layers,
            streams,
            calls,
        }),
    ));
    out.push((
        format!("src/{name}.h"),
        render(&TopHeaderTpl {
            name,
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
        }),
    ));
    for (path, text) in crate::stage::library::HLS {
        out.push((path.to_string(), text.to_string()));
    }
    (out, io)
}
