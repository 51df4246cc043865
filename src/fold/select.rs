//! The folding selection: for a family of fixed price vectors (how many LUT-equivalents a FF,
//! BRAM18, URAM or DSP is worth), each layer takes its cheapest candidate that meets a cycle
//! target `T`. Sweeping `T` upward over the points where some layer's choice changes gives,
//! per price vector, the fastest selection whose whole pipeline (glue and FIFOs included) fits
//! the budget; the best over the family wins, and among selections reaching that bottleneck
//! the one using the smallest share of the budget is kept.
//!
//! The price family does not depend on the budget, so a larger budget can only admit more
//! (price, T) pairs: more budget is never slower, by construction.

use super::candidates::{Candidate, LayerCandidates};
use super::pipeline::{Pipeline, evaluate, evaluate_lean};
use crate::cost::{PerResource, Resources};
use crate::ir::Graph;
use petgraph::visit::NodeIndexable;
use std::cell::RefCell;

/// A selection: per layer, the index of its chosen candidate in its [`LayerCandidates`].
pub type Selection = Vec<usize>;

/// Base prices in LUT-equivalents: a RAMB18 stores 18 Kib, which 288 LUTs of distributed RAM
/// would hold (64 bits each); a DSP replaces a mid-size fabric multiplier (~64 LUTs).
const BASE: PerResource = PerResource([1.0, 0.5, 288.0, 1152.0, 64.0]);

/// The fixed family of price vectors.
pub fn price_family(has_uram: bool) -> Vec<PerResource> {
    let scales = [1.0 / 16.0, 0.25, 1.0, 4.0, 16.0];
    let uram_scales: &[f64] = if has_uram { &[0.25, 1.0, 4.0] } else { &[1.0] };
    let mut out = Vec::new();
    for &ff in &[1.0, 4.0] {
        for &b in &scales {
            for &u in uram_scales {
                for &d in &scales {
                    out.push(PerResource([
                        BASE[0],
                        BASE[1] * ff,
                        BASE[2] * b,
                        BASE[3] * u,
                        BASE[4] * d,
                    ]));
                }
            }
        }
    }
    out
}

/// The candidates (fastest first) that become the cheapest under price `p` as `T` grows:
/// (cycles, index) steps. [`super::candidates::build`] keeps one per price of the family. Only
/// the price frontier can step down (an earlier candidate using no more of anything costs no
/// more), so only its members are priced.
pub fn staircase(
    cycles: &[u64],
    res: &[PerResource],
    frontier: &[usize],
    p: &PerResource,
) -> Vec<(u64, usize)> {
    let mut steps: Vec<(u64, usize)> = Vec::with_capacity(frontier.len().min(32));
    let mut best = f64::INFINITY;
    for &i in frontier {
        let cost = res[i].dot(p);
        if cost < best {
            best = cost;
            if steps.last().is_some_and(|l| l.0 == cycles[i]) {
                steps.pop();
            }
            steps.push((cycles[i], i));
        }
    }
    steps
}

/// Every layer's staircase under the family's `k`-th price vector, into `out` (reused from
/// one price vector to the next: the sweeps run thousands of times a search).
fn staircases<'a>(spaces: &'a [LayerCandidates], k: usize, out: &mut Vec<&'a [(u64, usize)]>) {
    out.clear();
    out.extend(spaces.iter().map(|s| s.list.stairs.get(k)));
}

/// Price vectors every layer's list carries staircases for.
fn family_len(spaces: &[LayerCandidates]) -> usize {
    spaces
        .iter()
        .map(|s| s.list.stairs.len())
        .min()
        .unwrap_or(0)
}

/// Evaluates a selection: total resources (layers + glue) and the pipeline.
pub fn total(graph: &Graph, spaces: &[LayerCandidates], sel: &Selection) -> (Resources, Pipeline) {
    let (res, choice) = chosen(graph, spaces, sel);
    let p = evaluate(graph, &choice);
    (res + p.glue_res, p)
}

