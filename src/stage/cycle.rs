//! Cycle models of the hand-written RTL modules (hls/rtl/): each is the module's control state
//! and handshake rules, transcribed from the Verilog (data is never modelled: no module's timing
//! depends on it). A model answers, from its registers, whether each output is valid and each
//! input is ready (an input may also look at the other inputs' valid, as `half_add` does), then
//! takes the clock edge given which handshakes fired. Verilator co-simulation of the generated
//! top checks these models against the RTL (tests/cosim.rs).

use crate::stage::netlist::Instance;

/// One module's cycle behaviour.
pub trait CycleModel {
    /// Output `port` is valid this cycle (registered in every module of hls/rtl/).
    fn valid(&self, port: usize) -> bool;
    /// Input `port` is ready this cycle, given the inputs' valid signals.
    fn ready(&self, port: usize, in_valid: &[bool]) -> bool;
    /// The clock edge: `took[i]` when input `i` handshook, `gave[o]` when output `o` did.
    fn step(&mut self, took: &[bool], gave: &[bool]);
    /// For FIFOs: the largest occupancy seen.
    fn max_occupancy(&self) -> Option<u64> {
        None
    }
}

/// Every module's model, dispatched statically (the schedule calls these billions of times
/// over a search; a `match` inlines where a trait object cannot).
#[derive(Debug, Clone)]
pub enum Model {
    /// `half_fifo`.
    Fifo(super::glue::Fifo),
    /// `half_axis_in`, `half_axis_out`.
    Skid(super::glue::Skid),
    /// `half_dwc`.
    Dwc(super::glue::Dwc),
    /// `half_fork`.
    Fork(super::glue::Fork),
    /// `half_add`.
    Add(super::add::Add),
    /// `half_concat`.
    Concat(super::concat::Concat),
    /// `half_pool`.
    Pool(super::pool::Pool),
    /// `half_mvu`, `half_vvu`.
    Mvu(super::mvu::Mvu),
    /// `half_swg`.
    Swg(super::swg::Swg),
}

macro_rules! each_model {
    ($self:expr, $m:ident => $body:expr) => {
        match $self {
            Model::Fifo($m) => $body,
            Model::Skid($m) => $body,
            Model::Dwc($m) => $body,
            Model::Fork($m) => $body,
            Model::Add($m) => $body,
            Model::Concat($m) => $body,
            Model::Pool($m) => $body,
            Model::Mvu($m) => $body,
            Model::Swg($m) => $body,
        }
    };
}

impl CycleModel for Model {
    #[inline]
    fn valid(&self, port: usize) -> bool {
        each_model!(self, m => m.valid(port))
    }
    #[inline]
    fn ready(&self, port: usize, in_valid: &[bool]) -> bool {
        each_model!(self, m => m.ready(port, in_valid))
    }
    #[inline]
    fn step(&mut self, took: &[bool], gave: &[bool]) {
        each_model!(self, m => m.step(took, gave))
    }
    fn max_occupancy(&self) -> Option<u64> {
        each_model!(self, m => m.max_occupancy())
    }
}

/// The model of `inst`; Err (a bug) when it lacks a parameter or its module has no model.
pub fn model(inst: &Instance) -> crate::Result<Model> {
    let p = |n: &str| inst.param(n);
    Ok(match inst.module {
        "half_fifo" => Model::Fifo(super::glue::Fifo::new(p("DEPTH")? as u64)),
        "half_axis_in" | "half_axis_out" => Model::Skid(super::glue::Skid::default()),
        "half_dwc" => {
            let rows = |par: &str, len: &str| -> crate::Result<super::glue::Rows> {
                let len = inst.get(len).map_or_else(|| p("N"), Ok)?;
                Ok(super::glue::Rows::new(p(par)? as u64, len as u64))
            };
            Model::Dwc(super::glue::Dwc::new(rows("PI", "LI")?, rows("PO", "LO")?))
        }
        "half_fork" => Model::Fork(super::glue::Fork::new(p("WAYS")? as usize)),
        "half_add" => Model::Add(super::add::Add::new()),
        "half_concat" => Model::Concat(super::concat::ConcatUnit::cycle_model(inst)?),
        "half_pool" => Model::Pool(super::pool::Pool::new(
            p("GLOBAL")? != 0,
            p("KK")? as u64,
            (p("C")? / p("PE")?) as u64,
            p("PIXELS")? as u64,
        )),
        "half_mvu" | "half_vvu" => Model::Mvu(super::mvu::MacUnit::cycle_model(inst)?),
        "half_swg" => Model::Swg(super::swg::Swg::new(inst)?),
        m => {
            return Err(crate::Error::Internal(format!(
                "{}: no cycle model for module {m}",
                inst.name
            )));
        }
    })
}
