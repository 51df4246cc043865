//! The exact folding: the fewest cycles per frame a selection of the candidates can reach
//! within the budget, then the least budget share, by branch and bound.
//!
//! For a cycle target `T` every layer may take any candidate of at most `T` cycles; choosing
//! one per layer so that the layers' resources fit the budget is a multiple-choice,
//! multi-dimensional knapsack, solved here exactly:
//! * **Dominance.** A candidate using at least as much of every resource as another that also
//!   meets `T`, is no faster and has the same elements per input and output word (which decide
//!   the glue around it) is never needed (the constraints and the objective only grow with
//!   resources): each layer keeps its Pareto-minimal candidates, cheapest budget share first.
//!   (Resources alone are not enough when the glue is judged: a dearer candidate of other
//!   stream widths can need less glue; the MLP under a tight budget found 32 cycles per frame
//!   where 24 fit. The layers-alone search, which leaves the glue out, prunes by resources.)
//! * **Depth-first search** over the layers, most demanding first, candidates in order of
//!   budget share, so the first complete selection is already a good one.
//! * **Bound (weak duality of the knapsack, as `fold::check_fit`).** For every set `S` of
//!   budgeted resources, a fitting selection uses at most `|S|` budgets' worth of them together,
//!   so a partial selection whose use of `S` plus every remaining layer's least possible use of
//!   `S` exceeds `|S|` cannot be completed; with `S` = all resources the same sum bounds the
//!   objective (budget share) from below, which prunes against the best selection found. Both
//!   bounds are valid, and dominance removes no optimal choice, so the search is exact when it
//!   ends within its node limit (reported otherwise).
//!
//! * **A known selection** (the heuristic's, [`select::fastest`]) answers every target from
//!   its cycles on, so the bisections search only faster targets; the least-share solve starts
//!   from the cheaper of it and [`select::cheapest_within`] as its incumbent, and its share
//!   bound then prunes from the first node. Choices come cheapest first, so a layer's scan
//!   stops at the first choice that cannot beat the incumbent.
//!
//! Glue (forks, converters, FIFOs) depends on neighbouring layers' choices and on the schedule,
//! so it is not in the knapsack: every complete selection the search reaches is evaluated whole
//! ([`Folding::figures`], the pipeline with its glue) and kept only when that fits at the
//! target. Glue only adds, so the layers' share stays a valid bound. The search with the layers
//! alone gives `lower`: no selection reaches a smaller target however small its glue. When no
//! judged selection fits, the layers are held to the budget minus the glue of the first one
//! that did not, for a few rounds ([`fit_with_glue`]); that reserve can exclude a selection
//! with less glue, so the design is exact for the layers and bounded for the glue
//! (`lower <= cycles`).

use super::candidates::{self, LayerCandidates};
use super::select::{self, Folding, Selection, budget_share, cycle_points};
use crate::cost::Resources;

/// Search nodes one target's solve may visit before it stops unproven.
const NODE_LIMIT: u64 = 2_000_000;
/// Complete selections one target's solve may evaluate with their glue before it stops
/// unproven.
const LEAF_LIMIT: u64 = 2_000;
/// Glue reserve rounds per target.
const GLUE_ROUNDS: usize = 8;

/// What the exact search found.
#[derive(Debug, Clone)]
pub struct ExactFold {
    /// The fastest fitting selection found (cycles per frame of its whole pipeline) and its
    /// selection, or None when nothing fits.
    pub best: Option<(u64, Selection)>,
    /// No selection reaches fewer cycles per frame than this, whatever its glue (proved when
    /// `proved`).
    pub lower: u64,
    /// Every solve of the bisection for `lower` ended within its limits.
    pub proved: bool,
}

/// The mask of every resource (bit `k` for resource `k` of [`Resources::as_array`]).
const ALL: u32 = 0b11111;

/// One of a layer's choices at a target.
#[derive(Debug, Clone, Copy)]
struct Choice {
    /// Index into the layer's candidate list.
    cand: usize,
    /// Its resources ([`Resources::as_array`]).
    res: [u64; 5],
    /// Its share of the whole budget.
    share: f64,
}

/// One layer's choices at a target: Pareto-minimal, cheapest budget share first.
type Choices = Vec<Choice>;

