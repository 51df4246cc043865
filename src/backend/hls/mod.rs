//! The Vitis HLS backend: a self-contained HLS project per design (top function with the
//! dataflow region, one header per layer with its packed constants, the layer library, a
//! testbench with reference vectors, Tcl and Makefile).

pub mod check;
pub mod check_storage;
pub mod project;

use crate::board::Board;
use crate::fold::Design;
use crate::ir::Graph;
use crate::stage::render;
use crate::weights::Params;
use askama::Template;

#[derive(Template)]
#[template(path = "hls/tb.cpp", escape = "none")]
struct TbTpl<'a> {
    name: &'a str,
    /// Frames in the vector files.
    frames: usize,
}

#[derive(Template)]
#[template(path = "hls/run_hls.tcl", escape = "none")]
struct TclTpl<'a> {
    name: &'a str,
    board: &'a str,
    part: &'a str,
    clock_mhz: String,
    period_ns: String,
    /// The estimate's cycles per frame.
    cycles: u64,
    /// The estimate's frame latency, cycles.
    latency: u64,
    /// Per layer: its function and its processes' loop trip counts a frame, as the estimate
    /// costs them (`layer_c0: swg 9216, mvu 36864`).
    stages: Vec<String>,
}

/// Per layer, `layer_NAME: unit cycles, ...`: what csynth should report as the trip count of
/// each process loop of the layer's region (the window generator's and the converters' loops
/// run a few rows longer to fill).
fn stage_trip_counts(graph: &Graph, design: &Design) -> Vec<String> {
    design
        .spaces
        .iter()
        .zip(&design.selection)
        .map(|(space, &pick)| {
            let units: Vec<String> = space.list.cands[pick]
                .cost
                .units
                .iter()
                .map(|u| format!("{} {}", u.kind, u.cycles))
                .collect();
            format!("layer_{}: {}", graph.g[space.node].name, units.join(", "))
        })
        .collect()
}

#[derive(Template)]
#[template(path = "hls/Makefile", escape = "none")]
struct MakeTpl<'a> {
    name: &'a str,
}

#[derive(Template)]
#[template(path = "hls/README.md", escape = "none")]
struct ReadmeTpl<'a> {
    name: &'a str,
    board: &'a str,
    part: &'a str,
    clock_mhz: String,
    cycles: u64,
    fps: String,
    latency: u64,
    frames: usize,
}

/// One frame per line, values separated by spaces.
pub fn vectors_text(frames: &[Vec<i64>]) -> String {
    let mut s = String::new();
    for f in frames {
        let line: Vec<String> = f.iter().map(i64::to_string).collect();
        s.push_str(&line.join(" "));
        s.push('\n');
    }
    s
}

/// Every file of the HLS project (paths relative to the project's `hls/` directory), given the
/// reference input frames and their expected outputs; Err when the project fails the static
/// checks of [`check`].
pub fn emit(
    graph: &Graph,
    design: &Design,
    params: &Params,
    board: &Board,
    inputs: &[Vec<i64>],
    expected: &[Vec<i64>],
) -> crate::Result<Vec<(String, String)>> {
    let name = graph.name.as_str();
    let (mut files, _io) = project::files(graph, design, params, board);
    let clock = design.clock_mhz;
    files.push((
        "tb/tb.cpp".into(),
        render(&TbTpl {
            name,
            frames: inputs.len(),
        }),
    ));
    files.push(("tb/input.txt".into(), vectors_text(inputs)));
    files.push(("tb/expected.txt".into(), vectors_text(expected)));
    files.push((
        "run_hls.tcl".into(),
        render(&TclTpl {
            name,
            board: &board.name,
            part: &board.part,
            clock_mhz: format!("{clock}"),
            period_ns: format!("{:.3}", 1000.0 / clock),
            cycles: design.pipeline.cycles,
            latency: design.pipeline.latency,
            stages: stage_trip_counts(graph, design),
        }),
    ));
    let findings = check::check(&files);
    if !findings.is_empty() {
        let list: Vec<String> = findings.iter().map(|f| format!("  hls/{f}")).collect();
        return Err(crate::Error::Internal(format!(
            "the generated HLS project fails its static checks (a bug in half-gen):\n{}",
            list.join("\n")
        )));
    }
    files.push(("Makefile".into(), render(&MakeTpl { name })));
    files.push((
        "README.md".into(),
        render(&ReadmeTpl {
            name,
            board: &board.name,
            part: &board.part,
            clock_mhz: format!("{clock}"),
            cycles: design.pipeline.cycles,
            fps: format!("{:.1}", clock * 1e6 / design.pipeline.cycles.max(1) as f64),
            latency: design.pipeline.latency,
            frames: inputs.len(),
        }),
    ));
    Ok(files)
}
