//! Fitting one cycle target: choose, per layer, a candidate that meets `t` cycles per frame so
//! the whole pipeline fits the budget, at the least budget share.
//!
//! This is a multiple-choice, multi-dimensional knapsack. Two classic steps solve it well in
//! practice (Lagrangian relaxation with a greedy repair, as in Pisinger's survey of knapsack
//! heuristics):
//! 1. Lagrangian prices: every layer takes the candidate of least `sum_r m_r * res_r / budget_r`;
//!    the multiplier `m_r` of every over-used resource is raised and the choice repeated.
//! 2. Greedy repair: when prices alone cannot split a resource between layers that trade it
//!    at the same rate (several 8-bit layers competing for DSPs, say), swap one layer at a time
//!    to the candidate that removes the most over-budget share per unit of share it adds to
//!    the resources still within budget, until the design fits or no swap helps.

use super::frontier::{blocks_where, least_priced};
use super::select::{Folding, Selection};
use crate::cost::{PerResource, Resources};

/// Lagrangian rounds before the repair.
const ROUNDS: usize = 10;
/// Swaps the repair may make.
const MAX_SWAPS: usize = 400;

/// Over-budget share: the sum over resources of the excess as a fraction of the budget
/// (`inv_b` holds the budget's reciprocals).
fn violation(tot: &PerResource, b: &PerResource, inv_b: &PerResource) -> f64 {
    (0..5).map(|k| ((tot[k] - b[k]) * inv_b[k]).max(0.0)).sum()
}

/// The budget as floating point (at least 1 per resource, so its reciprocals are finite) and
/// those reciprocals.
fn budget_f64(budget: &Resources) -> (PerResource, PerResource) {
    let b = PerResource::of(budget).map(|x| x.max(1.0));
    (b, b.map(|x| 1.0 / x))
}

/// A selection meeting `t` that fits `budget`, or None when the heuristic finds none (asked
/// once per folding problem, target and budget).
pub fn fit_at(f: &Folding, budget: &Resources, t: u64) -> Option<Selection> {
    f.fitted(t, budget, || fit_uncached(f, budget, t))
}

/// [`fit_at`], worked out.
fn fit_uncached(f: &Folding, budget: &Resources, t: u64) -> Option<Selection> {
    let spaces = f.spaces;
    // Candidates are sorted by cycles: those meeting `t` are a prefix of each list, and the
    // ones the heuristic can pick are a prefix of its price frontier.
    let mut pickable: Vec<&[usize]> = Vec::with_capacity(spaces.len());
    for s in spaces {
        let n = s.list.within(t);
        if n == 0 {
            return None;
        }
        let fr = &s.list.frontier[..];
        pickable.push(&fr[..fr.partition_point(|&i| i < n)]);
    }
    let (b, inv_b) = budget_f64(budget);
    let mut m = PerResource::splat(1.0);
    let mut best: Option<(f64, Selection)> = None;
    let mut warm: Vec<usize> = pickable.iter().map(|p| p.len() - 1).collect();
    for _ in 0..ROUNDS {
        // Every layer's candidate of least priced share (the first of equals).
        let w = PerResource::from_fn(|k| m[k] * inv_b[k]);
        let mut least_price = 0.0;
        let sel: Selection = spaces
            .iter()
            .zip(&pickable)
            .zip(warm.iter_mut())
            .map(|((s, idx), warm)| {
                let pick = least_priced(&s.list.frontier_res, idx.len(), &w, *warm);
                *warm = pick.1;
                least_price += pick.0;
                idx[pick.1]
            })
            .collect();
        // Lagrangian bound: a fitting selection's layers use at most the budget, so their
        // priced sum is at most the budget's, `sum_k w_k * b_k`; and no selection meeting `t`
        // prices below the sum of the layers' least prices (the frontier holds each layer's
        // cheapest at any prices). When that sum is above the budget's, nothing fits at `t`:
        // neither these rounds nor the repair could find a fitting selection.
        let budget_price: f64 = (0..5).map(|k| w[k] * b[k]).sum();
        if least_price > budget_price * (1.0 + 1e-9) {
            return None;
        }
        let (res, cycles) = f.figures(&sel);
        if res.fits(budget) && cycles <= t {
            return Some(sel);
        }
        let r = PerResource::of(&res);
        let viol = violation(&r, &b, &inv_b);
        for k in 0..5 {
            if r[k] > b[k] {
                m[k] *= (r[k] / b[k]).powi(2).max(1.5);
            }
        }
        if best.as_ref().is_none_or(|(v, _)| viol < *v) {
            best = Some((viol, sel));
        }
    }
    let (_, start) = best?;
    repair(f, budget, t, &pickable, start)
}

/// Greedy swaps from `sel` until the design fits (see the module comment); `pickable[l]`
/// lists layer `l`'s candidates that meet `t` and are on its price frontier.
fn repair(
    f: &Folding,
    budget: &Resources,
    t: u64,
    pickable: &[&[usize]],
    mut sel: Selection,
) -> Option<Selection> {
    let spaces = f.spaces;
    let (b, inv_b) = budget_f64(budget);
    for _ in 0..MAX_SWAPS {
        let (res, cycles) = f.figures(&sel);
        if res.fits(budget) {
            return (cycles <= t).then_some(sel);
        }
        let tot = PerResource::of(&res);
        let viol = violation(&tot, &b, &inv_b);
        // Added share counts only the resources still within budget.
        let within = PerResource::from_fn(|k| if tot[k] <= b[k] { inv_b[k] } else { 0.0 });
        let mut over_at = [0; 5];
        let mut n_over = 0;
        for k in (0..5).filter(|&k| tot[k] > b[k]) {
            over_at[n_over] = k;
            n_over += 1;
        }
        let over = &over_at[..n_over];
        let mut best: Option<(f64, usize, usize)> = None;
        for (li, (s, idx)) in spaces.iter().zip(pickable).enumerate() {
            let cur = s.list.res_f64[sel[li]];
            let rest = PerResource::from_fn(|k| tot[k] - cur[k]);
            // A swap that lowers no over-budget resource cannot lower the violation (every
            // term is monotone): its gain is at most 0. Nor can any member of a block whose
            // least lowers none.
            let lowers = |x: &PerResource| over.iter().any(|&k| x[k] < cur[k]);
            let fr = &s.list.frontier_res;
            for j in blocks_where(fr, idx.len(), lowers) {
                let new = &fr.res[j];
                if idx[j] == sel[li] || !lowers(new) {
                    continue;
                }
                let next = PerResource::from_fn(|k| rest[k] + new[k]);
                let gain = viol - violation(&next, &b, &inv_b);
                if gain <= 1e-12 {
                    continue;
                }
                let added: f64 = (0..5)
                    .map(|k| ((new[k] - cur[k]) * within[k]).max(0.0))
                    .sum();
                let score = gain / (added + 1e-9);
                if best.is_none_or(|(bs, _, _)| score > bs) {
                    best = Some((score, li, idx[j]));
                }
            }
        }
        let (_, li, j) = best?;
        sel[li] = j;
    }
    None
}
