//! Candidate folds per layer: every legal fold, restricted by pins, costed, with dominated
//! candidates removed, and the tables the selection ([`super::select`]) reads. Layers of one
//! configuration share their [`CandidateList`] through a [`CandidateCache`].

use super::config::{Pin, Pins};
use super::frontier::{FrontierRes, price_frontier};
use super::select::{price_family, staircase};
use crate::board::Board;
use crate::cost::{DspKind, MemStyle, MultStyle, PerResource, Resources, ScaleStyle};
use crate::error::Result;
use crate::format::Tensor;
use crate::format::{Activation, ElemType, Requant};
use crate::ir::Graph;
use crate::ops::Node;
use crate::ops::{FoldSpace, LayerOp, Operator, mac_folds};
use crate::stage::{Fold, HwCtx, StageCost};
use petgraph::stable_graph::NodeIndex;
use std::sync::{Arc, Mutex};

/// One costed fold of one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The fold.
    pub fold: Fold,
    /// Its full cost.
    pub cost: StageCost,
    /// Elements per input word.
    pub in_par: u32,
    /// Elements per output word.
    pub out_par: u32,
    /// Elements per row of the input words (`ceil(in_row / in_par)` words a row, the last one
    /// short when `in_par` does not divide it: padded lanes; `in_par` when never short).
    pub in_row: u64,
    /// Elements per row of the output words, likewise.
    pub out_row: u64,
}

impl Candidate {
    /// Cycles per frame.
    pub fn cycles(&self) -> u64 {
        self.cost.timing.cycles
    }
    /// Resources.
    pub fn res(&self) -> Resources {
        self.cost.res
    }
}

/// A layer configuration's candidates and the tables the folding search reads, shared by
/// every layer of that configuration through a [`CandidateCache`].
#[derive(Debug)]
pub struct CandidateList {
    /// Non-dominated candidates sorted by cycles, then resources.
    pub cands: Vec<Candidate>,
    /// Every candidate's cycles per frame (ascending; compact for binary searches).
    pub cycles: Vec<u64>,
    /// The distinct values of `cycles`, ascending.
    pub distinct_cycles: Vec<u64>,
    /// Every candidate's resources (compact for the search's sums).
    pub res: Vec<Resources>,
    /// The same as floating point, in [`Resources::as_array`] order (the fitting heuristic's
    /// arithmetic).
    pub res_f64: Vec<PerResource>,
    /// Per price vector of [`super::select::price_family`], the candidates that are the
    /// cheapest as the cycle target grows ([`super::select::staircase`]).
    pub stairs: Staircases,
    /// Indices (ascending) of the candidates no earlier candidate matches or beats in every
    /// resource: the only ones the fitting heuristic can pick ([`price_frontier`]).
    pub frontier: Vec<usize>,
    /// The frontier's resources and block bounds.
    pub frontier_res: FrontierRes,
    /// Per candidate index `i`, the least of each resource over candidates `0..=i` (the
    /// least any candidate at least as fast as candidate `i` can use).
    pub least: Vec<[u64; 5]>,
    /// Whether the multiplier style is a real choice for this layer.
    pub has_mult: bool,
    /// Whether the layer has weights.
    pub has_weights: bool,
    /// Whether the constant scale's place is a real choice for this layer.
    pub has_scale: bool,
}

impl CandidateList {
    /// Costs `folds` of `node`, prunes them and builds the tables.
    fn new(
        node: &Node,
        op: &dyn Operator,
        folds: &[Fold],
        space: &FoldSpace,
        board: &Board,
    ) -> Self {
        let hw = HwCtx { dsp: board.dsp() };
        let costs = op.cost_all(node, folds, &hw);
        let mut cands: Vec<Candidate> = folds
            .iter()
            .zip(costs)
            .map(|(fold, cost)| Candidate {
                fold: *fold,
                cost,
                in_par: op.in_par(node, fold),
                out_par: op.out_par(fold),
                in_row: op.in_row(node, fold),
                out_row: op.out_row(node, fold),
            })
            .collect();
        prune(&mut cands);
        let cycles: Vec<u64> = cands.iter().map(|c| c.cycles()).collect();
        let res: Vec<Resources> = cands.iter().map(|c| c.res()).collect();
        let res_f64: Vec<PerResource> = res.iter().map(PerResource::of).collect();
        let frontier = price_frontier(&res_f64);
        let frontier_res = FrontierRes::new(frontier.iter().map(|&i| res_f64[i]).collect());
        let mut stairs = Staircases::default();
        for p in price_family(board.uram > 0) {
            stairs.push(staircase(&cycles, &res_f64, &frontier, &p));
        }
        let least = res
            .iter()
            .scan([u64::MAX; 5], |m, r| {
                for (m, x) in m.iter_mut().zip(r.as_array()) {
                    *m = (*m).min(x);
                }
                Some(*m)
            })
            .collect();
        let mut distinct_cycles = cycles.clone();
        distinct_cycles.dedup();
        CandidateList {
            distinct_cycles,
            cycles,
            frontier_res,
            frontier,
            cands,
            res,
            res_f64,
            stairs,
            least,
            has_mult: space.has_mult,
            has_scale: space.scale_choice && board.dsp_slices().is_some(),
            has_weights: space.has_weights,
        }
    }

