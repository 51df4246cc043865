//! `Operator::cost_all` (a layer's folds costed in one batch, sharing the parts folds have in
//! common) gives exactly `Operator::cost` of each fold, on every layer of the example models,
//! of a model with per-channel requantisation and of random models, for both DSP primitives, padded lanes included.

mod common;

use half_gen::cost::DspKind;
use half_gen::ops;
use half_gen::stage::HwCtx;
use half_gen::{ir, model};
use std::path::Path;

fn check(path: &Path) -> usize {
    let m = model::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let g = ir::build(&m).unwrap();
    let mut checked = 0;
    for n in g.layers() {
        let node = &g.g[n];
        let Some(layer) = node.op() else { continue };
        let op = layer.op();
        let mut space = op.fold_space(node);
        // Padded lanes too, where the layer allows them.
        if space.padded_lanes.pe {
            space.pe = ops::lane_counts(op.out_channels(node));
        }
        for dsp in [DspKind::Dsp48e1, DspKind::Dsp48e2] {
            let folds = ops::mac_folds(&space, Some(dsp));
            let hw = HwCtx { dsp };
            let batch = op.cost_all(node, &folds, &hw);
            assert_eq!(batch.len(), folds.len());
            for (fold, got) in folds.iter().zip(&batch) {
                assert_eq!(
                    got,
                    &op.cost(node, fold, &hw),
                    "{} layer {} fold {fold:?} on {dsp:?}",
                    path.display(),
                    node.name
                );
            }
            checked += folds.len();
        }
    }
    checked
}

#[test]
fn a_batch_costs_each_fold_as_alone() {
    let mut checked = 0;
    for name in common::EXAMPLE_MODELS {
        checked += check(&Path::new("models").join(format!("{name}.yaml")));
    }
    // Per-channel scales and shifts: the requantiser's shape depends on PE (its parameters
    // per PE), which shows in its cost once a PE holds more than a LUTRAM's 64 entries.
    checked += check(Path::new("tests/data/bigshift.yaml"));
    let list = |n: usize, f: fn(usize) -> usize| {
        (0..n)
            .map(|i| f(i).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let wide = format!(
        "name: wide\ninput: {{shape: [4, 4, 8], bits: 4}}\nlayers:\n  - {{name: c0, op: conv, \
         channels: 256, kernel: 1, weight_bits: 4, output: {{bits: 4}}, requant: {{scale: [{}], \
         shift: [{}]}}}}\n",
        list(256, |i| 1 + i % 7),
        list(256, |i| 8 + i % 5)
    );
    checked += check(&common::write_temp("cost-batch", "wide.yaml", &wide));
    for seed in 0..20 {
        let text = common::random_model(seed);
        let path = common::write_temp("cost-batch", &format!("m{seed}.yaml"), &text);
        checked += check(&path);
    }
    assert!(checked > 10_000, "only {checked} folds compared");
}
