//! The Verilog backend: a top module wiring the hand-written stages of hls/rtl/ (one instance
//! chain per layer, FIFOs with the depths half-gen sized, forks, width converters, AXI-Stream
//! ports), the constant memories as `$readmemh` files, and a Verilator testbench.

pub mod top;

/// A library file: its name and its text, embedded from hls/rtl/.
macro_rules! lib {
    ($f:literal) => {
        ($f, include_str!(concat!("../../../hls/rtl/", $f)))
    };
}

use crate::fold::Design;
use crate::fold::pipeline::EdgeStream;
use crate::ir::Graph;
use crate::ops::NodeKind;
use crate::stage::netlist::{Channel, Instance, Netlist, TOP_IN, TOP_OUT};
use crate::weights::Params;
use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

/// The netlist of the pipeline: the input adapter, every layer's stages, a FIFO (after a width
/// converter when the widths differ) on every edge, forks and the output adapter; and the
/// memory files when `params` is given. Err names a layer kind without an RTL stage.
pub fn netlist(
    graph: &Graph,
    design: &Design,
    params: Option<&Params>,
) -> Result<(Netlist, Vec<(String, String)>), String> {
    let g = &graph.g;
    let mut net = Netlist::default();
    let mut mems = Vec::new();
    let plan = |e: EdgeIndex| -> EdgeStream {
        design.pipeline.edges[e.index()].unwrap_or(EdgeStream {
            src_par: 1,
            dst_par: 1,
            depth: 2,
        })
    };
    let by_layer: std::collections::BTreeMap<NodeIndex, usize> = design
        .spaces
        .iter()
        .enumerate()
        .map(|(i, s)| (s.node, i))
        .collect();
    let idents = graph.edge_idents();
    let edge_name = |e: EdgeIndex| format!("e_{}", idents[e.index()]);
    let incoming = |n: NodeIndex| -> Vec<EdgeIndex> {
        let mut v: Vec<(usize, EdgeIndex)> = g
            .edges_directed(n, Direction::Incoming)
            .map(|e| (e.weight().port, e.id()))
            .collect();
        v.sort();
        v.into_iter().map(|x| x.1).collect()
    };
    let outgoing = |n: NodeIndex| -> Vec<EdgeIndex> {
        let mut v: Vec<(NodeIndex, EdgeIndex)> = g
            .edges_directed(n, Direction::Outgoing)
            .map(|e| (e.target(), e.id()))
            .collect();
        v.sort();
        v.into_iter().map(|x| x.1).collect()
    };
    let out_node = graph.output;
    let out_t = g[out_node].out;
    let out_par = design.pipeline.times[out_node.index()].map_or(1, |t| t.out_par);
    let in_t = g[graph.input].out;
    let in_par = design.pipeline.times[graph.input.index()].map_or(1, |t| t.out_par);
    net.out_words = out_t.shape.elems() / out_par as u64;
    net.in_words = in_t.shape.elems() / in_par as u64;
    net.channels.push(Channel {
        name: "result".into(),
        width: (out_par * out_t.ty.bits) as u64,
    });
    // The glue of one edge: producer channel -> [width converter] -> FIFO -> consumer channel.
    let edge_glue = |e: EdgeIndex, net: &mut Netlist| {
        let p = plan(e);
        let bits = g[e].tensor.ty.bits as u64;
        let n = edge_name(e);
        let (pw, cw) = (p.src_par as u64 * bits, p.dst_par as u64 * bits);
        net.channels.push(Channel {
            name: format!("{n}_p"),
            width: pw,
        });
        net.channels.push(Channel {
            name: format!("{n}_c"),
            width: cw,
        });
        let mut src = format!("{n}_p");
        if p.src_par != p.dst_par {
            net.channels.push(Channel {
                name: format!("{n}_w"),
                width: cw,
            });
            net.instances.push(
                Instance::new("half_dwc", format!("dwc_{n}"), "glue")
                    .int("N", g[e].tensor.shape.elems() as i64)
                    .int("B", bits as i64)
                    .int("PI", p.src_par)
                    .int("PO", p.dst_par)
                    .io(&[&src], &[&format!("{n}_w")]),
            );
            src = format!("{n}_w");
        }
        let style = if crate::stage::glue::fifo_in_bram(p.depth, cw) {
            "block"
        } else {
            "distributed"
        };
        net.edge_fifos.push((e.index(), net.instances.len()));
        net.instances.push(
            Instance::new("half_fifo", format!("fifo_{n}"), "glue")
                .int("W", cw as i64)
                .int("DEPTH", p.depth as i64)
                .str("RAM_STYLE", style)
                .io(&[&src], &[&format!("{n}_c")]),
        );
        net.monitors.push(format!("{n}_c"));
    };
    for n in graph.order() {
        let node = &g[n];
        let out = if n == out_node {
            "result".to_string()
        } else {
            outgoing(n)
                .first()
                .map(|&e| format!("{}_p", edge_name(e)))
                .unwrap_or_default()
        };
        let ins: Vec<String> = incoming(n)
            .iter()
            .map(|&e| format!("{}_c", edge_name(e)))
            .collect();
        match &node.kind {
            NodeKind::Input => {
                net.instances.push(
                    Instance::new("half_axis_in", "axis_in", "glue")
                        .int("W", (in_par * in_t.ty.bits) as i64)
                        .io(&[TOP_IN], &[&out]),
                );
            }
            NodeKind::Fork { .. } => {
                let outs: Vec<String> = outgoing(n)
                    .iter()
                    .map(|&e| format!("{}_p", edge_name(e)))
                    .collect();
                let w = plan(incoming(n)[0]).dst_par as u64 * node.out.ty.bits as u64;
                let refs: Vec<&str> = outs.iter().map(|s| s.as_str()).collect();
                net.instances.push(
                    Instance::new("half_fork", format!("fork_{}", node.name), "glue")
                        .int("W", w as i64)
                        .int("WAYS", outs.len() as i64)
                        .io(&[&ins[0]], &refs),
                );
            }
            NodeKind::Layer { op, .. } => {
                let Some(&si) = by_layer.get(&n) else {
                    continue;
                };
                let cand = &design.spaces[si].list.cands[design.selection[si]];
                let ctx = crate::stage::RtlCtx {
                    name: &node.name,
                    inputs: &ins,
                    output: &out,
                };
                let lp = params.map(|p| p.get(&node.name));
                let Some(stage) = op.op().rtl(node, &cand.fold, lp, &ctx) else {
                    return Err(op.kind().to_string());
                };
                net.channels.extend(stage.channels);
                net.instances.extend(stage.instances);
                mems.extend(stage.mems.into_iter().map(|(f, t)| (format!("mem/{f}"), t)));
            }
        }
        for e in outgoing(n) {
            edge_glue(e, &mut net);
        }
    }
    net.instances.push(
        Instance::new("half_axis_out", "axis_out", "glue")
            .int("WORDS", net.out_words as i64)
            .int("W", (out_par * out_t.ty.bits) as i64)
            .io(&["result"], &[TOP_OUT]),
    );
    Ok((net, mems))
}

