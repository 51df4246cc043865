//! The stage netlist of a folded design: the input adapter, every layer's units, a FIFO (after
//! a width converter when the widths differ) on every edge, forks and the output adapter; and
//! the memory files of the units when the parameters are given. The Verilog backend renders it
//! and the schedule simulates it.

use super::plan::Plan;
use crate::fold::Design;
use crate::ir::Graph;
use crate::ops::NodeKind;
use crate::stage::glue;
use crate::stage::netlist::{Channel, Netlist, TOP_IN, TOP_OUT};
use crate::weights::Params;
use petgraph::stable_graph::{EdgeIndex, NodeIndex};

/// The netlist of the pipeline: the input adapter, every layer's stages, a FIFO (after a width
/// converter when the widths differ) on every edge, forks and the output adapter; and the
/// memory files when `params` is given. Err names a layer kind without an RTL stage.
pub fn netlist(
    graph: &Graph,
    design: &Design,
    params: Option<&Params>,
) -> crate::Result<(Netlist, Vec<(String, String)>)> {
    let g = &graph.g;
    let mut net = Netlist::default();
    let mut mems = Vec::new();
    let by_layer: std::collections::BTreeMap<NodeIndex, usize> = design
        .spaces
        .iter()
        .enumerate()
        .map(|(i, s)| (s.node, i))
        .collect();
    let plan = Plan::new(graph, design);
    let edge_name = |e: EdgeIndex| format!("e_{}", plan.edge(e).ident);
    let incoming = |n: NodeIndex| Plan::incoming(graph, n);
    let outgoing = |n: NodeIndex| Plan::outgoing(graph, n);
    let out_node = graph.output;
    let out_t = g[out_node].out;
    let (in_par, out_par) = (plan.in_par, plan.out_par);
    let in_t = g[graph.input].out;
    net.out_words = plan.out_words(graph);
    net.in_words = plan.in_words(graph);
    net.channels.push(Channel {
        name: "result".into(),
        width: (out_par * out_t.ty.bits) as u64,
    });
    // The glue of one edge: producer channel -> [width converter] -> FIFO -> consumer channel.
    let edge_glue = |e: EdgeIndex, net: &mut Netlist| {
        let p = plan.edge(e);
        let n = edge_name(e);
        let (pw, cw) = (p.src_width(), p.dst_width());
        net.channels.push(Channel {
            name: format!("{n}_p"),
            width: pw,
        });
        net.channels.push(Channel {
            name: format!("{n}_c"),
            width: cw,
        });
        let mut src = format!("{n}_p");
        if p.converts() {
            net.channels.push(Channel {
                name: format!("{n}_w"),
                width: cw,
            });
            net.instances.push(glue::dwc_instance(
                &n,
                &p.tensor,
                (p.stream.src_par, p.stream.dst_par),
                &src,
                &format!("{n}_w"),
            ));
            src = format!("{n}_w");
        }
        net.edge_fifos.push((e.index(), net.instances.len()));
        net.instances.push(glue::fifo_instance(
            &n,
            cw,
            p.stream.depth,
            &src,
            &format!("{n}_c"),
        ));
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
                let width = (in_par * in_t.ty.bits) as u64;
                net.instances
                    .push(glue::axis_in_instance(width, TOP_IN, &out));
            }
            NodeKind::Fork { .. } => {
                let outs: Vec<String> = outgoing(n)
                    .iter()
                    .map(|&e| format!("{}_p", edge_name(e)))
                    .collect();
                let w = plan.edge(incoming(n)[0]).dst_width();
                net.instances
                    .push(glue::fork_instance(&node.name, w, &ins[0], &outs));
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
                    return Err(crate::Error::Unsupported(format!(
                        "the Verilog backend does not cover `{}` layers",
                        op.kind()
                    )));
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
    let width = (out_par * out_t.ty.bits) as u64;
    net.instances.push(glue::axis_out_instance(
        net.out_words,
        width,
        "result",
        TOP_OUT,
    ));
    Ok((net, mems))
}
