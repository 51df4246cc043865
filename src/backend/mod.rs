//! Backends: code generation from a folded design.

pub mod hls;
pub mod rtl;
