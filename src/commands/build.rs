//! `half-gen build`: fold, generate the HLS project and the reports, write them atomically.

use crate::commands::estimate::{self, Loaded};
use crate::commands::report;
use crate::error::{Error, Result};
use crate::fold::{self, Options, config};
use crate::limits::{MAX_BUILD_FRAMES, MAX_BUILD_VECTOR_VALUES};
use crate::reference::{random_inputs, run};
use crate::{backend, board};
use std::path::{Path, PathBuf};

/// C++ keywords and names a top function may not take.
const RESERVED: [&str; 38] = [
    "main",
    "alignas",
    "alignof",
    "auto",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "class",
    "const",
    "continue",
    "default",
    "delete",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "false",
    "float",
    "for",
    "if",
    "int",
    "long",
    "namespace",
    "new",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "template",
    "this",
    "true",
    "void",
];

/// What `build` wrote.
#[derive(Debug, Clone)]
pub struct Built {
    /// The output directory.
    pub dir: PathBuf,
    /// Files written (relative to `dir`).
    pub files: usize,
    /// The estimate of the built design.
    pub estimate: report::Estimate,
    /// Test frames in the testbench.
    pub frames: usize,
    /// Why `rtl/` was not written, when it was not.
    pub rtl_skipped: Option<String>,
}

/// Files to write: a path relative to the output directory and the contents.
type Files = Vec<(String, Vec<u8>)>;

/// Builds `model_path` for `board_name` into `out` (default `build/<name>`).
pub fn build(
    model_path: &Path,
    board_name: &str,
    opts: &Options,
    out: Option<&Path>,
    frames: usize,
    force: bool,
    fifo_depths: &[(String, u64)],
) -> Result<Built> {
    let board = board::lookup(board_name)?;
    let (model, mut graph) = estimate::parse(model_path)?;
    check_top_name(&graph, model_path)?;
    check_frames(&graph, frames)?;
    fold::check_fit(&graph, &board, opts)?;
    let params = estimate::parameters(&model, &mut graph)?;
    let loaded = Loaded {
        model,
        graph,
        params,
    };
    let graph = &loaded.graph;
    let (mut design, schedule) = estimate::fold_and_schedule(graph, &board, opts)?;
    override_fifos(graph, &mut design, fifo_depths)?;
    let estimate = report::Estimate::new(graph, &board, &design, schedule);
    let inputs = random_inputs(graph, loaded.model.seed, frames);
    let expected: Vec<Vec<i64>> = inputs
        .iter()
        .map(|x| run(graph, &loaded.params, x))
        .collect::<Result<_>>()?;
    let input = backend::EmitInput {
        graph,
        design: &design,
        params: &loaded.params,
        board: &board,
        inputs: &inputs,
        expected: &expected,
    };
    let (mut files, rtl_skipped) = backend_files(&input)?;
    files.extend(report_files(&estimate, &design, graph)?);
    files.sort();
    let dir = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("build").join(&graph.name));
    crate::outdir::write_tree(&dir, &files, force)?;
    Ok(Built {
        dir,
        files: files.len(),
        estimate,
        frames,
        rtl_skipped,
    })
}

/// The model's name becomes the HLS top function's: no C++ keyword, no `layer_` prefix.
fn check_top_name(graph: &crate::ir::Graph, model_path: &Path) -> Result<()> {
    if RESERVED.contains(&graph.name.as_str()) || graph.name.starts_with("layer_") {
        return Err(Error::Unsupported(format!(
            "model name `{}` cannot name the HLS top function; set `name:` in {}",
            graph.name,
            model_path.display()
        )));
    }
    Ok(())
}

/// Every backend's files, each under its directory (`hls/`, `rtl/`); why a backend was left
/// out (the last one that does not cover a layer kind).
fn backend_files(input: &backend::EmitInput) -> Result<(Files, Option<String>)> {
    let mut files = Files::new();
    let mut skipped = None;
    for b in backend::ALL {
        if let Some(kind) = b.unsupported(input.graph) {
            skipped = Some(format!(
                "the {} backend does not cover `{kind}` layers yet; {}/ not written",
                if b.name() == "rtl" {
                    "Verilog"
                } else {
                    b.name()
                },
                b.name()
            ));
            continue;
        }
        let dir = b.name();
        files.extend(
            b.emit(input)?
                .into_iter()
                .map(|(p, t)| (format!("{dir}/{p}"), t.into_bytes())),
        );
    }
    Ok((files, skipped))
}

/// The reports under `report/`: the estimate as JSON, CSV and Markdown, and the folding.
fn report_files(
    estimate: &report::Estimate,
    design: &fold::Design,
    graph: &crate::ir::Graph,
) -> Result<Files> {
    let json =
        serde_json::to_string_pretty(estimate).map_err(|e| Error::Serialization(e.to_string()))?;
    Ok(vec![
        ("report/estimate.json".into(), (json + "\n").into_bytes()),
        (
            "report/estimate.csv".into(),
            report::csv(estimate)?.into_bytes(),
        ),
        (
            "report/summary.md".into(),
            report::summary_md(estimate).into_bytes(),
        ),
        (
            "report/folding.yaml".into(),
            config::to_yaml(&design.folds(graph)).into_bytes(),
        ),
    ])
}

/// `--frames`: at least one, at most [`MAX_BUILD_FRAMES`], and the test vectors (input and
/// output values of every frame) within [`MAX_BUILD_VECTOR_VALUES`].
fn check_frames(graph: &crate::ir::Graph, frames: usize) -> Result<()> {
    if frames == 0 || frames > MAX_BUILD_FRAMES {
        return Err(Error::InvalidOption(format!(
            "--frames must be in 1..={MAX_BUILD_FRAMES}, got {frames}"
        )));
    }
    let per_frame =
        graph.g[graph.input].out.shape.elems() + graph.g[graph.output].out.shape.elems();
    let values = per_frame.saturating_mul(frames as u64);
    if values > MAX_BUILD_VECTOR_VALUES {
        return Err(Error::InvalidOption(format!(
            "--frames {frames}: {}",
            crate::limits::exceeded(
                "the number of test-vector values",
                values,
                MAX_BUILD_VECTOR_VALUES
            )
        )));
    }
    Ok(())
}

/// Sets the depth of the FIFO on edge `producer->consumer` (an experiment: the schedule, and so
/// the reported latency, is the sized design's).
fn override_fifos(
    graph: &crate::ir::Graph,
    design: &mut fold::Design,
    depths: &[(String, u64)],
) -> Result<()> {
    for (edge, depth) in depths {
        let found = graph
            .g
            .edge_indices()
            .find(|&e| graph.edge_label(e) == *edge);
        let Some(e) = found else {
            let all: Vec<String> = graph
                .g
                .edge_indices()
                .map(|e| graph.edge_label(e))
                .collect();
            return Err(Error::InvalidOption(format!(
                "--fifo-depth: no edge `{edge}`; the edges are {}",
                all.join(", ")
            )));
        };
        if *depth < 1 {
            return Err(Error::InvalidOption(
                "--fifo-depth: a depth is at least 1".into(),
            ));
        }
        if let Some(s) = design.pipeline.edges[e.index()].as_mut() {
            s.depth = *depth;
        }
    }
    Ok(())
}
