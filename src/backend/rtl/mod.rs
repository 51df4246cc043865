//! The Verilog backend: a top module wiring the hand-written stages of hls/rtl/ (one instance
//! chain per layer, FIFOs with the depths half-gen sized, forks, width converters, AXI-Stream
//! ports), the constant memories as `$readmemh` files, and a Verilator testbench.

pub mod stages;

use crate::fold::Design;
use crate::fold::pipeline::EdgeStream;
use crate::ir::{Graph, NodeKind};
use crate::ops::RtlStage;
use crate::weights::Params;
use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use std::fmt::Write;

/// A word of `elems` fields of `bits` bits as hex digits, most significant first.
pub fn hex_word(elems: &[u64], bits: u32) -> String {
    let width = (elems.len() as u32 * bits).max(1);
    let mut limbs = vec![0u64; (width as usize).div_ceil(64)];
    for (i, &e) in elems.iter().enumerate() {
        let pos = i as u32 * bits;
        let (l, o) = ((pos / 64) as usize, pos % 64);
        limbs[l] |= e << o;
        if o + bits > 64 && o > 0 {
            limbs[l + 1] |= e >> (64 - o);
        }
    }
    let digits = width.div_ceil(4) as usize;
    let mut s = String::new();
    for l in limbs.iter().rev() {
        s.push_str(&format!("{l:016x}"));
    }
    s[s.len() - digits..].to_string()
}

/// Declares the three wires of stream `name` (`W` data bits).
fn stream_wires(v: &mut String, name: &str, width: u64) {
    let _ = writeln!(v, "    wire [{}:0] {name}_tdata;", width.max(1) - 1);
    let _ = writeln!(v, "    wire {name}_tvalid, {name}_tready;");
}

