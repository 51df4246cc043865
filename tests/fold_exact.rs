//! The exact folding search (`fold::exact`) against brute force: on models small enough to try
//! every selection of their candidates, the fastest selection whose whole pipeline (glue
//! included) fits the budget has exactly the cycles per frame the search finds, and no
//! selection reaches the search's lower bound's predecessor even with its glue left out; of
//! the fastest, the search's has the least budget share.

use half_gen::board;
use half_gen::fold::candidates;
use half_gen::fold::exact;
use half_gen::fold::select::{self, Folding, Selection, budget_share};
use half_gen::fold::{Caps, config, config::Pins};
use half_gen::{ir, model};
use std::path::Path;

/// Every selection of the lists' candidates, in order (an odometer).
fn every_selection(lens: &[usize], mut visit: impl FnMut(&Selection)) {
    let mut sel = vec![0; lens.len()];
    loop {
        visit(&sel);
        let mut l = 0;
        while l < lens.len() {
            sel[l] += 1;
            if sel[l] < lens[l] {
                break;
            }
            sel[l] = 0;
            l += 1;
        }
        if l == lens.len() {
            return;
        }
    }
}

fn agrees_with_brute_force(path: &str, board_name: &str, caps: &str, pins: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let m = model::parse(&text, path, "m", Path::new("tests/data")).unwrap();
    let g = ir::build(&m).unwrap();
    let board = board::lookup(board_name).unwrap();
    let pins = if pins.is_empty() {
        Pins::default()
    } else {
        config::parse(pins, "pins.yaml").unwrap()
    };
    let spaces = candidates::build(&g, &board, &pins).unwrap();
    let budget = Caps::parse(caps).unwrap().budget(&board.resources());
    let f = Folding::new(&g, &spaces);
    let lens: Vec<usize> = spaces.iter().map(|s| s.list.cands.len()).collect();
    let total: usize = lens.iter().product();
    assert!(
        total <= 4_000_000,
        "{path}: {total} selections, too many to try"
    );
    let (mut best, mut least_layers_only) = (u64::MAX, u64::MAX);
    // The fastest fitting selections' least budget share.
    let mut least_share = f64::INFINITY;
    every_selection(&lens, |sel| {
        let slowest = spaces
            .iter()
            .zip(sel)
            .map(|(s, &i)| s.list.cycles[i])
            .max()
            .unwrap_or(0);
        let layers = spaces
            .iter()
            .zip(sel)
            .fold(half_gen::cost::Resources::default(), |a, (s, &i)| {
                a + s.list.res[i]
            });
        if layers.fits(&budget) {
            least_layers_only = least_layers_only.min(slowest);
            let (res, cycles) = f.figures(sel);
            if res.fits(&budget) && cycles <= slowest {
                let share = budget_share(&res, &budget);
                if cycles < best {
                    (best, least_share) = (cycles, share);
                } else if cycles == best {
                    least_share = least_share.min(share);
                }
            }
        }
    });
    // From nothing, and from the heuristic's selection (which only spares searching the
    // targets it reaches): the same cycles and the same least share.
    for known in [None, select::fastest(&f, &budget)] {
        let e = exact::fastest(&f, &budget, known);
        assert!(e.proved, "{path}: the search hit its limits");
        assert_eq!(e.lower, least_layers_only, "{path}: lower bound");
        let found = e.best.as_ref().map(|b| b.0);
        assert_eq!(
            found,
            (best != u64::MAX).then_some(best),
            "{path}: fastest fitting"
        );
        if let Some((cycles, sel)) = &e.best {
            let (res, c) = f.figures(sel);
            assert!(
                res.fits(&budget) && c == *cycles,
                "{path}: the selection is what it says"
            );
            let share = budget_share(&res, &budget);
            assert!(
                (share - least_share).abs() < 1e-12,
                "{path}: least share {share}, brute force {least_share}"
            );
        }
    }
}

/// The last dense layer's constant scale pinned to its DSP: with every layer's scale a choice
/// (DSP or shift-adds) the MLP has 5.4 million selections; the first two keep the choice.
const MLP_PINS: &str = "d2: {scale: dsp}\n";

#[test]
fn dense_layers_fold_as_brute_force_says() {
    agrees_with_brute_force("tests/data/mlp.yaml", "zybo-z7-10", "lut=0.15", MLP_PINS);
}

#[test]
fn a_tight_budget_folds_as_brute_force_says() {
    // The fastest design mixes scale styles (d1's scale in shift-adds, d0's in a DSP).
    agrees_with_brute_force(
        "tests/data/mlp.yaml",
        "zybo-z7-10",
        "lut=0.06,dsp=0.1",
        MLP_PINS,
    );
}

#[test]
fn a_residual_block_folds_as_brute_force_says() {
    // Forks, an add and width converters: glue that depends on neighbouring choices. The
    // weight memories are pinned (and x's multipliers, and the constant scales but the add's)
    // to keep brute force within reach once SIMD spans kernel positions, products pack and
    // scales have two places.
    let pins = "x: {mem: bram, mult: lut, scale: dsp}\nb1: {mem: bram, scale: dsp}\n\
                b2: {mem: bram, mult: lut, scale: dsp}\ngap: {scale: dsp}\n";
    agrees_with_brute_force("tests/data/residual.yaml", "zybo-z7-10", "lut=0.2", pins);
}
