//! The folding optimizer: per layer PE, SIMD, multiplier and memory style, chosen on the whole
//! graph so the design fits the board budget at the highest throughput, then at the least cost.

pub mod bound;
pub mod candidates;
pub mod config;
pub mod exact;
pub mod fit;
pub mod frontier;
pub mod pipeline;
pub mod select;

use crate::board::Board;
use crate::cost::{PerResource, RESOURCE_NAMES, Resources};
use crate::error::{Error, NoFit, Result};
use crate::ir::Graph;
use candidates::{Candidate, LayerCandidates};
use config::Pins;
use petgraph::stable_graph::NodeIndex;
use pipeline::Pipeline;
use std::collections::BTreeMap;

/// Utilisation caps per resource, in [`Resources::as_array`] order; a search's `search.json`
/// records them as the array.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Caps(pub PerResource);

impl Default for Caps {
    /// LUT 0.85, FF 0.85, BRAM18 0.90, URAM 0.90, DSP 0.90.
    fn default() -> Self {
        Caps(PerResource([0.85, 0.85, 0.90, 0.90, 0.90]))
    }
}

impl Caps {
    /// Parses `lut=0.7,dsp=1.0` on top of the defaults.
    pub fn parse(spec: &str) -> Result<Caps> {
        let mut caps = Caps::default();
        for part in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| {
                Error::InvalidOption(format!(
                    "--max-util: expected resource=fraction, got `{part}`"
                ))
            })?;
            let idx = RESOURCE_NAMES
                .iter()
                .position(|n| *n == k.trim())
                .ok_or_else(|| {
                    Error::InvalidOption(format!(
                        "--max-util: unknown resource `{k}`; expected one of {}",
                        RESOURCE_NAMES.join(", ")
                    ))
                })?;
            let f: f64 = v
                .trim()
                .parse()
                .map_err(|_| Error::InvalidOption(format!("--max-util: `{v}` is not a number")))?;
            if !(0.0..=1.0).contains(&f) {
                return Err(Error::InvalidOption(format!(
                    "--max-util: {k}={f} must be within 0..=1"
                )));
            }
            caps.0[idx] = f;
        }
        Ok(caps)
    }

    /// The budget: available resources times the caps, rounded down.
    pub fn budget(&self, available: &Resources) -> Resources {
        let a = available.as_array();
        Resources::from_array(std::array::from_fn(|i| {
            (a[i] as f64 * self.0[i] + 1e-9).floor() as u64
        }))
    }
}

/// What the optimizer is asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Utilisation caps.
    pub caps: Caps,
    /// Cheapest design reaching this many frames/s, instead of the fastest.
    pub target_fps: Option<f64>,
    /// Clock in MHz (default: the board's).
    pub clock_mhz: Option<f64>,
    /// Pinned folds.
    pub pins: Pins,
    /// Resources held back from the budget: what the FIFO sizing added beyond the folding's
    /// estimate of the glue (`commands::estimate::fold_and_schedule` folds again with it).
    pub reserve: Resources,
    /// The fast heuristic only (the search's thousands of candidates); otherwise the exact
    /// branch and bound ([`exact`]) runs as well and the faster result is kept.
    pub fast: bool,
    /// The optimizer's grid takes padded lanes too ([`crate::ops::lane_counts`]: PE and SIMD
    /// that do not divide, one step per octave of folds); otherwise only pins name them.
    pub padded_lanes: bool,
}

/// The exact search's ([`exact`]) lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExactFigures {
    /// No selection of the candidates reaches fewer cycles per frame, whatever its glue.
    pub lower: u64,
    /// Every branch and bound ended within its node limit (else `lower` is not proved).
    pub proved: bool,
}

/// The chosen design: every layer's fold and cost, the pipeline, the bound.
#[derive(Debug, Clone)]
pub struct Design {
    /// Every layer's candidate list, in layer order (the chosen candidate is
    /// `spaces[i].list.cands[selection[i]]`).
    pub spaces: Vec<LayerCandidates>,
    /// Chosen candidate per layer (an index into its list).
    pub selection: Vec<usize>,
    /// The evaluated pipeline.
    pub pipeline: Pipeline,
    /// Layers plus glue.
    pub total: Resources,
    /// The budget folded against.
    pub budget: Resources,
    /// Lower bound on cycles per frame for this budget.
    pub bound: u64,
    /// The exact search's figures, when it ran.
    pub exact: Option<ExactFigures>,
    /// Clock in MHz.
    pub clock_mhz: f64,
    /// False when `target_fps` was asked for but cannot be met (the fastest design is given).
    pub target_met: bool,
    /// The board's facts the costs were computed for.
    pub hw: crate::stage::HwCtx,
}

