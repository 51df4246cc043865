//! With FINN's published foldings pinned (finn-examples `folding_config/*.json`, transcribed in
//! tests/data/*_finn.yaml), our matrix-unit cycle counts equal FINN's:
//! `cycles = (Cout/PE) * (K*K*Cin/SIMD) * OH*OW`.

use half_gen::fold::{Options, config};
use std::collections::BTreeMap;
use std::path::Path;

fn cycles_with(model: &str, folding: &str) -> (u64, String, BTreeMap<String, u64>) {
    let pins = config::load(Path::new(folding)).unwrap();
    let opts = Options {
        pins,
        ..Default::default()
    };
    let r = half_gen::estimate(Path::new(model), "pynq-z2", &opts).unwrap();
    let e = r.estimate;
    let per_layer = e
        .layers
        .iter()
        .filter(|l| l.macs > 0)
        .map(|l| (l.name.clone(), l.cycles))
        .collect();
    (e.cycles_per_frame, e.bottleneck, per_layer)
}

/// FINN's MVAU formula, written out for every layer.
fn finn(cout: u64, pe: u64, k: u64, cin: u64, simd: u64, ohw: u64) -> u64 {
    (cout / pe) * (k * k * cin / simd) * ohw
}

#[test]
fn cnv_w1a1_matches_finn_table() {
    let (cycles, bottleneck, l) =
        cycles_with("models/cnv_w1a1.yaml", "tests/data/cnv_w1a1_finn.yaml");
    let expect = [
        ("conv0", finn(64, 16, 3, 3, 3, 30 * 30)),
        ("conv1", finn(64, 32, 3, 64, 32, 28 * 28)),
        ("conv2", finn(128, 16, 3, 64, 32, 12 * 12)),
        ("conv3", finn(128, 16, 3, 128, 32, 10 * 10)),
        ("conv4", finn(256, 4, 3, 128, 32, 3 * 3)),
        ("conv5", finn(256, 1, 3, 256, 32, 1)),
        ("fc0", finn(512, 1, 1, 256, 4, 1)),
        ("fc1", finn(512, 1, 1, 512, 8, 1)),
        ("fc2", finn(10, 5, 1, 512, 1, 1)),
    ];
    for (name, c) in expect {
        assert_eq!(l[name], c, "{name}");
    }
    // The published table: slowest layers fc0 and fc1 at 32,768 cycles.
    assert_eq!((l["fc0"], l["fc1"]), (32_768, 32_768));
    assert_eq!(cycles, 32_768);
    assert!(bottleneck == "fc0" || bottleneck == "fc1", "{bottleneck}");
}

#[test]
fn cnv_w2a2_matches_finn_table() {
    let (cycles, bottleneck, l) =
        cycles_with("models/cnv_w2a2.yaml", "tests/data/cnv_w2a2_finn.yaml");
    let expect = [
        ("conv0", finn(64, 8, 3, 3, 3, 30 * 30)),
        ("conv1", finn(64, 16, 3, 64, 16, 28 * 28)),
        ("conv2", finn(128, 8, 3, 64, 16, 12 * 12)),
        ("conv3", finn(128, 8, 3, 128, 16, 10 * 10)),
        ("conv4", finn(256, 4, 3, 128, 8, 3 * 3)),
        ("conv5", finn(256, 1, 3, 256, 8, 1)),
        ("fc0", finn(512, 1, 1, 256, 2, 1)),
        ("fc1", finn(512, 2, 1, 512, 2, 1)),
        ("fc2", finn(10, 5, 1, 512, 1, 1)),
    ];
    for (name, c) in expect {
        assert_eq!(l[name], c, "{name}");
    }
    assert_eq!(l["conv3"], 115_200);
    assert_eq!((cycles, bottleneck.as_str()), (115_200, "conv3"));
}

#[test]
fn tfc_matches_finn_table() {
    let (cycles, _, l) = cycles_with("models/tfc_w1a1.yaml", "tests/data/tfc_finn.yaml");
    assert_eq!(l["fc0"], finn(64, 16, 1, 784, 49, 1));
    assert_eq!(l["fc1"], finn(64, 8, 1, 64, 8, 1));
    assert_eq!(l["fc2"], finn(64, 8, 1, 64, 8, 1));
    assert_eq!(l["fc3"], finn(10, 10, 1, 64, 8, 1));
    assert_eq!(cycles, 64);
}

#[test]
fn our_cnv_folding_beats_finn_within_the_same_budget() {
    for m in ["cnv_w1a1", "cnv_w2a2"] {
        let ours = half_gen::estimate(
            Path::new(&format!("models/{m}.yaml")),
            "pynq-z2",
            &Options::default(),
        )
        .unwrap();
        let (finn_cycles, _, _) = cycles_with(
            &format!("models/{m}.yaml"),
            &format!("tests/data/{m}_finn.yaml"),
        );
        let e = ours.estimate;
        assert!(e.total.fits(&e.budget));
        assert!(
            e.cycles_per_frame < finn_cycles,
            "{m}: ours {} vs FINN {finn_cycles}",
            e.cycles_per_frame
        );
    }
}