    /// How many candidates meet `t` cycles per frame (they are a prefix of the list).
    pub fn within(&self, t: u64) -> usize {
        self.cycles.partition_point(|&c| c <= t)
    }
}

/// One staircase per price vector, stored back to back (the search reads all of them for
/// every graph; one block keeps them close in memory).
#[derive(Debug, Default)]
pub struct Staircases {
    steps: Vec<(u64, usize)>,
    /// Where each staircase starts in `steps` (and, last, the end).
    starts: Vec<usize>,
}

impl Staircases {
    fn push(&mut self, steps: Vec<(u64, usize)>) {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.steps.extend(steps);
        self.starts.push(self.steps.len());
    }

    /// How many staircases (price vectors).
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The staircase of the `k`-th price vector: (cycles, candidate index) steps.
    pub fn get(&self, k: usize) -> &[(u64, usize)] {
        match (self.starts.get(k), self.starts.get(k + 1)) {
            (Some(&a), Some(&b)) => &self.steps[a..b],
            _ => &[],
        }
    }
}

/// The candidates of one layer node, fastest first.
#[derive(Debug, Clone)]
pub struct LayerCandidates {
    /// The node.
    pub node: NodeIndex,
    /// Its candidates and tables.
    pub list: Arc<CandidateList>,
}

/// Everything a layer's candidate costs depend on (op, tensors, accumulator,
/// requantisation, activation; not the name) and the board facts the costs and the price
/// family read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ConfigKey {
    dsp: DspKind,
    has_dsp: bool,
    has_uram: bool,
    op: LayerOp,
    inputs: Vec<Tensor>,
    out: Tensor,
    acc: ElemType,
    requant: Option<Requant>,
    activation: Activation,
    /// The network's output layer under a padded grid (its PE stays a divisor); false
    /// otherwise, so that the output layer shares its configuration's list.
    output: bool,
    /// The grid takes padded lanes.
    padded: bool,
}

impl ConfigKey {
    fn new(node: &Node, op: &LayerOp, board: &Board, output: bool, padded: bool) -> Self {
        ConfigKey {
            dsp: board.dsp(),
            has_dsp: board.dsp > 0,
            has_uram: board.uram > 0,
            op: op.clone(),
            inputs: node.inputs.clone(),
            out: node.out,
            acc: node.acc,
            requant: node.requant.clone(),
            activation: node.activation,
            output,
            padded,
        }
    }
}

/// Costed, pruned candidate lists of unpinned layers by configuration ([`ConfigKey`]). The
/// architecture search folds thousands of networks whose layers repeat; each configuration
/// is costed once.
#[derive(Debug, Default)]
pub struct CandidateCache {
    lists: Mutex<rustc_hash::FxHashMap<ConfigKey, Arc<CandidateList>>>,
}

impl CandidateCache {
    /// The cached listing under `key`, or `make`'s, remembered when it succeeds.
    fn get(
        &self,
        key: ConfigKey,
        make: impl FnOnce() -> Result<CandidateList>,
    ) -> Result<Arc<CandidateList>> {
        if let Some(l) = self.locked().get(&key) {
            return Ok(l.clone());
        }
        let list = Arc::new(make()?);
        self.locked().insert(key, list.clone());
        Ok(list)
    }

    /// The map (a panic while holding the lock cannot leave it half-written: inserts are
    /// single calls).
    fn locked(
        &self,
    ) -> std::sync::MutexGuard<'_, rustc_hash::FxHashMap<ConfigKey, Arc<CandidateList>>> {
        self.lists
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Distinct configurations held.
    pub fn len(&self) -> usize {
        self.locked().len()
    }

