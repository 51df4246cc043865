//! Folding benchmark: wall time of load + IR + fold + report for every example model on
//! PYNQ-Z2 and ZCU104 (median and min over repeated runs). Run with `cargo bench --bench fold`.

use half_gen::fold::Options;
use std::path::Path;
use std::time::{Duration, Instant};

const MODELS: [&str; 7] = [
    "tfc_w1a1",
    "cnv_w1a1",
    "cnv_w2a2",
    "resnet8",
    "ds_cnn",
    "mobilenet_v1_025",
    "ad_autoencoder",
];

fn main() {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    println!(
        "{:<18} {:<8} {:>12} {:>12} {:>10}",
        "model", "board", "median ms", "min ms", "cycles"
    );
    for m in MODELS {
        for board in ["pynq-z2", "zcu104"] {
            let path = format!("models/{m}.yaml");
            let mut times: Vec<Duration> = Vec::with_capacity(runs);
            let mut cycles = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let r = half_gen::estimate(Path::new(&path), board, &Options::default())
                    .expect("example estimates");
                times.push(t.elapsed());
                cycles = std::hint::black_box(r.estimate.cycles_per_frame);
            }
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!(
                "{m:<18} {board:<8} {:>12.3} {:>12.3} {cycles:>10}",
                ms(times[runs / 2]),
                ms(times[0])
            );
        }
    }
}
