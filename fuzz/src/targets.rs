//! The fuzz targets: one function per loader of half-gen, each taking the raw bytes of a file
//! and driving it through the loader and the first steps that use what it loaded. A target
//! returns what the library said (Ok, or the text of its error); a panic, an abort (failed
//! allocation, stack overflow) or a hang is a finding.
//!
//! Shared by the AFL++ binaries (`fuzz/src/bin/`) and by the regression tests of the findings
//! (`tests/fuzz_findings.rs`, which includes this file by path).

use half_gen::{board, fold, ir, model, reference, search, weights};
use std::path::Path;
use std::sync::OnceLock;

/// What a target's loaders returned: Ok, or the text of the first error.
pub type Outcome = Result<(), String>;

/// The model the folding target applies its pins to (the folding seeds were written for it).
const FOLDING_MODEL: &str = include_str!("../../models/resnet8.yaml");

/// The small model the board target folds on every board it parses.
const BOARD_MODEL: &str = include_str!("../../tests/data/mlp.yaml");

/// The model whose weights file the weights target reads: conv with bias and a derived
/// requantiser (so `.scale`/`.shift` apply), depthwise conv, dense with an explicit requant.
pub const WEIGHTS_MODEL: &str = "name: wfuzz
input: {shape: [4, 4, 2], bits: 4, signed: false}
weights: w.npz
layers:
  - {name: c0, op: conv, channels: 3, kernel: 2, weight_bits: 4, activation: relu, output: {bits: 4}}
  - {name: dw, op: dwconv, kernel: 2, weight_bits: 4, activation: relu, output: {bits: 4}}
  - {name: fc, op: dense, units: 2, weight_bits: 2, bias: false, output: {bits: 16, signed: true}, requant: {scale: 1, shift: 0}}
";

/// The file name the weights target writes its input to, inside its scratch directory.
pub const WEIGHTS_FILE: &str = "w.npz";

/// True when `HALF_GEN_FUZZ_DEEP` is set: the targets then also fold what they loaded.
fn deep() -> bool {
    static DEEP: OnceLock<bool> = OnceLock::new();
    *DEEP.get_or_init(|| std::env::var_os("HALF_GEN_FUZZ_DEEP").is_some())
}

fn msg(e: half_gen::Error) -> String {
    e.to_string()
}

fn utf8(data: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(data).map_err(|e| e.to_string())
}

fn pynq_z2() -> &'static board::Board {
    static BOARD: OnceLock<board::Board> = OnceLock::new();
    BOARD.get_or_init(|| board::lookup("pynq-z2").expect("the built-in pynq-z2 board"))
}

fn graph_of(text: &str) -> ir::Graph {
    let m = model::parse(text, "fixed.yaml", "fixed", Path::new(".")).expect("a fixed model");
    ir::build(&m).expect("the graph of a fixed model")
}

/// A model file: parse it and build its graph; with `HALF_GEN_FUZZ_DEEP`, also fold the graph
/// for pynq-z2 with default options.
pub fn model(data: &[u8]) -> Outcome {
    let text = utf8(data)?;
    let m = model::parse(text, "fuzz.yaml", "fuzz", Path::new(".")).map_err(msg)?;
    let g = ir::build(&m).map_err(msg)?;
    if deep() {
        fold::optimize(&g, pynq_z2(), &fold::Options::default()).map_err(msg)?;
    }
    Ok(())
}

/// A search-space file: parse and check it (which materialises and parses a probe candidate
/// per option), then read the first-option candidate as the search does (its JSON tree through
/// `model::from_json`, else its text) and build its graph.
pub fn space(data: &[u8]) -> Outcome {
    let text = utf8(data)?;
    let s = search::parse(text, "fuzz.yaml", "fuzz", Path::new(".")).map_err(msg)?;
    let _ = s.size_text();
    let c = s.materialise_lean(&vec![0; s.vars.len()]);
    let m = match &c.tree {
        Some(tree) => model::from_json(tree, "cand.yaml", "cand", Path::new(".")),
        None => model::parse(&c.text, "cand.yaml", "cand", Path::new(".")),
    };
    match m {
        Ok(m) => {
            let _ = ir::build(&m);
        }
        Err(e) => {
            let _ = c.map_error(&s, e, true).to_string();
        }
    }
    Ok(())
}

/// A folding file: parse it and match every pin against a fold; with `HALF_GEN_FUZZ_DEEP`,
/// also fold ResNet-8 for pynq-z2 under its pins.
pub fn folding(data: &[u8]) -> Outcome {
    static GRAPH: OnceLock<ir::Graph> = OnceLock::new();
    let text = utf8(data)?;
    let pins = fold::config::parse(text, "fuzz-folding.yaml").map_err(msg)?;
    let probe = half_gen::stage::Fold {
        pe: 1,
        simd: 1,
        mult: half_gen::cost::MultStyle::Lut,
        mem: half_gen::cost::MemStyle::Bram,
        scale: half_gen::cost::ScaleStyle::Dsp,
    };
    for (layer, pin) in &pins.by_layer {
        if !pin.admits(&probe) {
            let _ = pins.error(layer, "does not admit the probe").to_string();
        }
    }
    if deep() {
        let g = GRAPH.get_or_init(|| graph_of(FOLDING_MODEL));
        let opts = fold::Options {
            pins,
            ..Default::default()
        };
        fold::optimize(g, pynq_z2(), &opts).map_err(msg)?;
    }
    Ok(())
}

/// A board file: parse it; with `HALF_GEN_FUZZ_DEEP`, also fold a small MLP for it.
pub fn board(data: &[u8]) -> Outcome {
    static GRAPH: OnceLock<ir::Graph> = OnceLock::new();
    let text = utf8(data)?;
    let b = board::parse(text, "fuzz-board.yaml").map_err(msg)?;
    let _ = (b.resources(), b.dsp());
    if deep() {
        let g = GRAPH.get_or_init(|| graph_of(BOARD_MODEL));
        fold::optimize(g, &b, &fold::Options::default()).map_err(msg)?;
    }
    Ok(())
}

/// A weights file of [`WEIGHTS_MODEL`]: written to `scratch/w.npz` and read by
/// `weights::load` as `half_gen::load` does; with `HALF_GEN_FUZZ_DEEP`, also the calibration
/// pass that `half_gen::load` runs on the weights read.
pub fn weights(data: &[u8], scratch: &Path) -> Outcome {
    std::fs::create_dir_all(scratch).map_err(|e| e.to_string())?;
    std::fs::write(scratch.join(WEIGHTS_FILE), data).map_err(|e| e.to_string())?;
    let m = model::parse(WEIGHTS_MODEL, "wfuzz.yaml", "wfuzz", scratch).map_err(msg)?;
    let mut g = ir::build(&m).map_err(msg)?;
    let mut params = weights::load(&m, &mut g).map_err(msg)?;
    if deep() {
        reference::calibrate::calibrate(&mut g, &mut params, m.seed, false).map_err(msg)?;
    }
    Ok(())
}
