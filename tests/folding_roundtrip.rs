//! The folding a design reports (`report/folding.yaml`, written by `build`) is a folding file
//! `--folding` takes back: on every example model, pinning every layer to it gives the same
//! design. (CNV-W1A1's last layer chose `scale: lut`, which the early no-fit check, run on
//! unit requantisers, refused as a pin.)

use half_gen::fold::{self, config};
use std::path::Path;

mod common;

use common::EXAMPLE_MODELS;

#[test]
fn every_example_folding_pins_back_to_the_same_design() {
    for m in EXAMPLE_MODELS {
        let path = format!("models/{m}.yaml");
        let first = half_gen::estimate(Path::new(&path), "pynq-z2", &fold::Options::default())
            .unwrap_or_else(|e| panic!("{m}: {e}"));
        let text = config::to_yaml(&first.design.folds(&first.graph));
        let pins = config::parse(&text, "folding.yaml").unwrap();
        let opts = fold::Options {
            pins,
            ..Default::default()
        };
        let again = half_gen::estimate(Path::new(&path), "pynq-z2", &opts)
            .unwrap_or_else(|e| panic!("{m}: its own folding refused: {e}\n{text}"));
        assert_eq!(
            config::to_yaml(&again.design.folds(&again.graph)),
            text,
            "{m}: the same folds"
        );
        assert_eq!(
            again.estimate.cycles_per_frame, first.estimate.cycles_per_frame,
            "{m}: cycles"
        );
        assert_eq!(again.design.total, first.design.total, "{m}: resources");
    }
}
