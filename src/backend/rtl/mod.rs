//! The Verilog backend: a top module wiring the hand-written stages of hls/rtl/ (one instance
//! chain per layer, FIFOs with the depths half-gen sized, forks, width converters, AXI-Stream
//! ports), the constant memories as `$readmemh` files, and a Verilator testbench.

pub mod top;

use crate::fold::Design;
use crate::ir::Graph;
use crate::weights::Params;

/// The RTL files (paths relative to `rtl/`); Err naming a layer kind the backend cannot
/// generate yet.
pub fn emit(
    graph: &Graph,
    design: &Design,
    params: &Params,
    inputs: &str,
    expected: &str,
) -> crate::Result<Vec<(String, String)>> {
    let g = &graph.g;
    let name = &graph.name;
    let (net, mut files) = crate::lower::netlist::netlist(graph, design, Some(params))?;
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
    for (f, t) in crate::stage::library::RTL {
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
