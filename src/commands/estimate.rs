//! `half-gen estimate` and the loading every command starts from: a model file to its graph,
//! its parameters (loaded or generated, requantisers calibrated), its folding for a board and
//! the cycle-level schedule of the folded design.

use crate::commands::report;
use crate::error::Result;
use crate::{board, fold, ir, limits, model, reference, weights};
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

/// A model with its graph and parameters: what every command starts from.
pub struct Loaded {
    /// The validated model.
    pub model: model::Model,
    /// Its graph (requantisation from the weights file applied).
    pub graph: ir::Graph,
    /// Weights and biases (from the weights file or generated from the seed).
    pub params: weights::Params,
}

/// Loads a model and builds its graph, without parameters (enough for
/// [`fold::check_fit`]).
pub fn parse(model_path: &Path) -> Result<(model::Model, ir::Graph)> {
    let model = model::load(model_path)?;
    let graph = ir::build(&model)?;
    Ok((model, graph))
}

/// Loads or generates the parameters of a parsed model and calibrates its derived
/// requantisers (which changes `graph`).
pub fn parameters(model: &model::Model, graph: &mut ir::Graph) -> Result<weights::Params> {
    let mut params = weights::load(model, graph)?;
    let generated = model.weights.is_none();
    reference::calibrate::calibrate(graph, &mut params, model.seed, generated)?;
    Ok(params)
}

/// Loads a model, builds its graph and loads or generates its parameters.
pub fn load(model_path: &Path) -> Result<Loaded> {
    let (model, mut graph) = parse(model_path)?;
    let params = parameters(&model, &mut graph)?;
    Ok(Loaded {
        model,
        graph,
        params,
    })
}

/// Loads a model for folding on `board`: a design that cannot fit is turned away
/// ([`fold::check_fit`]) before its parameters are loaded and calibrated.
pub fn load_for(model_path: &Path, board: &board::Board, opts: &fold::Options) -> Result<Loaded> {
    let (model, mut graph) = parse(model_path)?;
    fold::check_fit(&graph, board, opts)?;
    let params = parameters(&model, &mut graph)?;
    Ok(Loaded {
        model,
        graph,
        params,
    })
}

/// The cycle-level schedule of a folded design, or why there is none.
pub enum Scheduled {
    /// The FIFOs were sized and the design scheduled (`sim::fifo`).
    Done(crate::schedule::fifo::Schedule),
    /// Not scheduled: the analytical latency and FIFO depths stand, for this reason.
    Skipped(String),
}

impl Scheduled {
    /// The schedule, when there is one.
    pub fn schedule(self) -> Option<crate::schedule::fifo::Schedule> {
        match self {
            Scheduled::Done(s) => Some(s),
            Scheduled::Skipped(_) => None,
        }
    }
}

/// Sizes the FIFOs of the `folded` design and schedules it cycle by cycle
/// (`schedule::fifo`): the sized design and its schedule. The folded design comes back
/// unchanged, with the reason, when the Verilog backend lacks a layer kind or the simulation
/// would take longer than [`limits::MAX_SCHEDULE_WORK`] allows.
pub fn schedule(graph: &ir::Graph, folded: fold::Design) -> Result<(fold::Design, Scheduled)> {
    use crate::backend::Backend;
    if let Some(kind) = crate::backend::Rtl.unsupported(graph) {
        let why = format!("the Verilog backend does not cover `{kind}` layers");
        return Ok((folded, Scheduled::Skipped(why)));
    }
    let (net, _) = crate::lower::netlist::netlist(graph, &folded, None)?;
    // The sizing simulates about eight frames plus the pipeline's fill, every instance every
    // cycle (docs/schedule.md).
    let p = &folded.pipeline;
    let cycles = p
        .cycles
        .saturating_mul(8)
        .saturating_add(p.latency.saturating_mul(2));
    let work = cycles.saturating_mul(net.instances.len() as u64);
    if work > limits::MAX_SCHEDULE_WORK {
        let why = format!(
            "the cycle-level schedule would simulate about {} instance-cycles, above the limit of {} (docs/model-format.md, \"Limits\"); FIFO depths and latency are the analytical ones",
            limits::group(work),
            limits::group(limits::MAX_SCHEDULE_WORK)
        );
        return Ok((folded, Scheduled::Skipped(why)));
    }
    let (sized, schedule) = crate::schedule::fifo::size(graph, &folded)?;
    Ok((sized, Scheduled::Done(schedule)))
}

/// Folds `graph` for `board` and sizes its FIFOs ([`schedule`]). The sized FIFOs can cost more
/// than the folding's estimate of them; when the design then exceeds the budget, it is folded
/// again with the excess held back (`fold::Options::reserve`), up to four times. The design
/// reports the full budget.
pub fn fold_and_schedule(
    graph: &ir::Graph,
    board: &board::Board,
    opts: &fold::Options,
) -> Result<(fold::Design, Scheduled)> {
    let full = opts.caps.budget(&board.resources());
    let mut o = opts.clone();
    let mut last = None;
    for _ in 0..4 {
        let folded = fold::optimize(graph, board, &o)?;
        let estimated = folded.total;
        let (mut design, scheduled) = schedule(graph, folded)?;
        design.budget = full;
        if design.total.fits(&full) {
            return Ok((design, scheduled));
        }
        // Hold back what the sizing added, and at least the excess more than before.
        let added = design.total - estimated;
        o.reserve = added.max_each(&(o.reserve + (design.total - full)));
        last = Some((design, scheduled));
    }
    last.ok_or_else(|| crate::Error::Internal("folding: no round ran".into()))
}

/// Loads, builds, folds and reports a model for a board.
pub fn estimate(model_path: &Path, board: &str, opts: &fold::Options) -> Result<Estimated> {
    let board = board::lookup(board)?;
    let Loaded { model, graph, .. } = load_for(model_path, &board, opts)?;
    let (design, scheduled) = fold_and_schedule(&graph, &board, opts)?;
    let estimate = report::Estimate::new(&graph, &board, &design, scheduled);
    Ok(Estimated {
        model,
        graph,
        board,
        design,
        estimate,
    })
}
