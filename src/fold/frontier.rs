//! A layer's price frontier and the block bounds that let the fitting heuristic skip most
//! of it: under non-negative prices a block of members prices no lower than its least
//! resources do (rounding is monotone), so a scan for the least priced skips every block
//! whose bound is above the best so far, and a scan for members lowering some resource skips
//! every block whose least lowers none. Both find exactly what the plain scans find (the
//! tests below compare them on random lists full of ties).

use crate::cost::PerResource;

/// Frontier members per inner block of [`FrontierRes`].
pub const INNER: usize = 4;
/// Frontier members per outer block (a multiple of [`INNER`]).
pub const OUTER: usize = 32;

/// A layer's price frontier as floating point, in frontier order (contiguous for the fitting
/// heuristic's scans), with the least of each resource per block of [`INNER`] and of
/// [`OUTER`] consecutive members (the last blocks may be short): under any non-negative
/// prices a block's least prices no higher than any of its members, so a scan for the least
/// priced skips a block whose bound is above the best so far.
#[derive(Debug, Default)]
pub struct FrontierRes {
    /// Members' resources.
    pub res: Vec<PerResource>,
    /// Least per block of [`INNER`] members.
    pub inner: Vec<PerResource>,
    /// Least per block of [`OUTER`] members.
    pub outer: Vec<PerResource>,
}

impl FrontierRes {
    /// The tables for `res`.
    pub fn new(res: Vec<PerResource>) -> Self {
        let least = |size: usize| -> Vec<PerResource> {
            res.chunks(size)
                .map(|b| {
                    PerResource::from_fn(|k| b.iter().map(|x| x[k]).fold(f64::INFINITY, f64::min))
                })
                .collect()
        };
        FrontierRes {
            inner: least(INNER),
            outer: least(OUTER),
            res,
        }
    }
}

/// The candidates that no earlier one (faster or as fast: the list is sorted by cycles)
/// matches or beats in every resource. Whatever non-negative prices weigh the resources, an
/// earlier candidate that uses no more of any costs no more (floating-point rounding is
/// monotone), and searches that keep the first of equals never pick a candidate off this
/// list; skipping them leaves their choices unchanged.
pub fn price_frontier(res: &[PerResource]) -> Vec<usize> {
    // Checking the frontier found so far suffices: an earlier candidate off the frontier is
    // matched by an earlier one on it, which then matches this one too. A candidate that uses
    // no more of any resource has no larger sum of them (rounding is monotone and the sums
    // are taken in one order), so only members of no larger sum are compared: the frontier
    // is also kept sorted by sum, and those members are a prefix of it.
    let sum = |x: &PerResource| x.iter().fold(0.0, |a, b| a + b);
    let mut frontier = Vec::with_capacity(res.len());
    let mut by_sum: Vec<(f64, usize)> = Vec::with_capacity(res.len());
    for (i, x) in res.iter().enumerate() {
        let total = sum(x);
        let cut = by_sum.partition_point(|&(t, _)| t <= total);
        // Largest sums first: a matching candidate is most often a similar one.
        let matched = by_sum[..cut]
            .iter()
            .rev()
            .any(|&(_, e)| res[e].iter().zip(x).all(|(a, b)| a <= b));
        if !matched {
            frontier.push(i);
            by_sum.insert(cut, (total, i));
        }
    }
    frontier
}

/// The first of the least priced of the first `n` members of a layer's frontier `f` under
/// `w`: (price, position), the plain scan's answer, found from `start` (the last round's
/// pick, a good first bound) by skipping every block whose least resources
/// ([`FrontierRes`]) price above the best so far: nothing in it prices at or
/// below that. Blocks are searched last first (slower candidates are cheaper).
pub fn least_priced(f: &FrontierRes, n: usize, w: &PerResource, start: usize) -> (f64, usize) {
    let mut pick = (f.res[start].dot(w), start);
    let outer = n.div_ceil(OUTER);
    for o in (0..outer).rev() {
        if f.outer[o].dot(w) > pick.0 {
            continue;
        }
        let inner_end = ((o + 1) * OUTER).min(n).div_ceil(INNER);
        for b in (o * OUTER / INNER..inner_end).rev() {
            if f.inner[b].dot(w) > pick.0 {
                continue;
            }
            for j in (b * INNER..((b + 1) * INNER).min(n)).rev() {
                let p = f.res[j].dot(w);
                if p < pick.0 || (p == pick.0 && j < pick.1) {
                    pick = (p, j);
                }
            }
        }
    }
    pick
}