/// Budget sets: bit masks over the resources with a budget, and each mask's size.
fn masks(budget: &[u64; 5]) -> Vec<(u32, u32)> {
    let with: Vec<usize> = (0..5).filter(|&k| budget[k] > 0).collect();
    (1u32..(1 << with.len()))
        .map(|m| {
            let bits = (0..with.len())
                .filter(|i| m & (1 << i) != 0)
                .fold(0u32, |a, i| a | (1 << with[i]));
            (bits, m.count_ones())
        })
        .collect()
}

/// Share of set `mask` of the budget that `r` uses.
fn share_of(r: &[u64; 5], mask: u32, inv: &[f64; 5]) -> f64 {
    (0..5)
        .filter(|k| mask & (1 << k) != 0)
        .map(|k| r[k] as f64 * inv[k])
        .sum()
}

/// A candidate's elements per input and output word and per input and output row.
type StreamWidths = (u32, u32, u64, u64);

/// Layer `s`'s Pareto-minimal candidates of at most `t` cycles, cheapest share first. With
/// `glue_safe` (a search that judges the glue) a candidate is dominated only as the candidate
/// lists' own pruning says ([`candidates::dominates`]: same stream widths, no slower, no more
/// of any resource); without (the layers alone), by resources.
fn choices(s: &LayerCandidates, t: u64, inv: &[f64; 5], glue_safe: bool) -> Choices {
    let n = s.list.within(t);
    let mut keyed: Vec<(f64, usize, [u64; 5])> = (0..n)
        .map(|i| {
            let r = s.list.res[i].as_array();
            (share_of(&r, ALL, inv), i, r)
        })
        .collect();
    keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let cands = &s.list.cands;
    // Only candidates of one group can dominate each other (glue-safe: the stream widths);
    // each group lists its kept candidates' places in `kept`.
    let mut groups: rustc_hash::FxHashMap<StreamWidths, Vec<usize>> = Default::default();
    let mut kept: Choices = Vec::new();
    for (share, i, r) in keyed {
        let key = if glue_safe {
            let c = &cands[i];
            (c.in_par, c.out_par, c.in_row, c.out_row)
        } else {
            (0, 0, 0, 0)
        };
        let group = groups.entry(key).or_default();
        let dominated = group.iter().any(|&k| {
            let c = &kept[k];
            if glue_safe {
                candidates::dominates(&cands[c.cand], &cands[i])
            } else {
                (0..5).all(|x| c.res[x] <= r[x])
            }
        });
        if !dominated {
            group.push(kept.len());
            kept.push(Choice {
                cand: i,
                res: r,
                share,
            });
        }
    }
    kept
}

/// Every layer's [`choices`] at one target, shared by the solves at it.
type TargetChoices = std::rc::Rc<Vec<Choices>>;

/// Every layer's [`choices`] per target (and dominance rule), computed once: the bisections,
/// the glue rounds and the final least-share solve ask for the same targets again.
struct ChoiceCache {
    inv: [f64; 5],
    by_target: std::cell::RefCell<rustc_hash::FxHashMap<(u64, bool), TargetChoices>>,
}

impl ChoiceCache {
    fn new(budget: &Resources) -> Self {
        let b = budget.as_array();
        ChoiceCache {
            inv: std::array::from_fn(|k| 1.0 / b[k].max(1) as f64),
            by_target: Default::default(),
        }
    }

    fn at(&self, spaces: &[LayerCandidates], t: u64, glue_safe: bool) -> TargetChoices {
        let key = (t, glue_safe);
        if let Some(c) = self.by_target.borrow().get(&key) {
            return c.clone();
        }
        let all = spaces.iter().map(|s| choices(s, t, &self.inv, glue_safe));
        let c: TargetChoices = std::rc::Rc::new(all.collect());
        self.by_target.borrow_mut().insert(key, c.clone());
        c
    }
}

/// Judges a complete selection (see [`Search::judge`]).
type Judge<'a> = &'a dyn Fn(&[usize]) -> Result<f64, Resources>;