impl Design {
    /// The chosen fold of each layer, by name, in layer order.
    pub fn folds(&self, graph: &Graph) -> Vec<config::LayerFold> {
        self.spaces
            .iter()
            .zip(&self.selection)
            .map(|(s, &i)| config::LayerFold {
                name: graph.g[s.node].name.clone(),
                fold: s.list.cands[i].fold,
                has_mult: s.list.has_mult,
                has_weights: s.list.has_weights,
                has_scale: s.list.has_scale,
            })
            .collect()
    }

    /// The chosen candidate of each layer, by its node (what both backends build a layer
    /// from).
    pub fn chosen_by_node(&self) -> BTreeMap<NodeIndex, &Candidate> {
        self.spaces
            .iter()
            .zip(&self.selection)
            .map(|(s, &i)| (s.node, &s.list.cands[i]))
            .collect()
    }
}

/// Turns away, in milliseconds, a graph that no folding can fit: before its weights are
/// generated or read and its requantisers calibrated, which for a large network takes far
/// longer than the fit. The test is a lower bound (weak duality of the multiple-choice
/// knapsack): for every set S of resources with a budget, a selection that fits uses at most
/// |S| budgets' worth of them together, so if the sum over layers of each layer's cheapest
/// `sum over S of res / budget` exceeds |S|, nothing fits. It runs on
/// [`Graph::with_unit_requant`] and leaves the glue out, so it never turns away a design
/// [`optimize`] would fit.
pub fn check_fit(graph: &Graph, board: &Board, opts: &Options) -> Result<()> {
    let relaxed = graph
        .with_unit_requant()
        .map_err(|m| Error::Unsupported(format!("folding: {m}")))?;
    // A unit requantiser has no constant scale to place, so a pinned scale style is left to
    // the folding of the calibrated graph (leaving it out only adds folds: the bound holds).
    let mut pins = opts.pins.clone();
    for pin in pins.by_layer.values_mut() {
        pin.scale = None;
    }
    let spaces = candidates::build_cached(
        &relaxed,
        board,
        (&pins, opts.padded_lanes),
        Some(&candidates::CandidateCache::default()),
    )?;
    let budget = opts.caps.budget(&board.resources()).as_array();
    // Candidates that use a resource without budget can never be chosen.
    let usable: Vec<Vec<[u64; 5]>> = spaces
        .iter()
        .map(|s| {
            s.list
                .cands
                .iter()
                .map(|c| c.res().as_array())
                .filter(|r| r.iter().zip(&budget).all(|(x, b)| *b > 0 || *x == 0))
                .collect()
        })
        .collect();
    let (over, together) = sets_over_budget(&usable, &budget);
    let stuck = spaces.iter().zip(&usable).find(|(_, u)| u.is_empty());
    if over.is_empty() && stuck.is_none() {
        return Ok(());
    }
    let least: Vec<u64> = (0..5)
        .map(|k| {
            usable
                .iter()
                .filter_map(|u| u.iter().map(|r| r[k]).min())
                .sum()
        })
        .collect();
    let mut lines: Vec<String> = RESOURCE_NAMES
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let mark = if least[k] > budget[k] {
                "  <- over"
            } else {
                ""
            };
            format!(
                "  {n:>6}: needs at least {} (the layers alone); budget {}{mark}",
                least[k], budget[k]
            )
        })
        .collect();
    lines.extend(together);
    if let Some((s, _)) = stuck {
        lines.push(format!(
            "  layer `{}` has no folding within the resources the board offers",
            graph.g[s.node].name
        ));
    }
    Err(Error::NoFit(NoFit { lines }))
}