/// Positions `0..n` of frontier `f`, ascending, but for the blocks whose least resources fail
/// `keep` (which must hold for a block whenever it holds for one of its members).
pub fn blocks_where(
    f: &FrontierRes,
    n: usize,
    keep: impl Fn(&PerResource) -> bool + Copy,
) -> impl Iterator<Item = usize> {
    (0..n.div_ceil(OUTER))
        .filter(move |&o| keep(&f.outer[o]))
        .flat_map(move |o| o * OUTER / INNER..((o + 1) * OUTER).min(n).div_ceil(INNER))
        .filter(move |&b| keep(&f.inner[b]))
        .flat_map(move |b| b * INNER..((b + 1) * INNER).min(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Resource vectors with many ties and zeros (small integers), as candidate lists have.
    fn resources(min_len: usize, max_len: usize) -> impl Strategy<Value = Vec<PerResource>> {
        prop::collection::vec(prop::array::uniform5(0u8..6), min_len..max_len).prop_map(|v| {
            v.into_iter()
                .map(|a| PerResource(a.map(f64::from)))
                .collect()
        })
    }

    proptest! {
        /// The frontier is what comparing each candidate with every earlier one gives.
        #[test]
        fn price_frontier_is_the_plain_definition(res in resources(0, 120)) {
            let plain: Vec<usize> = (0..res.len())
                .filter(|&i| !(0..i).any(|e| res[e].iter().zip(res[i].iter()).all(|(a, b)| a <= b)))
                .collect();
            prop_assert_eq!(price_frontier(&res), plain);
        }

        /// Every block bound is its members' least, block by block.
        #[test]
        fn block_bounds_are_the_least_of_their_members(res in resources(0, 100)) {
            let f = FrontierRes::new(res.clone());
            for (size, bounds) in [(INNER, &f.inner), (OUTER, &f.outer)] {
                prop_assert_eq!(bounds.len(), res.len().div_ceil(size));
                for (b, chunk) in res.chunks(size).enumerate() {
                    for k in 0..5 {
                        let least = chunk.iter().map(|x| x[k]).fold(f64::INFINITY, f64::min);
                        prop_assert_eq!(bounds[b][k], least);
                    }
                }
            }
        }
    }

    #[test]
    fn price_frontier_drops_what_an_earlier_candidate_matches() {
        let res = [
            [100.0, 50.0, 2.0, 0.0, 4.0], // fastest
            [120.0, 60.0, 2.0, 0.0, 4.0], // slower and dearer everywhere: off
            [60.0, 40.0, 2.0, 0.0, 8.0],  // trades DSPs for LUTs: on
            [100.0, 50.0, 2.0, 0.0, 4.0], // equal to the first: off (the first of equals)
            [50.0, 30.0, 1.0, 0.0, 2.0],  // cheapest of all: on
        ];
        assert_eq!(price_frontier(&res.map(PerResource)), vec![0, 2, 4]);
        assert!(price_frontier(&[]).is_empty());
    }

    proptest! {
        /// The block-pruned scan finds the plain scan's answer: the first of the least priced
        /// of the first `n`, from any start (ties are common: small integer resources).
        #[test]
        fn least_priced_is_the_plain_scan(
            res in resources(1, 150),
            w in prop::array::uniform5(0u8..3),
            cut in 0.0f64..1.0,
            from in 0.0f64..1.0,
        ) {
            let n = 1 + ((res.len() - 1) as f64 * cut) as usize;
            let start = ((n - 1) as f64 * from) as usize;
            // Small integer prices: equal prices are common, so ties are tested.
            let w = PerResource(w.map(f64::from));
            let mut plain = (f64::INFINITY, 0);
            for (j, x) in res[..n].iter().enumerate() {
                let p = x.dot(&w);
                if p < plain.0 {
                    plain = (p, j);
                }
            }
            let f = FrontierRes::new(res.clone());
            prop_assert_eq!(least_priced(&f, n, &w, start), plain);
        }

        /// Skipping blocks whose least fails a monotone test keeps every member passing it.
        #[test]
        fn blocks_where_keeps_every_passing_member(
            res in resources(1, 150),
            cur in prop::array::uniform5(0u8..8),
            over in prop::collection::vec(0usize..5, 1..3),
        ) {
            let cur = PerResource(cur.map(f64::from));
            let lowers = |x: &PerResource| over.iter().any(|&k| x[k] < cur[k]);
            let f = FrontierRes::new(res.clone());
            let kept: Vec<usize> = blocks_where(&f, res.len(), lowers).filter(|&j| lowers(&res[j])).collect();
            let plain: Vec<usize> = (0..res.len()).filter(|&j| lowers(&res[j])).collect();
            prop_assert_eq!(kept, plain);
        }
    }
}