/// One target's branch and bound.
struct Search<'a> {
    layers: Vec<(usize, &'a Choices)>,
    cap: [u64; 5],
    inv: [f64; 5],
    masks: &'a [(u32, u32)],
    /// Per mask, the index of the same mask without its lowest resource (None: a single one).
    mask_rest: Vec<Option<usize>>,
    /// `suffix[l][m]`: the least share of mask `m` the layers from `l` on can use.
    suffix: Vec<Vec<f64>>,
    /// A complete selection (layer order of `layers`) whole: Ok(its pipeline's budget share)
    /// when it fits at the target, else Err(its pipeline's resources); absent: the layers'
    /// share.
    judge: Option<Judge<'a>>,
    /// The glue of the first complete selection whose pipeline did not fit.
    rejected_glue: Option<Resources>,
    /// Stop at the first selection that fits (whether one exists is asked), not the least
    /// share.
    first_fit: bool,
    pick: Vec<usize>,
    best: Option<(f64, Vec<usize>)>,
    nodes: u64,
    leaves: u64,
}

impl Search<'_> {
    fn over_limit(&self) -> bool {
        self.nodes > NODE_LIMIT || self.leaves > LEAF_LIMIT
    }

    /// Without a judge, or when only feasibility is asked, the first complete selection that
    /// fits settles it.
    fn feasible_found(&self) -> bool {
        (self.judge.is_none() || self.first_fit) && self.best.is_some()
    }

    fn run(&mut self, depth: usize, used: [u64; 5]) {
        self.nodes += 1;
        if self.over_limit() || self.feasible_found() {
            return;
        }
        // Each mask's share, from the per-resource shares: a mask's sum is its sum without
        // its lowest set bit plus that bit's share (masks of `masks` come in increasing order
        // of their index over the budgeted resources, so the smaller one is already known).
        let per: [f64; 5] = std::array::from_fn(|k| used[k] as f64 * self.inv[k]);
        let mut sums = [0.0f64; 32];
        for (m, &(mask, _)) in self.masks.iter().enumerate() {
            let low = mask.trailing_zeros() as usize;
            sums[m + 1] = self.mask_rest[m].map_or(0.0, |r| sums[r + 1]) + per[low];
        }
        // Glue only adds: the layers' share is a lower bound of the pipeline's.
        let last = self.masks.len() - 1;
        let all = sums[last + 1] + self.suffix[depth][last];
        if self.best.as_ref().is_some_and(|(b, _)| all >= *b - 1e-12) {
            return;
        }
        for (m, &(_, size)) in self.masks.iter().enumerate() {
            if sums[m + 1] + self.suffix[depth][m] > size as f64 + 1e-9 {
                return;
            }
        }
        if depth == self.layers.len() {
            let share = match self.judge {
                Some(judge) => {
                    self.leaves += 1;
                    judge(&self.pick)
                        .map_err(|total| {
                            let glue = total - Resources::from_array(used);
                            self.rejected_glue.get_or_insert(glue);
                        })
                        .ok()
                }
                None => Some(share_of(&used, ALL, &self.inv)),
            };
            if let Some(share) = share
                && self.best.as_ref().is_none_or(|(b, _)| share < *b)
            {
                self.best = Some((share, self.pick.clone()));
            }
            return;
        }
        // Choices come cheapest first: once one cannot beat the best share, none after can.
        let rest = sums[last + 1] + self.suffix[depth + 1][last];
        let choices = self.layers[depth].1;
        for c in choices {
            if self
                .best
                .as_ref()
                .is_some_and(|(b, _)| rest + c.share >= *b - 1e-12)
            {
                break;
            }
            let next: [u64; 5] = std::array::from_fn(|k| used[k] + c.res[k]);
            if (0..5).any(|k| next[k] > self.cap[k]) {
                continue;
            }
            self.pick[depth] = c.cand;
            self.run(depth + 1, next);
        }
    }
}

/// What a solve asks for.
#[derive(Debug, Clone, Copy)]
enum Ask<'s> {
    /// Whether any selection fits: the first one found answers.
    AnyFit,
    /// The selection of least budget share; a known fitting one, when given, is the
    /// incumbent the branch and bound prunes against from the start (it is the answer when
    /// nothing cheaper fits).
    LeastShare(Option<&'s Selection>),
}

