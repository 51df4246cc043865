//! NSGA-II (Deb, Pratap, Agarwal, Meyarivan: "A fast and elitist multiobjective genetic
//! algorithm: NSGA-II", IEEE Trans. Evolutionary Computation 6(2), 2002): constrained
//! domination (section VI), fast non-dominated sorting (section III-A), crowding distance
//! (section III-B), the crowded-comparison binary tournament, and uniform crossover with
//! per-variable mutation on choice indices. Every tie is broken by index, so a fixed seed
//! gives the same search.

use crate::weights::generate::SplitMix64;

/// An individual as the algorithm sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitness {
    /// Feasible (satisfies every constraint).
    pub feasible: bool,
    /// Total constraint violation (0 when feasible).
    pub violation: f64,
    /// Objectives, all to be minimised (maximised ones negated).
    pub objs: Vec<f64>,
}

/// Pareto domination on minimised objectives: no worse everywhere, better somewhere.
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    let mut better = false;
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return false;
        }
        better |= x < y;
    }
    better
}

/// Deb's constrained domination: a feasible individual beats an infeasible one; of two
/// infeasible ones the smaller violation wins; two feasible ones compare by Pareto domination.
pub fn constrained_dominates(a: &Fitness, b: &Fitness) -> bool {
    match (a.feasible, b.feasible) {
        (true, false) => true,
        (false, true) => false,
        (false, false) => a.violation < b.violation,
        (true, true) => dominates(&a.objs, &b.objs),
    }
}

/// Fast non-dominated sorting: the fronts, best first, each in index order.
pub fn fronts(pop: &[Fitness]) -> Vec<Vec<usize>> {
    let n = pop.len();
    let mut dominated_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut count = vec![0usize; n];
    for i in 0..n {
        for j in i + 1..n {
            if constrained_dominates(&pop[i], &pop[j]) {
                dominated_by[i].push(j);
                count[j] += 1;
            } else if constrained_dominates(&pop[j], &pop[i]) {
                dominated_by[j].push(i);
                count[i] += 1;
            }
        }
    }
    let mut out = Vec::new();
    let mut cur: Vec<usize> = (0..n).filter(|&i| count[i] == 0).collect();
    while !cur.is_empty() {
        let mut next = Vec::new();
        for &i in &cur {
            for &j in &dominated_by[i] {
                count[j] -= 1;
                if count[j] == 0 {
                    next.push(j);
                }
            }
        }
        next.sort_unstable();
        out.push(std::mem::take(&mut cur));
        cur = next;
    }
    out
}

/// Crowding distance of each member of `front` (same order): per objective, the members
/// sorted by value; the two ends get infinity, the others the normalised gap between their
/// neighbours, summed over objectives.
pub fn crowding(pop: &[Fitness], front: &[usize]) -> Vec<f64> {
    let m = front.len();
    let mut d = vec![0.0f64; m];
    let k = front.first().map_or(0, |&i| pop[i].objs.len());
    for o in 0..k {
        let mut idx: Vec<usize> = (0..m).collect();
        idx.sort_by(|&a, &b| {
            pop[front[a]].objs[o]
                .total_cmp(&pop[front[b]].objs[o])
                .then(front[a].cmp(&front[b]))
        });
        let (lo, hi) = (pop[front[idx[0]]].objs[o], pop[front[idx[m - 1]]].objs[o]);
        d[idx[0]] = f64::INFINITY;
        d[idx[m - 1]] = f64::INFINITY;
        if hi > lo {
            for w in 1..m.saturating_sub(1) {
                let gap = pop[front[idx[w + 1]]].objs[o] - pop[front[idx[w - 1]]].objs[o];
                d[idx[w]] += gap / (hi - lo);
            }
        }
    }
    d
}

/// Rank (front number) and crowding distance of every individual.
pub fn rank_and_crowding(pop: &[Fitness]) -> (Vec<usize>, Vec<f64>) {
    let mut rank = vec![0; pop.len()];
    let mut crowd = vec![0.0; pop.len()];
    for (r, f) in fronts(pop).iter().enumerate() {
        for (&i, c) in f.iter().zip(crowding(pop, f)) {
            rank[i] = r;
            crowd[i] = c;
        }
    }
    (rank, crowd)
}

