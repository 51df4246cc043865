//! The optimizer's analytical pipeline latency (what `half-gen search` ranks by; `estimate`
//! reports the cycle-level schedule's) stays within 10 % (or 32 cycles, for the tiny
//! latencies of fully unrolled networks) of the schedule, which Verilator co-simulation
//! matches to the cycle (tests/cosim.rs), on every example model.

use half_gen::fold::{self, Options};
use std::path::Path;

#[test]
fn analytical_latency_tracks_the_schedule() {
    let board = half_gen::board::lookup("pynq-z2").unwrap();
    let mut models: Vec<_> = std::fs::read_dir("models")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    models.sort();
    models.push(Path::new("tests/data/cifar_wide_gap.yaml").to_path_buf());
    let mut report = Vec::new();
    for path in &models {
        let loaded = half_gen::load(path).unwrap();
        let design = fold::optimize(&loaded.graph, &board, &Options::default()).unwrap();
        let analytical = design.pipeline.latency as f64;
        let exact = half_gen::schedule(&loaded.graph, design)
            .unwrap()
            .1
            .schedule()
            .expect("every example has an RTL stage per layer and is small enough to schedule")
            .latency as f64;
        let err = (analytical - exact) / exact * 100.0;
        report.push(format!(
            "{}: {analytical} vs {exact} ({err:+.1} %)",
            path.display()
        ));
        assert!(
            (analytical - exact).abs() <= (0.1 * exact).max(32.0),
            "{}",
            report.join("\n")
        );
    }
    println!("{}", report.join("\n"));
}