/// What one target's solve found.
pub struct Solved {
    /// The selection, None when none fits.
    pub sel: Option<Selection>,
    /// The search ended within its limits.
    pub proved: bool,
    /// The glue of the first complete selection whose whole pipeline did not fit.
    pub rejected_glue: Option<Resources>,
}

/// The selection of least budget share whose every layer meets `t` and whose layers fit
/// `budget - reserve`: with `f`, the one whose whole pipeline (glue included,
/// [`Folding::figures`]) also fits `budget` at `t` cycles per frame, at the least share of it
/// (with [`Ask::AnyFit`], the first found that fits: whether one exists is asked); without
/// `f`, the first found whose layers fit (the lower bound's bisection).
fn solve_at(
    spaces: &[LayerCandidates],
    cache: &ChoiceCache,
    f: Option<&Folding>,
    budget: &Resources,
    reserve: &Resources,
    t: u64,
    ask: Ask,
) -> Solved {
    let b = budget.as_array();
    let g = reserve.as_array();
    let cap: [u64; 5] = std::array::from_fn(|k| b[k].saturating_sub(g[k]));
    let inv = cache.inv;
    let masks = masks(&b);
    if masks.is_empty() {
        // No resource has a budget: nothing to fold against (the heuristic answers).
        return Solved {
            sel: None,
            proved: true,
            rejected_glue: None,
        };
    }
    let all_choices = cache.at(spaces, t, f.is_some());
    let mut layers: Vec<(usize, &Choices)> = Vec::with_capacity(spaces.len());
    for (l, c) in all_choices.iter().enumerate() {
        if c.is_empty() {
            return Solved {
                sel: None,
                proved: true,
                rejected_glue: None,
            };
        }
        layers.push((l, c));
    }
    // Most demanding layers first: their choice constrains the rest most.
    layers.sort_by(|a, b| {
        let least = |c: &Choices| c[0].share;
        least(b.1).total_cmp(&least(a.1)).then(a.0.cmp(&b.0))
    });
    let mut suffix = vec![vec![0.0; masks.len()]; layers.len() + 1];
    for l in (0..layers.len()).rev() {
        for (m, &(mask, _)) in masks.iter().enumerate() {
            let least = layers[l]
                .1
                .iter()
                .map(|c| share_of(&c.res, mask, &inv))
                .fold(f64::INFINITY, f64::min);
            suffix[l][m] = suffix[l + 1][m] + least;
        }
    }
    let order: Vec<usize> = layers.iter().map(|(l, _)| *l).collect();
    let to_selection = |pick: &[usize]| {
        let mut sel = vec![0; spaces.len()];
        for (depth, l) in order.iter().enumerate() {
            sel[*l] = pick[depth];
        }
        sel
    };
    let judge = |pick: &[usize]| {
        let Some(f) = f else {
            return Err(Resources::default());
        };
        let (total, cycles) = f.figures(&to_selection(pick));
        if total.fits(budget) && cycles <= t {
            Ok(budget_share(&total, budget))
        } else {
            Err(total)
        }
    };
    // The incumbent, when it fits whole at `t`: its share, its picks in search order.
    let incumbent = match (ask, f) {
        (Ask::LeastShare(Some(sel)), Some(f)) => {
            let (total, cycles) = f.figures(sel);
            (total.fits(budget) && cycles <= t).then(|| {
                let pick = order.iter().map(|&l| sel[l]).collect();
                (budget_share(&total, budget), pick)
            })
        }
        _ => None,
    };
    let mut s = Search {
        pick: vec![0; layers.len()],
        layers,
        cap,
        inv,
        masks: &masks,
        // `masks` lists subset m (of the budgeted resources) at index m - 1.
        mask_rest: (1..=masks.len())
            .map(|m| (m & (m - 1)).checked_sub(1))
            .collect(),
        suffix,
        judge: f.is_some().then_some(&judge as Judge),
        rejected_glue: None,
        first_fit: matches!(ask, Ask::AnyFit),
        best: incumbent,
        nodes: 0,
        leaves: 0,
    };
    s.run(0, [0; 5]);
    Solved {
        proved: s.feasible_found() || !s.over_limit(),
        sel: s.best.map(|(_, pick)| to_selection(&pick)),
        rejected_glue: s.rejected_glue,
    }
}

