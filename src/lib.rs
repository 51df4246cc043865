//! half-gen: compiles a quantized CNN into a streaming dataflow FPGA accelerator.
//!
//! The crate is layered, each layer importing only the ones below it (docs/architecture.md;
//! tests/architecture.rs checks it): `commands` (build, estimate, sim, synth, search, report)
//! -> `import` (ONNX and QONNX) -> `backend` (hls, rtl) -> `schedule` -> `lower` -> `fold`
//! -> `reference`, `weights` -> `ir` -> `model` -> `ops` -> `stage` -> `format` -> `board`,
//! `cost` -> the utilities.
//!
//! Data path: [`model::load`] -> [`ir::build`] -> [`fold::optimize`] -> [`report::Estimate`].

#![warn(missing_docs)]

pub mod backend;
pub mod board;
pub mod child;
pub mod commands;
pub mod cost;
pub mod error;
pub mod fold;
pub mod format;
pub mod fsutil;
pub mod hash;
pub mod hint;
pub mod import;
pub mod interrupt;
pub mod ir;
pub mod limits;
pub mod lower;
pub mod model;
pub mod ops;
pub mod outdir;
pub mod reference;
pub mod schedule;
pub mod stage;
pub mod weights;

pub use commands::estimate::{
    Estimated, Loaded, Scheduled, estimate, load, load_for, parameters, parse, schedule,
};
pub use commands::{build, report, search, sim, synth};
pub use error::{Error, Result};
