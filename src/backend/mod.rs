//! Backends: code generation from a folded design. Each only assembles a top from the stage
//! units the layers lower to (`stage`) and the shared edge plan (`lower`); what it covers it
//! says in [`Backend::unsupported`], so a command asks before it lowers.

pub mod hls;
pub mod rtl;

use crate::board::Board;
use crate::fold::Design;
use crate::ir::Graph;
use crate::weights::Params;

/// Everything a backend emits from.
pub struct EmitInput<'a> {
    /// The graph.
    pub graph: &'a Graph,
    /// Its folded (and scheduled) design.
    pub design: &'a Design,
    /// Weights and biases.
    pub params: &'a Params,
    /// The board.
    pub board: &'a Board,
    /// The testbench's input frames.
    pub inputs: &'a [Vec<i64>],
    /// The reference outputs of those frames.
    pub expected: &'a [Vec<i64>],
}

/// A code generator.
pub trait Backend {
    /// Its name, also its directory in a build (`hls`, `rtl`).
    fn name(&self) -> &'static str;
    /// The first layer kind of `graph` it has no stage for, if any.
    fn unsupported(&self, graph: &Graph) -> Option<&'static str>;
    /// Every file it writes, paths relative to its directory.
    fn emit(&self, input: &EmitInput) -> crate::Result<Vec<(String, String)>>;
}

/// The Vitis HLS project.
pub struct Hls;

/// The Verilog top and its testbench.
pub struct Rtl;

/// Every backend, in the order a build writes them.
pub const ALL: [&dyn Backend; 2] = [&Hls, &Rtl];

impl Backend for Hls {
    fn name(&self) -> &'static str {
        "hls"
    }

    fn unsupported(&self, _graph: &Graph) -> Option<&'static str> {
        None
    }

    fn emit(&self, i: &EmitInput) -> crate::Result<Vec<(String, String)>> {
        hls::emit(i.graph, i.design, i.params, i.board, i.inputs, i.expected)
    }
}

impl Backend for Rtl {
    fn name(&self) -> &'static str {
        "rtl"
    }

    fn unsupported(&self, graph: &Graph) -> Option<&'static str> {
        graph.layers().find_map(|n| {
            let op = graph.g[n].op()?;
            (!op.op().has_rtl(&graph.g[n])).then(|| op.kind())
        })
    }

    fn emit(&self, i: &EmitInput) -> crate::Result<Vec<(String, String)>> {
        let vin = hls::vectors_text(i.inputs);
        let vexp = hls::vectors_text(i.expected);
        rtl::emit(i.graph, i.design, i.params, &vin, &vexp)
    }
}