/// One graph's folding problem: its layers' candidate lists, and the figures (total resources, cycles
/// per frame) of every selection evaluated so far, which the price family, the bisection and
/// the repair revisit often.
pub struct Folding<'a> {
    /// The graph.
    pub graph: &'a Graph,
    /// Its layers' candidate lists, in layer order.
    pub spaces: &'a [LayerCandidates],
    seen: RefCell<rustc_hash::FxHashMap<Selection, (Resources, u64)>>,
    /// The candidate per node index of the selection [`Folding::figures`] evaluates (kept to
    /// reuse its memory).
    choice: RefCell<Vec<Option<&'a Candidate>>>,
    /// [`super::fit::fit_at`]'s answers by cycle target and budget (the bisection and
    /// [`cheapest_within`] often ask the same).
    fitted: RefCell<FitMemo>,
}

/// [`super::fit::fit_at`]'s answers by cycle target and budget.
type FitMemo = rustc_hash::FxHashMap<(u64, [u64; 5]), Option<Selection>>;

impl<'a> Folding<'a> {
    /// A folding problem with nothing evaluated yet.
    pub fn new(graph: &'a Graph, spaces: &'a [LayerCandidates]) -> Self {
        Folding {
            graph,
            spaces,
            seen: RefCell::default(),
            choice: RefCell::default(),
            fitted: RefCell::default(),
        }
    }

    /// The answer for cycle target `t` under `budget`, made by `fit` the first time.
    pub(super) fn fitted(
        &self,
        t: u64,
        budget: &Resources,
        fit: impl FnOnce() -> Option<Selection>,
    ) -> Option<Selection> {
        let key = (t, budget.as_array());
        if let Some(hit) = self.fitted.borrow().get(&key) {
            return hit.clone();
        }
        let got = fit();
        self.fitted.borrow_mut().insert(key, got.clone());
        got
    }

    /// What the search compares of a selection: total resources and cycles per frame
    /// ([`total`] without the names).
    pub fn figures(&self, sel: &Selection) -> (Resources, u64) {
        if let Some(&hit) = self.seen.borrow().get(sel) {
            return hit;
        }
        let mut choice = self.choice.borrow_mut();
        let res = chosen_into(self.graph, self.spaces, sel, &mut choice);
        let p = evaluate_lean(self.graph, &choice);
        let got = (res + p.glue_res, p.cycles);
        self.seen.borrow_mut().insert(sel.clone(), got);
        got
    }
}

/// The layers' resources and the candidate per node index.
fn chosen<'a>(
    graph: &Graph,
    spaces: &'a [LayerCandidates],
    sel: &Selection,
) -> (Resources, Vec<Option<&'a Candidate>>) {
    let mut choice = Vec::new();
    let res = chosen_into(graph, spaces, sel, &mut choice);
    (res, choice)
}

/// [`chosen`], the candidates written into `choice`.
fn chosen_into<'a>(
    graph: &Graph,
    spaces: &'a [LayerCandidates],
    sel: &Selection,
    choice: &mut Vec<Option<&'a Candidate>>,
) -> Resources {
    choice.clear();
    choice.resize(graph.g.node_bound(), None);
    let mut res = Resources::default();
    for (s, &i) in spaces.iter().zip(sel) {
        let c = &s.list.cands[i];
        choice[s.node.index()] = Some(c);
        res += c.res();
    }
    res
}

/// The layers' resources alone: a lower bound of [`total`]'s (glue only adds), which rules
/// out most selections before the pipeline is evaluated.
fn layers_fit(spaces: &[LayerCandidates], sel: &Selection, budget: &Resources) -> bool {
    spaces
        .iter()
        .zip(sel)
        .fold(Resources::default(), |a, (s, &i)| a + s.list.res[i])
        .fits(budget)
}

/// Share of the budget a resource vector uses (sum over resources).
pub fn budget_share(r: &Resources, budget: &Resources) -> f64 {
    r.as_array()
        .iter()
        .zip(budget.as_array())
        .map(|(x, b)| *x as f64 / b.max(1) as f64)
        .sum()
}

