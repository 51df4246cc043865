//! The model file's syntax: the raw document as written (`raw`, with spans for messages),
//! typed and located access to a layer's keys (`fields`), and the element, shape, window and
//! requantisation types every later stage shares (`types`).

pub mod fields;
pub mod raw;
pub mod types;

pub use types::{Activation, ElemType, Padding, Requant, Shape, Tensor, Thresholds, Window};