/// Environmental selection: the `n` best by front, the last front cut by crowding distance
/// (largest first, then index).
pub fn select(pop: &[Fitness], n: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(n);
    for f in fronts(pop) {
        if out.len() + f.len() <= n {
            out.extend_from_slice(&f);
            continue;
        }
        let c = crowding(pop, &f);
        let mut order: Vec<usize> = (0..f.len()).collect();
        order.sort_by(|&a, &b| c[b].total_cmp(&c[a]).then(f[a].cmp(&f[b])));
        out.extend(order.into_iter().take(n - out.len()).map(|i| f[i]));
        break;
    }
    out
}

/// The search's random numbers.
#[derive(Debug, Clone)]
pub struct Rng(SplitMix64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(SplitMix64::new(seed))
    }
    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.0.range(0, n as i64 - 1) as usize
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Binary tournament by the crowded comparison: lower rank, then larger crowding distance,
/// then the first drawn.
pub fn tournament(rng: &mut Rng, rank: &[usize], crowd: &[f64]) -> usize {
    let a = rng.below(rank.len());
    let b = rng.below(rank.len());
    let better = rank[b] < rank[a] || (rank[b] == rank[a] && crowd[b] > crowd[a]);
    if better { b } else { a }
}

/// A uniformly random choice vector.
pub fn random_arch(rng: &mut Rng, sizes: &[usize]) -> Vec<usize> {
    sizes.iter().map(|&s| rng.below(s)).collect()
}

/// Uniform crossover (each variable from either parent with probability 1/2, applied with
/// probability `p_cross`, else a copy of `a`), then per-variable mutation: each variable with
/// at least two options moves, with probability `p_mut`, to a different option drawn uniformly.
pub fn offspring(
    rng: &mut Rng,
    a: &[usize],
    b: &[usize],
    sizes: &[usize],
    p_cross: f64,
    p_mut: f64,
) -> Vec<usize> {
    let cross = rng.unit() < p_cross;
    let mut child: Vec<usize> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| if cross && rng.unit() < 0.5 { y } else { x })
        .collect();
    for (v, &s) in child.iter_mut().zip(sizes) {
        if s > 1 && rng.unit() < p_mut {
            let r = rng.below(s - 1);
            *v = if r >= *v { r + 1 } else { r };
        }
    }
    child
}

/// Every neighbour of `a` (one variable moved to an adjacent option), in a random order.
pub fn neighbours(rng: &mut Rng, a: &[usize], sizes: &[usize]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for (v, &n) in sizes.iter().enumerate() {
        for next in [a[v].checked_sub(1), Some(a[v] + 1).filter(|&x| x < n)]
            .into_iter()
            .flatten()
        {
            let mut child = a.to_vec();
            child[v] = next;
            out.push(child);
        }
    }
    for i in (1..out.len()).rev() {
        out.swap(i, rng.below(i + 1));
    }
    out
}

/// `n` choice vectors in which every variable's options appear equally often (up to one),
/// in a random order per variable: a Latin-hypercube start that covers every option.
pub fn stratified(rng: &mut Rng, sizes: &[usize], n: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::with_capacity(sizes.len()); n];
    for &s in sizes {
        let mut col: Vec<usize> = (0..n).map(|i| i % s.max(1)).collect();
        for i in (1..n).rev() {
            col.swap(i, rng.below(i + 1));
        }
        for (a, v) in out.iter_mut().zip(col) {
            a.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(objs: &[f64]) -> Fitness {
        Fitness {
            feasible: true,
            violation: 0.0,
            objs: objs.to_vec(),
        }
    }

    #[test]
    fn sorting_and_crowding() {
        let pop = vec![
            fit(&[1.0, 4.0]),
            fit(&[2.0, 2.0]),
            fit(&[4.0, 1.0]),
            fit(&[3.0, 3.0]),
            Fitness {
                feasible: false,
                violation: 0.5,
                objs: vec![0.0, 0.0],
            },
        ];
        assert_eq!(fronts(&pop), vec![vec![0, 1, 2], vec![3], vec![4]]);
        let c = crowding(&pop, &[0, 1, 2]);
        assert!(c[0].is_infinite() && c[2].is_infinite());
        assert!((c[1] - 2.0).abs() < 1e-12);
        assert_eq!(select(&pop, 4), vec![0, 1, 2, 3]);
    }

    #[test]
    fn mutation_changes_the_value() {
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            let c = offspring(&mut rng, &[0, 1], &[0, 1], &[3, 2], 0.0, 1.0);
            assert_ne!(c[0], 0);
            assert_ne!(c[1], 1);
        }
    }
}