/// The sets of budgeted resources (bit masks over those with a budget) that the layers' usable
/// candidates (`usable[layer]`) cannot share, each at its cheapest mix: the minimal ones, and
/// a line about each of more than one resource.
fn sets_over_budget(usable: &[Vec<[u64; 5]>], budget: &[u64; 5]) -> (Vec<u32>, Vec<String>) {
    let mut over: Vec<u32> = Vec::new();
    let mut together = Vec::new();
    let with_budget: Vec<usize> = (0..5).filter(|&k| budget[k] > 0).collect();
    // Smallest sets first; a set holding one already found over says nothing new.
    let mut masks: Vec<u32> = (1u32..(1 << with_budget.len())).collect();
    masks.sort_by_key(|m| (m.count_ones(), *m));
    for mask in masks {
        if over.iter().any(|o| mask & o == *o) {
            continue;
        }
        let set: Vec<usize> = (0..with_budget.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| with_budget[i])
            .collect();
        let share = |r: &[u64; 5]| {
            set.iter()
                .map(|&k| r[k] as f64 / budget[k] as f64)
                .sum::<f64>()
        };
        let need: f64 = usable
            .iter()
            .map(|u| u.iter().map(share).fold(f64::INFINITY, f64::min))
            .filter(|x| x.is_finite())
            .sum();
        if need > set.len() as f64 * (1.0 + 1e-9) {
            over.push(mask);
            if set.len() > 1 {
                let names: Vec<&str> = set.iter().map(|&k| RESOURCE_NAMES[k]).collect();
                together.push(format!(
                    "  {}: together the layers need at least {:.0} % of these budgets (each layer at its cheapest mix of them)  <- over",
                    names.join(" + "),
                    need / set.len() as f64 * 100.0
                ));
            }
        }
    }
    (over, together)
}

/// Folds `graph` for `board` under `opts`.
pub fn optimize(graph: &Graph, board: &Board, opts: &Options) -> Result<Design> {
    // Layers of one configuration (a deep network repeats its blocks) share their list.
    optimize_cached(
        graph,
        board,
        opts,
        Some(&candidates::CandidateCache::default()),
    )
}

/// [`optimize`] with layer candidate lists shared through `cache` (see
/// [`candidates::CandidateCache`]); the result is the same.
pub fn optimize_cached(
    graph: &Graph,
    board: &Board,
    opts: &Options,
    cache: Option<&candidates::CandidateCache>,
) -> Result<Design> {
    let spaces = candidates::build_cached(graph, board, (&opts.pins, opts.padded_lanes), cache)?;
    let budget = opts.caps.budget(&board.resources()) - opts.reserve;
    let clock_mhz = opts.clock_mhz.unwrap_or(board.clock_mhz);
    let folding = select::Folding::new(graph, &spaces);
    let heuristic = select::fastest(&folding, &budget);
    let (fastest, exact) = if opts.fast {
        (heuristic, None)
    } else {
        with_exact(&folding, &budget, heuristic)
    };
    let Some((t_fast, sel_fast)) = fastest else {
        return Err(no_fit(graph, &spaces, &budget));
    };
    // The exact search's selection is already the least share at its cycles; the heuristic's
    // is made as cheap as the heuristic can at them.
    let at_fastest = || match exact {
        Some(_) => sel_fast.clone(),
        None => {
            select::cheapest_within(&folding, &budget, t_fast).unwrap_or_else(|| sel_fast.clone())
        }
    };
    let (selection, target_met) = match opts.target_fps {
        None => (at_fastest(), true),
        Some(fps) => {
            let t_target = (clock_mhz * 1e6 / fps).floor() as u64;
            if t_target < t_fast {
                (at_fastest(), false)
            } else {
                let sel = select::cheapest_within(&folding, &budget, t_target);
                (sel.unwrap_or_else(|| sel_fast.clone()), true)
            }
        }
    };
    let (total, pipeline) = select::total(graph, &spaces, &selection);
    let mut bound = bound::lower_bound(graph, &spaces, board, &budget);
    if let Some(e) = exact.filter(|e| e.proved) {
        bound = bound.max(e.lower);
    }
    Ok(Design {
        spaces,
        selection,
        pipeline,
        total,
        budget,
        bound,
        exact,
        clock_mhz,
        target_met,
        hw: crate::stage::HwCtx { dsp: board.dsp() },
    })
}

/// The exact search's selection (never slower than the heuristic's, which it starts from) and
/// its figures.
fn with_exact(
    folding: &select::Folding,
    budget: &Resources,
    heuristic: Option<(u64, select::Selection)>,
) -> (Option<(u64, select::Selection)>, Option<ExactFigures>) {
    let e = exact::fastest(folding, budget, heuristic);
    let figures = ExactFigures {
        lower: e.lower,
        proved: e.proved,
    };
    (e.best, Some(figures))
}

fn no_fit(graph: &Graph, spaces: &[LayerCandidates], budget: &Resources) -> Error {
    let need = select::minimum_need(graph, spaces).as_array();
    let lean = select::leanest(graph, spaces, budget).as_array();
    let lines = RESOURCE_NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let b = budget.as_array()[i];
            format!(
                "  {n:>6}: needs at least {}; the leanest design uses {}; budget {b}{}",
                need[i],
                lean[i],
                if lean[i] > b { "  <- over" } else { "" }
            )
        })
        .collect();
    Error::NoFit(NoFit { lines })
}
