//! half-gen: compiles a quantized CNN into a streaming dataflow FPGA accelerator.
//!
//! Data path: [`model::load`] -> [`ir::build`] -> [`fold::optimize`] -> [`report::Estimate`].

#![warn(missing_docs)]

pub mod backend;
pub mod board;
pub mod build;
pub mod child;
pub mod cost;
pub mod error;
pub mod fold;
pub mod fsutil;
pub mod interrupt;
pub mod ir;
pub mod model;
pub mod ops;
pub mod reference;
pub mod report;
pub mod search;
pub mod sim;
pub mod synth;
pub mod weights;

pub use error::{Error, Result};

use std::path::Path;

/// Everything `half-gen estimate` computes.
pub struct Estimated {
    /// The validated model.
    pub model: model::Model,
    /// Its graph.
    pub graph: ir::Graph,
    /// The board.
    pub board: board::Board,
    /// The folded design.
    pub design: fold::Design,
    /// The report.
    pub estimate: report::Estimate,
}

/// A model with its graph and parameters: what every command starts from.
pub struct Loaded {
    /// The validated model.
    pub model: model::Model,
    /// Its graph (requantisation from the weights file applied).
    pub graph: ir::Graph,
    /// Weights and biases (from the weights file or generated from the seed).
    pub params: weights::Params,
}

/// Loads a model, builds its graph and loads or generates its parameters.
pub fn load(model_path: &Path) -> Result<Loaded> {
    let model = model::load(model_path)?;
    let mut graph = ir::build(&model)?;
    let mut params = weights::load(&model, &mut graph)?;
    let generated = model.weights.is_none();
    reference::calibrate::calibrate(&mut graph, &mut params, model.seed, generated)?;
    Ok(Loaded {
        model,
        graph,
        params,
    })
}

/// Sizes the FIFOs of `design` and schedules it cycle by cycle (`sim::fifo`); None when the
/// Verilog backend lacks a layer kind (the analytical latency and FIFO depths then stand).
pub fn schedule(
    graph: &ir::Graph,
    design: &mut fold::Design,
) -> Result<Option<sim::fifo::Schedule>> {
    if backend::rtl::netlist(graph, design, None).is_err() {
        return Ok(None);
    }
    sim::fifo::size(graph, design)
        .map(Some)
        .map_err(|m| Error::Usage(format!("FIFO sizing: {m}")))
}

/// Loads, builds, folds and reports a model for a board.
pub fn estimate(model_path: &Path, board: &str, opts: &fold::Options) -> Result<Estimated> {
    let board = board::lookup(board)?;
    let Loaded { model, graph, .. } = load(model_path)?;
    let mut design = fold::optimize(&graph, &board, opts)?;
    let schedule = schedule(&graph, &mut design)?;
    let estimate = report::Estimate::new(&graph, &board, &design, schedule);
    Ok(Estimated {
        model,
        graph,
        board,
        design,
        estimate,
    })
}
