//! The cycle-level schedule of a folded design's stage netlist (`run`: every unit's cycle
//! model, every channel's handshake, cycle by cycle) and the FIFO sizing built on it (`fifo`).

pub mod fifo;
pub mod run;