/// The RTL files (paths relative to `rtl/`), or the name of a layer kind the backend cannot
/// generate yet.
pub fn emit(
    graph: &Graph,
    design: &Design,
    params: &Params,
    inputs: &str,
    expected: &str,
) -> Result<Vec<(String, String)>, String> {
    let g = &graph.g;
    let name = &graph.name;
    let (net, mut files) = netlist(graph, design, Some(params))?;
    let out_t = g[graph.output].out;
    let out_par = design.pipeline.times[graph.output.index()].map_or(1, |t| t.out_par);
    let in_t = g[graph.input].out;
    let in_par = design.pipeline.times[graph.input.index()].map_or(1, |t| t.out_par);
    let (in_w, out_w) = (
        (in_par * in_t.ty.bits) as u64,
        (out_par * out_t.ty.bits) as u64,
    );
    files.push((
        format!("{name}_top.v"),
        top::render(&net, name, in_w, out_w),
    ));
    files.push((
        "stages.json".into(),
        serde_json::to_string_pretty(&net).unwrap_or_default() + "\n",
    ));
    let idents = graph.edge_idents();
    let labels: std::collections::BTreeMap<String, String> = g
        .edge_indices()
        .map(|e| (format!("e_{}_c", idents[e.index()]), graph.edge_label(e)))
        .collect();
    let names: Vec<String> = net
        .monitors
        .iter()
        .map(|m| format!("\"{}\"", labels.get(m).map_or(m.as_str(), String::as_str)))
        .collect();
    let tb = TbTpl {
        name,
        in_par,
        in_bits: in_t.ty.bits,
        in_words: net.in_words,
        out_par,
        out_bits: out_t.ty.bits,
        out_signed: out_t.ty.signed && out_t.ty.bits > 1,
        out_words: net.out_words,
        streams: names,
        frames: inputs.lines().count(),
    };
    files.push(("tb/tb.cpp".into(), crate::stage::render(&tb)));
    files.push(("tb/input.txt".into(), inputs.to_string()));
    files.push(("tb/expected.txt".into(), expected.to_string()));
    for (f, t) in LIBRARY {
        files.push((f.to_string(), t.to_string()));
    }
    files.sort();
    Ok(files)
}

#[derive(askama::Template)]
#[template(path = "rtl/tb.cpp", escape = "none")]
struct TbTpl<'a> {
    name: &'a str,
    in_par: u32,
    in_bits: u32,
    in_words: u64,
    out_par: u32,
    out_bits: u32,
    out_signed: bool,
    out_words: u64,
    streams: Vec<String>,
    /// Frames in the vector files.
    frames: usize,
}

/// The hand-written stages, embedded so every build is self-contained.
pub const LIBRARY: [(&str, &str); 12] = [
    lib!("half_add.v"),
    lib!("half_axis_in.v"),
    lib!("half_axis_out.v"),
    lib!("half_dwc.v"),
    lib!("half_fifo.v"),
    lib!("half_finish.v"),
    lib!("half_fork.v"),
    lib!("half_mvu.v"),
    lib!("half_pool.v"),
    lib!("half_requant.v"),
    lib!("half_swg.v"),
    lib!("half_vvu.v"),
];