/// Connects a module's `s_axis` (or `prefix`) port to stream `name`.
pub fn port(prefix: &str, name: &str) -> String {
    format!(
        ".{prefix}_tdata({name}_tdata), .{prefix}_tvalid({name}_tvalid), .{prefix}_tready({name}_tready)"
    )
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
    let mut files: Vec<(String, String)> = Vec::new();
    let mut body = String::new();
    let mut wires = String::new();
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
    let edge_name = |e: EdgeIndex| {
        let (s, t) = g.edge_endpoints(e).unwrap_or_default();
        format!("e_{}__{}", g[s].name, g[t].name)
    };
    // Every edge: producer stream -> [width converter] -> FIFO -> consumer stream.
    let mut monitors: Vec<String> = Vec::new();
    for e in g.edge_indices() {
        let p = plan(e);
        let bits = g[e].tensor.ty.bits as u64;
        let n = edge_name(e);
        let (pw, cw) = (p.src_par as u64 * bits, p.dst_par as u64 * bits);
        stream_wires(&mut wires, &format!("{n}_p"), pw);
        stream_wires(&mut wires, &format!("{n}_c"), cw);
        let mut src = format!("{n}_p");
        if p.src_par != p.dst_par {
            stream_wires(&mut wires, &format!("{n}_w"), cw);
            let _ = writeln!(
                body,
                "    half_dwc #(.N({}), .B({bits}), .PI({}), .PO({})) dwc_{n} (.ap_clk(ap_clk), .ap_rst_n(ap_rst_n), {}, {});",
                g[e].tensor.shape.elems(),
                p.src_par,
                p.dst_par,
                port("s_axis", &src),
                port("m_axis", &format!("{n}_w"))
            );
            src = format!("{n}_w");
        }
        let style = if p.depth * cw > 1024 {
            "block"
        } else {
            "distributed"
        };
        // The occupancy output is for testbenches; here it is left to a named unused wire.
        let cbits = 64 - p.depth.leading_zeros();
        let _ = writeln!(wires, "    wire [{}:0] unused_count_{n};", cbits.max(1) - 1);
        let _ = writeln!(
            body,
            "    half_fifo #(.W({cw}), .DEPTH({}), .RAM_STYLE(\"{style}\")) fifo_{n} (.ap_clk(ap_clk), .ap_rst_n(ap_rst_n), {}, {}, .count(unused_count_{n}));",
            p.depth,
            port("s_axis", &src),
            port("m_axis", &format!("{n}_c"))
        );
        monitors.push(format!("{n}_c"));
    }
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
    let (in_w, out_w) = (
        (in_par * in_t.ty.bits) as u64,
        (out_par * out_t.ty.bits) as u64,
    );
    let (in_axw, out_axw) = (in_w.div_ceil(8) * 8, out_w.div_ceil(8) * 8);
    let out_words = out_t.shape.elems() / out_par as u64;
    let in_words = in_t.shape.elems() / in_par as u64;
    stream_wires(&mut wires, "result", out_w);
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
                let _ = writeln!(
                    body,
                    "    half_axis_in #(.W({in_w})) axis_in (.ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .s_axis_tdata(s_axis_tdata[{}:0]), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), {});",
                    in_w - 1,
                    port("m_axis", &out)
                );
            }
            NodeKind::Fork { .. } => {
                let outs: Vec<String> = outgoing(n)
                    .iter()
                    .map(|&e| format!("{}_p", edge_name(e)))
                    .collect();
                let w = plan(incoming(n)[0]).dst_par as u64 * node.out.ty.bits as u64;
                let ports: Vec<String> = outs
                    .iter()
                    .enumerate()
                    .map(|(i, o)| port(&format!("m{i}_axis"), o))
                    .collect();
                let _ = writeln!(
                    body,
                    "    half_fork #(.W({w}), .WAYS({})) fork_{} (.ap_clk(ap_clk), .ap_rst_n(ap_rst_n), {}, {});",
                    outs.len(),
                    node.name,
                    port("s_axis", &ins[0]),
                    ports.join(", ")
                );
            }
            NodeKind::Layer { op, .. } => {
                let Some(&si) = by_layer.get(&n) else {
                    continue;
                };
                let cand = &design.spaces[si].cands[design.selection[si]];
                let ctx = crate::ops::RtlCtx {
                    name: &node.name,
                    inputs: &ins,
                    output: &out,
                };
                let Some(RtlStage { text, mems }) =
                    op.op().rtl(node, &cand.fold, params.get(&node.name), &ctx)
                else {
                    return Err(op.kind().to_string());
                };
                body.push_str(&text);
                files.extend(mems.into_iter().map(|(f, t)| (format!("mem/{f}"), t)));
            }
        }
    }
    let _ = writeln!(
        body,
        "    half_axis_out #(.WORDS({out_words}), .W({out_w})) axis_out (.ap_clk(ap_clk), .ap_rst_n(ap_rst_n), {}, .m_axis_tdata(m_axis_tdata[{}:0]), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast));",
        port("s_axis", "result"),
        out_w - 1
    );
    let mut top = String::new();
    let _ = writeln!(
        top,
        "// {name}: dataflow pipeline generated by half-gen (one stage per layer)."
    );
    let _ = writeln!(
        top,
        "// Generated by half-gen; do not edit.\n`default_nettype none\n"
    );
    let _ = writeln!(
        top,
        "module {name}_top (\n    input  wire ap_clk,\n    input  wire ap_rst_n,"
    );
    let _ = writeln!(
        top,
        "    input  wire [{}:0] s_axis_tdata,\n    input  wire s_axis_tvalid,\n    output wire s_axis_tready,",
        in_axw - 1
    );
    let _ = writeln!(
        top,
        "    output wire [{}:0] m_axis_tdata,\n    output wire m_axis_tvalid,\n    input  wire m_axis_tready,\n    output wire m_axis_tlast,",
        out_axw - 1
    );
    let _ = writeln!(
        top,
        "    output wire [{}:0] dbg_moved\n);",
        monitors.len().max(1) - 1
    );
    top.push_str(&wires);
    if in_axw > in_w {
        let _ = writeln!(
            top,
            "    wire unused_in = &{{1'b0, s_axis_tdata[{}:{in_w}]}};",
            in_axw - 1
        );
    }
    if out_axw > out_w {
        let _ = writeln!(top, "    assign m_axis_tdata[{}:{out_w}] = 0;", out_axw - 1);
    }
    for (i, m) in monitors.iter().enumerate() {
        let _ = writeln!(top, "    assign dbg_moved[{i}] = {m}_tvalid && {m}_tready;");
    }
    if monitors.is_empty() {
        let _ = writeln!(top, "    assign dbg_moved[0] = 1'b0;");
    }
    top.push_str(&body);
    top.push_str("endmodule\n\n`default_nettype wire\n");
    files.push((format!("{name}_top.v"), top));
    let names: Vec<String> = monitors
        .iter()
        .map(|m| {
            format!(
                "\"{}\"",
                m.trim_start_matches("e_")
                    .trim_end_matches("_c")
                    .replace("__", "->")
            )
        })
        .collect();
    let tb = TbTpl {
        name,
        in_par,
        in_bits: in_t.ty.bits,
        in_words,
        out_par,
        out_bits: out_t.ty.bits,
        out_signed: out_t.ty.signed && out_t.ty.bits > 1,
        out_words,
        streams: names,
    };
    files.push(("tb/tb.cpp".into(), crate::backend::hls::render(&tb)));
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
}

/// The hand-written stages, embedded so every build is self-contained.
pub const LIBRARY: [(&str, &str); 7] = [
    (
        "half_axis_in.v",
        include_str!("../../../hls/rtl/half_axis_in.v"),
    ),
    (
        "half_axis_out.v",
        include_str!("../../../hls/rtl/half_axis_out.v"),
    ),
    ("half_dwc.v", include_str!("../../../hls/rtl/half_dwc.v")),
    ("half_fifo.v", include_str!("../../../hls/rtl/half_fifo.v")),
    (
        "half_finish.v",
        include_str!("../../../hls/rtl/half_finish.v"),
    ),
    ("half_mvu.v", include_str!("../../../hls/rtl/half_mvu.v")),
    (
        "half_requant.v",
        include_str!("../../../hls/rtl/half_requant.v"),
    ),
];
