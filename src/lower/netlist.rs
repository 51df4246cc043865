//! The stage netlist of a folded design: the input adapter, every layer's units, a FIFO (after
//! a width converter when the widths differ) on every edge, forks and the output adapter; and
//! the memory files of the units when the parameters are given. The Verilog backend renders it
//! and the schedule simulates it.

use super::plan::Plan;
use crate::fold::Design;
use crate::fold::candidates::Candidate;
use crate::ir::Graph;
use crate::ops::{LayerOp, Node, NodeKind};
use crate::stage::glue;
use crate::stage::netlist::{Channel, Netlist, TOP_IN, TOP_OUT};
use crate::weights::Params;
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use std::collections::BTreeMap;

/// The netlist of the pipeline: the input adapter, every layer's stages, a FIFO (after a width
/// converter when the widths differ) on every edge, forks and the output adapter; and the
/// memory files when `params` is given. Err names a layer kind without an RTL stage.
pub fn netlist(
    graph: &Graph,
    design: &Design,
    params: Option<&Params>,
) -> crate::Result<(Netlist, Vec<(String, String)>)> {
    let plan = Plan::new(graph, design);
    let mut builder = Builder {
        graph,
        hw: design.hw,
        plan: &plan,
        net: Netlist::default(),
        mems: Vec::new(),
    };
    builder.net.out_words = plan.out_words(graph);
    builder.net.in_words = plan.in_words(graph);
    builder.add_channel("result".into(), builder.result_width());
    let chosen = design.chosen_by_node();
    for n in graph.order() {
        builder.add_node(n, &chosen, params)?;
    }
    builder.add_output_adapter();
    Ok((builder.net, builder.mems))
}

/// The netlist as it is assembled node by node in graph order, with the memory files of its
/// units.
struct Builder<'a> {
    graph: &'a Graph,
    hw: crate::stage::HwCtx,
    plan: &'a Plan,
    net: Netlist,
    mems: Vec<(String, String)>,
}

impl Builder<'_> {
    /// The name stem of edge `e`'s channels and units.
    fn edge_name(&self, e: EdgeIndex) -> String {
        format!("e_{}", self.plan.edge(e).ident)
    }

    /// Bits of a word of the accelerator's output.
    fn result_width(&self) -> u64 {
        let out_t = self.graph.g[self.graph.output].out;
        (self.plan.out_par * out_t.ty.bits) as u64
    }

    /// Declares a channel.
    fn add_channel(&mut self, name: String, width: u64) {
        self.net.channels.push(Channel { name, width });
    }

    /// The units of node `n` and then the glue of its outgoing edges; a layer without a
    /// candidate adds neither.
    fn add_node(
        &mut self,
        n: NodeIndex,
        chosen: &BTreeMap<NodeIndex, &Candidate>,
        params: Option<&Params>,
    ) -> crate::Result<()> {
        let graph = self.graph;
        let node = &graph.g[n];
        let out = if n == graph.output {
            "result".to_string()
        } else {
            Plan::outgoing(graph, n)
                .first()
                .map(|&e| format!("{}_p", self.edge_name(e)))
                .unwrap_or_default()
        };
        let incoming = Plan::incoming(graph, n);
        let ins: Vec<String> = incoming
            .iter()
            .map(|&e| format!("{}_c", self.edge_name(e)))
            .collect();
        match &node.kind {
            NodeKind::Input => {
                let in_t = graph.g[graph.input].out;
                let width = (self.plan.in_par * in_t.ty.bits) as u64;
                let adapter = glue::axis_in_instance(width, TOP_IN, &out);
                self.net.instances.push(adapter);
            }
            NodeKind::Fork { .. } => {
                let outs: Vec<String> = Plan::outgoing(graph, n)
                    .iter()
                    .map(|&e| format!("{}_p", self.edge_name(e)))
                    .collect();
                let w = self.plan.edge(incoming[0]).dst_width();
                let fork = glue::fork_instance(&node.name, w, &ins[0], &outs);
                self.net.instances.push(fork);
            }
            NodeKind::Layer { op, .. } => {
                let Some(cand) = chosen.get(&n) else {
                    return Ok(());
                };
                self.add_layer(node, op, cand, params, &ins, &out)?;
            }
        }
        for e in Plan::outgoing(graph, n) {
            self.add_edge_glue(e);
        }
        Ok(())
    }

    /// The units of a layer under candidate `cand`, reading `ins` and writing `out`, and their
    /// memory files when `params` is given. Err when the layer kind has no RTL stage.
    fn add_layer(
        &mut self,
        node: &Node,
        op: &LayerOp,
        cand: &Candidate,
        params: Option<&Params>,
        ins: &[String],
        out: &str,
    ) -> crate::Result<()> {
        let ctx = crate::stage::RtlCtx {
            name: &node.name,
            inputs: ins,
            output: out,
            hw: self.hw,
        };
        let lp = params.map(|p| p.get(&node.name));
        let Some(stage) = op.op().rtl(node, &cand.fold, lp, &ctx) else {
            return Err(crate::Error::Unsupported(format!(
                "the Verilog backend does not cover `{}` layers",
                op.kind()
            )));
        };
        self.net.channels.extend(stage.channels);
        self.net.instances.extend(stage.instances);
        let mems = stage.mems.into_iter();
        self.mems.extend(mems.map(|(f, t)| (format!("mem/{f}"), t)));
        Ok(())
    }

    /// The glue of edge `e`: producer channel -> [two-word queue -> width converter] -> FIFO
    /// -> consumer channel. The two-word queue (a `half_axis_in` skid buffer, a FIFO of two
    /// words) stands for the HLS project's stream between the producer and its `half::dwc`
    /// process, so both backends buffer the same words (docs/hls.md).
    fn add_edge_glue(&mut self, e: EdgeIndex) {
        let p = self.plan.edge(e);
        let n = self.edge_name(e);
        let (pw, cw) = (p.src_width(), p.dst_width());
        self.add_channel(format!("{n}_p"), pw);
        self.add_channel(format!("{n}_c"), cw);
        let mut src = format!("{n}_p");
        if p.converts() {
            let queued = format!("{n}_q");
            self.add_channel(queued.clone(), pw);
            let into_dwc = glue::queue_instance(&n, pw, &src, &queued);
            self.net.instances.push(into_dwc);
            let converted = format!("{n}_w");
            self.add_channel(converted.clone(), cw);
            let pars = (p.stream.src_par, p.stream.dst_par);
            let elems = (p.tensor.shape.elems(), p.tensor.ty.bits);
            let rows = p.padded_rows();
            let dwc = glue::dwc_instance(&n, elems, pars, rows, (&queued, &converted));
            self.net.instances.push(dwc);
            src = converted;
        }
        let net = &mut self.net;
        net.edge_fifos.push((e.index(), net.instances.len()));
        let fifo = glue::fifo_instance(&n, cw, p.stream.depth, &src, &format!("{n}_c"));
        net.instances.push(fifo);
        net.monitors.push(format!("{n}_c"));
    }

    /// The output adapter, reading the `result` channel.
    fn add_output_adapter(&mut self) {
        let width = self.result_width();
        let adapter = glue::axis_out_instance(self.net.out_words, width, "result", TOP_OUT);
        self.net.instances.push(adapter);
    }
}