    /// True when nothing is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Builds every layer's candidate list.
pub fn build(graph: &Graph, board: &Board, pins: &Pins) -> Result<Vec<LayerCandidates>> {
    build_cached(graph, board, (pins, false), None)
}

/// [`build`], taking the lists of unpinned layers from `cache` when given; with `padded`, the
/// grid of matrix units takes padded lanes ([`crate::ops::lane_counts`]).
pub fn build_cached(
    graph: &Graph,
    board: &Board,
    (pins, padded): (&Pins, bool),
    cache: Option<&CandidateCache>,
) -> Result<Vec<LayerCandidates>> {
    for name in pins.by_layer.keys() {
        if graph.find(name).is_none_or(|n| graph.g[n].op().is_none()) {
            return Err(pins.error(
                name,
                format!("the folding names `{name}`, which is not a layer of the model"),
            ));
        }
    }
    let mut out = Vec::new();
    for n in graph.layers() {
        let node = &graph.g[n];
        let Some(layer_op) = node.op() else { continue };
        let op = layer_op.op();
        let pin = pins.by_layer.get(&node.name);
        let output = n == graph.output;
        let make = || -> Result<CandidateList> {
            let mut space = op.fold_space(node);
            // Padded lanes (a PE or SIMD that does not divide its dimension) where a pin names
            // them, and in the grid only with `padded` (with the padded steps the folding of
            // CNV-W2A2 and DS-CNN takes about 1 s, not 50 ms; docs/cost-model.md, 7.1a). The
            // network's output leaves in whole words: never padded there.
            let channels = op.out_channels(node);
            let fan_in = op.weights(node).map_or(1, |w| w.fan_in);
            let pad = space.padded_lanes;
            if padded && pad.pe && !output {
                space.pe = crate::ops::lane_counts(channels);
            }
            if padded && pad.simd {
                space.simd = crate::ops::lane_counts(fan_in as u32);
            }
            let add = |v: &mut Vec<u32>, p: Option<u32>, limit: u64| {
                if let Some(p) = p.filter(|&p| p >= 1 && p as u64 <= limit && !v.contains(&p)) {
                    v.push(p);
                    v.sort_unstable();
                }
            };
            let pe_pin = pin.and_then(|p| p.pe).filter(|_| pad.pe && !output);
            add(&mut space.pe, pe_pin, channels as u64);
            let simd_pin = pin.and_then(|p| p.simd).filter(|_| pad.simd);
            add(&mut space.simd, simd_pin, fan_in);
            let folds: Vec<Fold> = mac_folds(&space, board.dsp_slices())
                .into_iter()
                .filter(|f| pin.is_none_or(|p| p.admits(f)))
                .collect();
            if folds.is_empty() {
                let why = pin.map_or_else(String::new, |p| {
                    let dims = Dims {
                        channels,
                        fan_in,
                        output,
                    };
                    pin_conflict(p, &space, dims, board.dsp_slices())
                });
                return Err(pins.error(&node.name, format!("no legal fold matches the pin: {why}")));
            }
            Ok(CandidateList::new(node, op, &folds, &space, board))
        };
        let list = match cache {
            Some(c) if pin.is_none() => c.get(
                ConfigKey::new(node, layer_op, board, output && padded, padded),
                make,
            )?,
            _ => Arc::new(make()?),
        };
        out.push(LayerCandidates { node: n, list });
    }
    Ok(out)
}

/// What a pin's PE and SIMD are checked against: the layer's output channels, its fan-in (1
/// without weights) and whether it is the network's output layer.
struct Dims {
    channels: u32,
    fan_in: u64,
    output: bool,
}

/// Why `pin`'s PE or SIMD is not in `space` (empty when both are, or neither is pinned).
fn lane_conflicts(pin: &Pin, space: &FoldSpace, d: &Dims) -> Vec<String> {
    let (pad, channels, fan_in) = (space.padded_lanes, d.channels, d.fan_in);
    let mut why = Vec::new();
    if let Some(pe) = pin.pe.filter(|p| !space.pe.contains(p)) {
        why.push(if pad.pe && (pe == 0 || pe > channels) {
            format!("pe {pe} is not between 1 and the {channels} output channels")
        } else if pad.pe && d.output {
            format!(
                "pe {pe} does not divide the {channels} output channels, as the network's \
                 output layer needs (its words leave the accelerator whole; one of {:?})",
                space.pe
            )
        } else {
            format!(
                "pe {pe} does not divide the {channels} output channels (one of {:?})",
                space.pe
            )
        });
    }
    if let Some(simd) = pin.simd.filter(|s| !space.simd.contains(s)) {
        why.push(if pad.simd && (simd == 0 || simd as u64 > fan_in) {
            format!("simd {simd} is not between 1 and the fan-in {fan_in}")
        } else if pad.pe && !pad.simd {
            format!(
                "simd {simd} does not divide the fan-in {fan_in}, as a bipolar operand needs \
                 (a padded lane would add -1 * w; one of {:?})",
                space.simd
            )
        } else {
            format!("simd {simd} is not one of {:?}", space.simd)
        });
    }
    why
}

/// What in `pin` no legal fold of `space` allows: only the fields at fault, each with the
/// values it may take.
fn pin_conflict(pin: &Pin, space: &FoldSpace, dims: Dims, dsp: Option<DspKind>) -> String {
    let dsp_ok = dsp.is_some();
    let mut why = lane_conflicts(pin, space, &dims);
    if pin.mult == Some(MultStyle::Packed)
        && space.has_mult
        && dsp.is_some_and(|kind| !space.packs(kind))
    {
        why.push(
            "mult packed: a DSP slice takes one of this layer's products only (a \
             depthwise layer, or operands too wide for two lanes); use dsp"
                .to_string(),
        );
    }
    if pin.mult.is_some_and(|m| m != MultStyle::Lut) && !(space.has_mult && dsp_ok) {
        why.push(if space.has_mult {
            "mult dsp: the board has no DSP slices; use lut".to_string()
        } else {
            "mult dsp: the layer has no multipliers; leave `mult` out or use lut".to_string()
        });
    }
    if pin.scale == Some(ScaleStyle::Lut) && !(space.scale_choice && dsp_ok) {
        why.push(
            "scale lut: the layer has no constant scale multiply a DSP slice would take; \
             leave `scale` out or use dsp"
                .to_string(),
        );
    }
    match pin.mem {
        Some(MemStyle::Uram) => why.push(
            "mem uram: UltraRAM cannot hold initialised weights; use bram or lutram".to_string(),
        ),
        Some(MemStyle::Bram) if !space.has_weights => why.push(
            "mem bram: the layer has no weight memory; leave `mem` out or use lutram".to_string(),
        ),
        _ => {}
    }
    if why.is_empty() {
        why.push("the pinned fields exclude each other".to_string());
    }
    why.join("; ")
}

/// True when `a` is at least as good as `b` everywhere (cycles, each resource, and the same
/// stream widths, which decide the glue between stages).
pub(super) fn dominates(a: &Candidate, b: &Candidate) -> bool {
    a.in_par == b.in_par
        && a.out_par == b.out_par
        && a.in_row == b.in_row
        && a.out_row == b.out_row
        && a.cycles() <= b.cycles()
        && a.res()
            .as_array()
            .iter()
            .zip(b.res().as_array())
            .all(|(x, y)| *x <= y)
}

/// Removes dominated candidates (keeping the first of equals) and sorts fastest first.
fn prune(cands: &mut Vec<Candidate>) {
    // Sort small keys, not the candidates (each owns its units): cycles, resources, then the
    // fold, which no two candidates share, so the order is total and an unstable sort exact.
    let mut order: Vec<(u64, [u64; 5], Fold, u32)> = cands
        .iter()
        .enumerate()
        .map(|(i, c)| (c.cycles(), c.res().as_array(), c.fold, i as u32))
        .collect();
    order.sort_unstable();
    // Only candidates of the same stream widths can dominate each other: each is checked
    // against the kept ones of its widths (indices into `cands`, grouped).
    let mut keep = vec![false; cands.len()];
    let mut kept_order: Vec<u32> = Vec::with_capacity(cands.len());
    let mut groups: rustc_hash::FxHashMap<(u32, u32, u64, u64), Vec<u32>> = Default::default();
    for &(_, _, _, i) in &order {
        let c = &cands[i as usize];
        let group = groups
            .entry((c.in_par, c.out_par, c.in_row, c.out_row))
            .or_default();
        if !group.iter().any(|&k| dominates(&cands[k as usize], c)) {
            group.push(i);
            kept_order.push(i);
            keep[i as usize] = true;
        }
    }
    let mut slots: Vec<Option<Candidate>> = std::mem::take(cands)
        .into_iter()
        .zip(&keep)
        .map(|(c, &k)| k.then_some(c))
        .collect();
    // Sized up front: growing a vector of candidates copies them each time.
    let mut kept = Vec::with_capacity(kept_order.len());
    kept.extend(kept_order.iter().filter_map(|&i| slots[i as usize].take()));
    *cands = kept;
}
