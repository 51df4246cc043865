//! Hardware-aware architecture search: a search space (a model file with choices, optional
//! layers and repeat blocks; docs/search-space.md) is explored by NSGA-II, every candidate
//! folded by the optimizer under the board budget, its accuracy from a proxy or the user's
//! evaluator; the Pareto front comes out as ready-to-build model files. `lut` tabulates every
//! layer configuration of a space under every legal folding.

mod check;
pub mod evaluate;
pub mod evaluator;
pub mod failures;
pub mod limits;
pub mod lut;
pub mod materialise;
pub mod nsga2;
pub mod objective;
pub mod outputs;
pub mod pareto;
pub mod progress;
pub mod proxy;
pub mod render;
pub mod run;
pub mod space;
pub mod store;
pub mod svg;
mod template;
pub mod yaml;

pub use evaluate::{Record, Settings, Status};
pub use evaluator::Evaluator;
pub use objective::Objective;
pub use proxy::Proxy;
pub use run::{SearchOptions, Summary, search};
pub use space::{Space, Variable, load, parse};