/// Selection for price `p` at target `t`: each layer's cheapest candidate within `t`.
fn select_at(stairs: &[&[(u64, usize)]], t: u64) -> Option<Selection> {
    let mut sel = Vec::with_capacity(stairs.len());
    for s in stairs {
        // Steps are sorted by cycles: the last within `t`.
        let n = s.partition_point(|(c, _)| *c <= t);
        sel.push(s[n.checked_sub(1)?].1);
    }
    Some(sel)
}

/// The fastest fitting selection: (bottleneck target, selection), or None if nothing fits.
pub fn fastest(f: &Folding, budget: &Resources) -> Option<(u64, Selection)> {
    let spaces = f.spaces;
    let mut best: Option<(u64, f64, Selection)> = None;
    let (mut stairs, mut at) = (Vec::new(), Vec::new());
    for k in 0..family_len(spaces) {
        staircases(spaces, k, &mut stairs);
        // Sweep the cycle targets upward from the floor (where every layer has a step) over
        // every step point, in order: `at[l]` is layer l's last step within the target, and
        // `sel` and `layer_res` follow it.
        let floor = stairs
            .iter()
            .map(|s| s.first().map_or(0, |x| x.0))
            .max()
            .unwrap_or(0);
        let Some(mut sel) = select_at(&stairs, floor) else {
            continue;
        };
        at.clear();
        at.extend(
            stairs
                .iter()
                .map(|s| s.partition_point(|x| x.0 <= floor).saturating_sub(1)),
        );
        let mut layer_res = spaces
            .iter()
            .zip(&sel)
            .fold(Resources::default(), |a, (s, &i)| a + s.list.res[i]);
        let mut t = floor;
        loop {
            if best.as_ref().is_some_and(|b| t > b.0) {
                break;
            }
            if layer_res.fits(budget) {
                let (res, t_real) = f.figures(&sel);
                if res.fits(budget) {
                    let share = budget_share(&res, budget);
                    let better = match &best {
                        None => true,
                        Some((bt, bs, bsel)) => {
                            t_real < *bt
                                || (t_real == *bt && (share < *bs || (share == *bs && sel < *bsel)))
                        }
                    };
                    if better {
                        best = Some((t_real, share, sel));
                    }
                    break;
                }
            }
            // The next step point above `t`, and every layer stepping there.
            let Some(next) = stairs
                .iter()
                .zip(&at)
                .filter_map(|(s, &i)| s.get(i + 1).map(|x| x.0))
                .min()
            else {
                break;
            };
            for (l, s) in stairs.iter().enumerate() {
                while s.get(at[l] + 1).is_some_and(|x| x.0 <= next) {
                    at[l] += 1;
                }
                let j = s[at[l]].1;
                if j != sel[l] {
                    layer_res = layer_res - spaces[l].list.res[sel[l]] + spaces[l].list.res[j];
                    sel[l] = j;
                }
            }
            t = next;
        }
    }
    let family_best = best.map(|(t, _, s)| (t, s));
    refine(f, budget, family_best)
}

/// The cycle targets worth trying below `ceiling`: every candidate's cycles from the slowest
/// layer's fastest candidate up, distinct and ascending.
pub fn cycle_points(spaces: &[LayerCandidates], ceiling: u64) -> Vec<u64> {
    let floor = spaces
        .iter()
        .map(|s| s.list.distinct_cycles.first().copied().unwrap_or(0))
        .max()
        .unwrap_or(0);
    let mut points: Vec<u64> = Vec::new();
    for s in spaces {
        // Each list's distinct cycles are ascending: the points are one run of them.
        let c = &s.list.distinct_cycles;
        points.extend_from_slice(
            &c[c.partition_point(|&x| x < floor)..c.partition_point(|&x| x < ceiling)],
        );
    }
    points.sort_unstable();
    points.dedup();
    points
}

