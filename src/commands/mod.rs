//! The commands, one module each: what the CLI calls (`build`, `estimate`, `sim` for csim and
//! cosim, `synth`, `search` with `lut`, `import`) and the report they print (`report`).

pub mod build;
pub mod estimate;
pub mod import;
pub mod report;
pub mod search;
pub mod sim;
pub mod synth;
