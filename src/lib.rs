//! half-gen: compiles a quantized CNN into a streaming dataflow FPGA accelerator.
//!
//! Data path: [`model::load`] -> [`ir::build`] -> [`fold::optimize`] -> [`report::Estimate`].

pub mod board;
pub mod cost;
pub mod error;
pub mod fold;
pub mod ir;
pub mod model;
pub mod ops;
pub mod report;

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

/// Loads, builds, folds and reports a model for a board.
pub fn estimate(model_path: &Path, board: &str, opts: &fold::Options) -> Result<Estimated> {
    let model = model::load(model_path)?;
    let board = board::lookup(board)?;
    let graph = ir::build(&model)?;
    let design = fold::optimize(&graph, &board, opts)?;
    let estimate = report::Estimate::new(&graph, &board, &design);
    Ok(Estimated {
        model,
        graph,
        board,
        design,
        estimate,
    })
}
