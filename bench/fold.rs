//! Folding benchmark: wall time of the folding optimizer alone, of loading (parse, IR,
//! weights, calibration) and of the whole estimate, for every example model on PYNQ-Z2 and
//! ZCU104 (median and min over repeated runs). Run with `cargo bench --bench fold`.

use half_gen::fold::Options;
use std::path::Path;
use std::time::{Duration, Instant};

/// The example models (one list with the tests').
#[path = "../tests/common/mod.rs"]
mod common;
use common::EXAMPLE_MODELS as MODELS;

fn median_ms(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(times[times.len() / 2]), ms(times[0]))
}

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    println!(
        "{:<18} {:<8} {:>10} {:>10} {:>10} {:>12} {:>10}",
        "model", "board", "fold med", "fold min", "load med", "estimate med", "cycles"
    );
    for m in MODELS {
        let path = format!("models/{m}.yaml");
        for name in ["pynq-z2", "zcu104"] {
            let board = half_gen::board::lookup(name).expect("built-in board");
            let (mut load, mut fold, mut all) = (Vec::new(), Vec::new(), Vec::new());
            let mut cycles = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let l = half_gen::load(Path::new(&path)).expect("example loads");
                load.push(t.elapsed());
                let t = Instant::now();
                let d = half_gen::fold::optimize(&l.graph, &board, &Options::default())
                    .expect("example folds");
                fold.push(t.elapsed());
                cycles = std::hint::black_box(d.pipeline.cycles);
                let t = Instant::now();
                let r = half_gen::estimate(Path::new(&path), name, &Options::default())
                    .expect("example estimates");
                all.push(t.elapsed());
                std::hint::black_box(r.estimate.cycles_per_frame);
            }
            let (fm, fmin) = median_ms(fold);
            let (lm, _) = median_ms(load);
            let (am, _) = median_ms(all);
            println!(
                "{m:<18} {name:<8} {fm:>10.3} {fmin:>10.3} {lm:>10.3} {am:>12.3} {cycles:>10}"
            );
        }
    }
    println!("fold = folding optimizer alone; load = parse + IR + weights + calibration;");
    println!("estimate = the whole `half-gen estimate` library call. Times in ms.");
}