/// A selection at target `t` whose whole pipeline fits: solves with the layers held to
/// `budget - reserve`, the reserve raised to the glue of the first selection that did not fit,
/// for at most [`GLUE_ROUNDS`] rounds (found: proved optimal at `t` when `proved`). `ask`
/// says whether any fitting selection answers or the least share is searched.
fn fit_with_glue(
    f: &Folding,
    cache: &ChoiceCache,
    budget: &Resources,
    t: u64,
    ask: Ask,
) -> (Option<Selection>, bool) {
    let mut reserve = Resources::default();
    let mut proved = true;
    for _ in 0..GLUE_ROUNDS {
        let s = solve_at(f.spaces, cache, Some(f), budget, &reserve, t, ask);
        proved &= s.proved;
        if s.sel.is_some() {
            return (s.sel, proved);
        }
        let Some(glue) = s.rejected_glue else {
            return (None, proved); // nothing fits even before its glue
        };
        let raised = reserve.max_each(&glue);
        if raised == reserve {
            break;
        }
        reserve = raised;
        proved = false; // a reserve may exclude a selection with less glue that fits
    }
    (None, false)
}

/// The exact folding of `f` within `budget` (see the module comment). `known`, a fitting
/// selection and its cycles per frame (the heuristic's), answers every target from its cycles
/// on, so only faster targets are searched, and the least share starts from the cheaper of it
/// and [`select::cheapest_within`] at the target found.
pub fn fastest(f: &Folding, budget: &Resources, known: Option<(u64, Selection)>) -> ExactFold {
    let spaces = f.spaces;
    let points = cycle_points(spaces, u64::MAX);
    let cache = ChoiceCache::new(budget);
    // Feasibility only grows with the target (a larger one only adds candidates), so both
    // searches bisect: first with the layers alone (a lower bound whatever the glue), then
    // from there with every complete selection's whole pipeline. The bisections ask only
    // whether a selection fits (the first one found answers); the least share is searched
    // once, at the target found.
    let bisect = |from: usize, to: usize, with_glue: bool| {
        let (mut lo, mut hi) = (from, to);
        let mut proved = true;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (sel, ok) = if with_glue {
                fit_with_glue(f, &cache, budget, points[mid], Ask::AnyFit)
            } else {
                let none = Resources::default();
                let s = solve_at(
                    spaces,
                    &cache,
                    None,
                    budget,
                    &none,
                    points[mid],
                    Ask::AnyFit,
                );
                (s.sel, s.proved)
            };
            proved &= ok;
            if sel.is_some() {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        (lo, proved)
    };
    let (first, proved) = bisect(0, points.len(), false);
    // The first target at or above the known selection's cycles needs no search.
    let known_at = known
        .as_ref()
        .map_or(points.len(), |(c, _)| points.partition_point(|p| p < c))
        .max(first);
    let (fastest, _) = bisect(first, known_at, true);
    let target = match points.get(fastest) {
        Some(&t) if fastest < known_at => Some(t),
        _ => known.as_ref().map(|(c, _)| *c),
    };
    let found = target.and_then(|t| {
        let start = cheaper(f, budget, select::cheapest_within(f, budget, t), &known, t);
        let ask = Ask::LeastShare(start.as_ref());
        fit_with_glue(f, &cache, budget, t, ask).0.or(start)
    });
    ExactFold {
        best: found.map(|sel| (f.figures(&sel).1, sel)),
        lower: points.get(first).copied().unwrap_or(u64::MAX),
        proved,
    }
}

/// The lower-share one of `a` and the known selection, when that meets `t`.
fn cheaper(
    f: &Folding,
    budget: &Resources,
    a: Option<Selection>,
    known: &Option<(u64, Selection)>,
    t: u64,
) -> Option<Selection> {
    let b = known
        .as_ref()
        .filter(|(c, _)| *c <= t)
        .map(|(_, s)| s.clone());
    let share = |s: &Selection| budget_share(&f.figures(s).0, budget);
    match (a, b) {
        (Some(a), Some(b)) => Some(if share(&b) < share(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}
