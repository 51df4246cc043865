//! A folded design lowered to hardware: the edge plan both backends build their streams from
//! (`plan`) and the stage netlist the Verilog backend renders and the schedule simulates
//! (`netlist`).

pub mod netlist;
pub mod plan;
