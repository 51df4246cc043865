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

use super::search::{Folding, Selection};
use crate::cost::Resources;

/// Lagrangian rounds before the repair.
const ROUNDS: usize = 10;
/// Swaps the repair may make.
const MAX_SWAPS: usize = 400;

/// Over-budget share: the sum over resources of the excess as a fraction of the budget.
fn violation(tot: &[f64; 5], b: &[f64; 5]) -> f64 {
    tot.iter().zip(b).map(|(t, b)| ((t - b) / b).max(0.0)).sum()
}

fn as_f64(r: &Resources) -> [f64; 5] {
    r.as_array().map(|x| x as f64)
}

/// A selection meeting `t` that fits `budget`, or None when the heuristic finds none.
pub fn fit_at(f: &Folding, budget: &Resources, t: u64) -> Option<Selection> {
    let spaces = f.spaces;
    // Candidates are sorted by cycles: those meeting `t` are a prefix of each list.
    let admissible: Vec<usize> = spaces
        .iter()
        .map(|s| s.cands.partition_point(|c| c.cycles() <= t))
        .collect();
    if admissible.contains(&0) {
        return None;
    }
    let b = budget.as_array().map(|x| (x as f64).max(1.0));
    let mut m = [1.0f64; 5];
    let mut best: Option<(f64, Selection)> = None;
    for _ in 0..ROUNDS {
        // Every layer's candidate of least priced share (the first of equals).
        let sel: Selection = spaces
            .iter()
            .zip(&admissible)
            .map(|(s, &n)| {
                let mut pick = (f64::INFINITY, 0);
                for (i, x) in s.res_f64[..n].iter().enumerate() {
                    let price: f64 = (0..5).map(|k| m[k] * x[k] / b[k]).sum();
                    if price.total_cmp(&pick.0).is_lt() {
                        pick = (price, i);
                    }
                }
                pick.1
            })
            .collect();
        let (res, cycles) = f.figures(&sel);
        if res.fits(budget) && cycles <= t {
            return Some(sel);
        }
        let r = as_f64(&res);
        let viol = violation(&r, &b);
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
    repair(f, budget, t, &admissible, start)
}

/// Greedy swaps from `sel` until the design fits (see the module comment); `admissible[l]`
/// is how many of layer `l`'s candidates (a prefix) meet `t`.
fn repair(
    f: &Folding,
    budget: &Resources,
    t: u64,
    admissible: &[usize],
    mut sel: Selection,
) -> Option<Selection> {
    let spaces = f.spaces;
    let b = budget.as_array().map(|x| (x as f64).max(1.0));
    for _ in 0..MAX_SWAPS {
        let (res, cycles) = f.figures(&sel);
        if res.fits(budget) {
            return (cycles <= t).then_some(sel);
        }
        let tot = as_f64(&res);
        let viol = violation(&tot, &b);
        let within: [bool; 5] = std::array::from_fn(|k| tot[k] <= b[k]);
        let mut best: Option<(f64, usize, usize)> = None;
        for (li, (s, &n)) in spaces.iter().zip(admissible).enumerate() {
            let cur = s.res_f64[sel[li]];
            for (j, new) in s.res_f64[..n].iter().enumerate() {
                if j == sel[li] {
                    continue;
                }
                let next: [f64; 5] = std::array::from_fn(|k| tot[k] - cur[k] + new[k]);
                let gain = viol - violation(&next, &b);
                if gain <= 1e-12 {
                    continue;
                }
                let added: f64 = (0..5)
                    .filter(|&k| within[k])
                    .map(|k| ((new[k] - cur[k]) / b[k]).max(0.0))
                    .sum();
                let score = gain / (added + 1e-9);
                if best.is_none_or(|(bs, _, _)| score > bs) {
                    best = Some((score, li, j));
                }
            }
        }
        let (_, li, j) = best?;
        sel[li] = j;
    }
    None
}
