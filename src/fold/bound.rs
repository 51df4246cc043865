//! A true lower bound on cycles per frame for a budget.
//!
//! Every stage needs at least its fastest legal fold's cycles. And a layer with `M` MACs per
//! frame finishing in `T` cycles needs at least `M/T` multipliers; each costs at least
//! `stage::mvu_cost::product_luts` LUTs in fabric (the datapath cost in `stage::mvu_cost` is never less) or
//! `stage::mvu_cost::product_dsps` DSPs (none when Yosys keeps the product in the fabric anyway;
//! divided by the lanes of `stage::mvu_cost::packing` when a slice can take several).
//! Give the DSP budget to the layers whose fabric multipliers are dearest (per DSP spent),
//! put the rest in LUTs, and find the smallest `T` whose LUT need fits the
//! LUT budget (bisection; the need falls as `T` grows). No design within the budget can be
//! faster than the larger of the two bounds.

use super::candidates::LayerCandidates;
use crate::board::Board;
use crate::cost::{DspKind, MultStyle, Resources};
use crate::ir::Graph;
use crate::stage::mvu_cost::{packing, product_dsps, product_luts};

struct MacLayer {
    macs: f64,
    luts: f64,
    dsps: Option<f64>,
}

fn mac_layers(graph: &Graph, dsp: DspKind) -> Vec<MacLayer> {
    let mut out = Vec::new();
    for n in graph.layers() {
        let node = &graph.g[n];
        let Some(op) = node.op() else { continue };
        let op = op.op();
        let macs = op.macs(node);
        let Some(wt) = op.weight_type() else { continue };
        if macs == 0 {
            continue;
        }
        let at = node.inputs[0].ty;
        // A packed slice computes `lanes` products (`MultStyle::Packed`): the least DSPs a
        // product can take.
        let lanes = packing(wt, at, dsp).map_or(1.0, |p| p.lanes as f64);
        let dsps = match product_dsps(wt, at, MultStyle::Dsp, dsp) {
            0 => None,
            d => Some(d as f64 / lanes),
        };
        out.push(MacLayer {
            macs: macs as f64,
            luts: product_luts(wt, at),
            dsps,
        });
    }
    // Dearest fabric multiplier per DSP first.
    out.sort_by(|a, b| {
        let ka = a.dsps.map_or(0.0, |d| a.luts / d);
        let kb = b.dsps.map_or(0.0, |d| b.luts / d);
        kb.total_cmp(&ka)
    });
    out
}

/// LUTs needed at `t` cycles per frame after spending `dsp_budget` DSPs where they save most.
fn lut_need(layers: &[MacLayer], t: f64, dsp_budget: f64) -> f64 {
    let mut dsp_left = dsp_budget;
    let mut luts = 0.0;
    for l in layers {
        let mut need = l.macs / t;
        if let Some(d) = l.dsps {
            let take = (dsp_left / d).min(need);
            dsp_left -= take * d;
            need -= take;
        }
        luts += need * l.luts;
    }
    luts
}

/// The bound for `budget`, given every layer's candidate space.
pub fn lower_bound(
    graph: &Graph,
    spaces: &[LayerCandidates],
    board: &Board,
    budget: &Resources,
) -> u64 {
    // Each list is sorted by cycles: its first is its fastest.
    let per_stage = spaces
        .iter()
        .filter_map(|s| s.list.cycles.first().copied())
        .max()
        .unwrap_or(1);
    let layers = mac_layers(graph, board.dsp());
    let (dsp, lut) = (budget.dsp as f64, budget.lut as f64);
    let fits = |t: f64| lut_need(&layers, t, dsp) <= lut;
    let mut hi = 1.0f64;
    while !fits(hi) && hi < 1e15 {
        hi *= 2.0;
    }
    let mut lo = hi / 2.0;
    if fits(lo) {
        lo = 0.0;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        // Adjacent floating-point numbers: further halving changes nothing.
        if mid == lo || mid == hi {
            break;
        }
        if fits(mid) { hi = mid } else { lo = mid }
    }
    // Cycles are whole: the bound is the smallest integer at or above the exact threshold
    // (`hi` may sit a hair above it, hence the relative nudge down before rounding up).
    let mac_bound = (hi * (1.0 - 1e-9)).ceil().max(1.0) as u64;
    per_stage.max(mac_bound)
}
