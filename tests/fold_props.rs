//! Property tests of the folding optimizer on random valid models: the design never exceeds
//! the budget, achieved cycles never beat the lower bound, and more budget is never slower.

mod common;

use half_gen::board::{self, Board};
use half_gen::cost::PerResource;
use half_gen::fold::{self, Caps, Options};
use half_gen::{ir, model};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use std::path::Path;

fn fold_with(text: &str, board: &Board, caps: Caps) -> Option<fold::Design> {
    let m =
        model::parse(text, "rand.yaml", "rand", Path::new(".")).expect("generated model is valid");
    let g = ir::build(&m).expect("generated model builds");
    let opts = Options {
        caps,
        ..Default::default()
    };
    fold::optimize(&g, board, &opts).ok()
}

fn config() -> Config {
    Config {
        cases: 96,
        rng_seed: RngSeed::Fixed(0x4841_4c46),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn design_fits_budget_and_respects_bound(seed in any::<u64>(), b in 0usize..3) {
        let text = common::random_model(seed);
        let board = board::lookup(["zybo-z7-10", "pynq-z2", "zcu104"][b]).unwrap();
        if let Some(d) = fold_with(&text, &board, Caps::default()) {
            prop_assert!(d.total.fits(&d.budget), "{:?} exceeds {:?}\n{text}", d.total, d.budget);
            prop_assert!(d.pipeline.cycles >= d.bound, "cycles {} < bound {}\n{text}", d.pipeline.cycles, d.bound);
        }
    }

    #[test]
    fn more_budget_is_never_slower(seed in any::<u64>(), lo in 0.05f64..0.5, extra in 0.0f64..0.5) {
        let text = common::random_model(seed);
        let board = board::lookup("zybo-z7-10").unwrap();
        let small = Caps(PerResource::splat(lo));
        let large = Caps(PerResource::splat(lo + extra));
        let a = fold_with(&text, &board, small);
        let b = fold_with(&text, &board, large);
        match (a, b) {
            (Some(a), Some(b)) => prop_assert!(
                b.pipeline.cycles <= a.pipeline.cycles,
                "budget {:?}: {} cycles, larger {:?}: {} cycles\n{text}",
                a.budget, a.pipeline.cycles, b.budget, b.pipeline.cycles
            ),
            (Some(_), None) => prop_assert!(false, "fits the small budget but not the larger\n{text}"),
            _ => {}
        }
    }
}

#[test]
fn generator_models_are_valid_and_varied() {
    let mut ops = std::collections::BTreeSet::new();
    for seed in 0..300 {
        let text = common::random_model(seed);
        let m = model::parse(&text, "rand.yaml", "rand", Path::new("."))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        ir::build(&m).unwrap_or_else(|e| panic!("{e}\n{text}"));
        for op in [
            "conv",
            "dwconv",
            "maxpool",
            "avgpool",
            "add",
            "concat",
            "dense",
            "stride: 2",
            "bits: 1",
            "padding: [",
        ] {
            if text.contains(op) {
                ops.insert(op);
            }
        }
    }
    assert_eq!(ops.len(), 10, "generator covers {ops:?}");
}

#[test]
fn small_random_models_fold_on_every_board() {
    for seed in 0..200 {
        let text = common::random_model(seed);
        for b in ["pynq-z2", "zcu104"] {
            let board = board::lookup(b).unwrap();
            let d = fold_with(&text, &board, Caps::default());
            assert!(d.is_some(), "{b}:\n{text}");
        }
    }
}

#[test]
fn the_early_fit_check_never_turns_away_what_folds() {
    // check_fit runs before weights and calibration (a lower bound on the uncalibrated
    // graph): whatever the calibrated graph folds under, it must let through. Tight caps make
    // part of the models fail both ways, so the test also sees it turn designs away.
    let board = board::lookup("zybo-z7-10").unwrap();
    let (mut turned_away, mut folded) = (0, 0);
    for seed in 0..300u64 {
        let text = common::random_model(seed);
        let cap = [0.002, 0.01, 0.05, 0.3][(seed % 4) as usize];
        let opts = Options {
            caps: Caps(PerResource::splat(cap)),
            ..Default::default()
        };
        let m = model::parse(&text, "rand.yaml", "rand", Path::new(".")).unwrap();
        let mut g = ir::build(&m).unwrap();
        let early = fold::check_fit(&g, &board, &opts);
        half_gen::parameters(&m, &mut g).unwrap();
        let design = fold::optimize(&g, &board, &opts);
        assert!(
            early.is_ok() || design.is_err(),
            "seed {seed}, cap {cap}: turned away a design that folds\n{text}"
        );
        turned_away += usize::from(early.is_err());
        folded += usize::from(design.is_ok());
    }
    assert!(
        turned_away > 20 && folded > 50,
        "{turned_away} turned away, {folded} folded"
    );
}

/// The folds (name and fold per layer), cycles per frame and resources of a model text folded
/// for pynq-z2 under the default caps.
fn folded_as(
    text: &str,
) -> (
    Vec<(String, half_gen::stage::Fold)>,
    u64,
    half_gen::cost::Resources,
) {
    let m = model::parse(text, "m.yaml", "m", Path::new(".")).expect("the model is valid");
    let g = ir::build(&m).expect("the model builds");
    let board = board::lookup("pynq-z2").unwrap();
    let d = fold::optimize(&g, &board, &Options::default()).expect("it folds");
    let folds = d.folds(&g).into_iter().map(|l| (l.name, l.fold)).collect();
    (folds, d.pipeline.cycles, d.total)
}

#[test]
fn networks_that_compute_the_same_thing_fold_the_same() {
    // ResNet-8 as written (`gap` a global pool, 1x1 stride-2 shortcuts `same`), with the pool
    // spelled as an 8x8 window over the 8x8 map, and with the shortcuts `valid` (no padding
    // either way): one computation, so one folding, cycles and resources (the pool spelled as
    // a window once folded 12 % slower with 175 DSPs idle).
    let base = std::fs::read_to_string("models/resnet8.yaml").unwrap();
    let global = "{name: gap, op: avgpool, global: true, output: {bits: 8}}";
    assert!(base.contains(global));
    let window = base.replace(
        global,
        "{name: gap, op: avgpool, kernel: 8, output: {bits: 8}}",
    );
    let valid = base.replace(
        "kernel: 1, stride: 2, padding: same",
        "kernel: 1, stride: 2, padding: valid",
    );
    assert_ne!(valid, base);
    let reference = folded_as(&base);
    assert_eq!(
        folded_as(&window),
        reference,
        "global pool vs an 8x8 window"
    );
    assert_eq!(
        folded_as(&valid),
        reference,
        "`valid` vs `same` on the 1x1 shortcuts"
    );
}