/// Bisects the candidate cycle points below the price family's result with
/// [`super::fit::fit_at`], which also finds designs that split a resource between layers.
fn refine(
    f: &Folding,
    budget: &Resources,
    family_best: Option<(u64, Selection)>,
) -> Option<(u64, Selection)> {
    let spaces = f.spaces;
    let ceiling = family_best.as_ref().map_or(u64::MAX, |b| b.0);
    let points = cycle_points(spaces, ceiling);
    let mut best = family_best;
    // Invariant: every point at index >= hi is feasible or untested above the best found.
    let (mut lo, mut hi) = (0usize, points.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let fit = if least_within(spaces, points[mid]).fits(budget) {
            super::fit::fit_at(f, budget, points[mid])
        } else {
            None // not even every layer's least of each resource fits
        };
        match fit {
            Some(sel) => {
                let (_, cycles) = f.figures(&sel);
                best = Some((cycles, sel));
                hi = mid;
            }
            None => lo = mid + 1,
        }
    }
    best
}

/// Per resource, the sum over layers of the least any candidate meeting `t` uses: no
/// selection meeting `t` uses less (saturated when some layer cannot meet `t`).
fn least_within(spaces: &[LayerCandidates], t: u64) -> Resources {
    let mut need = [0u64; 5];
    for s in spaces {
        let n = s.list.within(t);
        let least = n.checked_sub(1).map_or([u64::MAX; 5], |i| s.list.least[i]);
        for (n, l) in need.iter_mut().zip(least) {
            *n = n.saturating_add(l);
        }
    }
    Resources::from_array(need)
}

/// The cheapest fitting selection whose every layer meets `t` (None if none fits).
pub fn cheapest_within(f: &Folding, budget: &Resources, t: u64) -> Option<Selection> {
    let spaces = f.spaces;
    let mut best: Option<(f64, Selection)> = None;
    let mut stairs = Vec::new();
    for k in 0..family_len(spaces) {
        staircases(spaces, k, &mut stairs);
        let Some(sel) = select_at(&stairs, t) else {
            continue;
        };
        if !layers_fit(spaces, &sel, budget) {
            continue;
        }
        let (res, cycles) = f.figures(&sel);
        if res.fits(budget) && cycles <= t {
            let share = budget_share(&res, budget);
            if best
                .as_ref()
                .is_none_or(|(bs, bsel)| share < *bs || (share == *bs && sel < *bsel))
            {
                best = Some((share, sel));
            }
        }
    }
    if let Some(sel) = super::fit::fit_at(f, budget, t) {
        let (res, _) = f.figures(&sel);
        let share = budget_share(&res, budget);
        if best.as_ref().is_none_or(|(bs, _)| share < *bs) {
            best = Some((share, sel));
        }
    }
    best.map(|(_, s)| s)
}

/// The leanest design for `budget`: every layer's candidate of least budget share (the
/// all-slowest fold in practice), glue included. When nothing fits, some resource of it is
/// over the budget (a fitting one would have been found: it is the first Lagrangian choice).
pub fn leanest(graph: &Graph, spaces: &[LayerCandidates], budget: &Resources) -> Resources {
    let sel: Selection = spaces
        .iter()
        .map(|s| {
            (0..s.list.cands.len())
                .min_by(|&a, &b| {
                    budget_share(&s.list.res[a], budget)
                        .total_cmp(&budget_share(&s.list.res[b], budget))
                })
                .unwrap_or(0)
        })
        .collect();
    total(graph, spaces, &sel).0
}

/// The smallest resources each layer can have (its cheapest candidate per resource), plus the
/// glue of the all-slowest selection: a per-resource lower bound for "does not fit".
pub fn minimum_need(graph: &Graph, spaces: &[LayerCandidates]) -> Resources {
    let slowest: Selection = spaces.iter().map(|s| s.list.cands.len() - 1).collect();
    let (_, pipe) = total(graph, spaces, &slowest);
    let mut need = [0u64; 5];
    for s in spaces {
        for (k, v) in need.iter_mut().enumerate() {
            *v += s
                .list
                .cands
                .iter()
                .map(|c| c.res().as_array()[k])
                .min()
                .unwrap_or(0);
        }
    }
    Resources::from_array(need) + pipe.glue_res
}
