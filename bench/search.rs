//! Search benchmark: candidate evaluations per second (materialise, read the model, IR, fold
//! under the PYNQ-Z2 budget, estimate figures, MACs proxy) on ResNet-8-sized candidates from
//! models/spaces/cifar_resnet.yaml, on one thread and in parallel with rayon, plus where the
//! time of one evaluation goes. Run with `cargo bench --bench search` (BENCH_CANDIDATES sets
//! how many distinct candidates, default 600; BENCH_THREADS the parallel threads, default 2;
//! BENCH_REPEAT the timed passes per rate, default 5). The process uses mimalloc, as the
//! `half-gen` binary does.

use half_gen::fold::{self, Options};
use half_gen::search::evaluate::{Settings, hardware_side};
use half_gen::search::nsga2::{Rng, random_arch};
use half_gen::search::{Proxy, Space};
use half_gen::{ir, model};
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Distinct candidates: random choice vectors, deduplicated by architecture hash.
fn candidates(space: &Space, n: usize) -> Vec<Vec<usize>> {
    let sizes: Vec<usize> = space.vars.iter().map(|v| v.options.len()).collect();
    let mut rng = Rng::new(7);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut tries = 0;
    while out.len() < n && tries < n * 100 {
        tries += 1;
        let a = random_arch(&mut rng, &sizes);
        if seen.insert(space.materialise(&a).hash) {
            out.push(a);
        }
    }
    out
}

fn evaluate(space: &Space, settings: &Settings, a: &[usize]) -> u64 {
    let cand = space.materialise_lean(a);
    let (rec, _) = hardware_side(space, &cand, a, settings);
    // MACs proxy: the accuracy is the MAC count.
    rec.macs.unwrap_or(0) + rec.hw.map_or(0, |h| h.cycles_per_frame)
}

fn main() {
    let n = env("BENCH_CANDIDATES", 600);
    let threads = env("BENCH_THREADS", 2);
    let space = half_gen::search::load(Path::new("models/spaces/cifar_resnet.yaml"))
        .expect("the example space loads");
    // Every timed pass starts with an empty layer cache, as a search does; it warms within
    // the pass as candidates repeat layer configurations.
    let fresh = || Settings {
        board: half_gen::board::lookup("pynq-z2").expect("built-in board"),
        fold: Options {
            fast: true,
            ..Default::default()
        },
        min_fps: None,
        proxy: Proxy::Macs,
        candidate_cache: Default::default(),
    };
    let list = candidates(&space, n);
    let n = list.len();
    println!(
        "{n} distinct ResNet-8-sized candidates of {} (space size {})",
        space.name,
        space.size_text()
    );

    // Each rate is the median of BENCH_REPEAT timed passes (default 5), every pass with a
    // fresh cache; the spread (slowest and fastest pass) is printed beside it.
    let repeat = env("BENCH_REPEAT", 5).max(1);
    let timed = |run: &dyn Fn() -> u64| -> (u64, Vec<f64>) {
        let mut secs = Vec::new();
        let mut sum = 0;
        for _ in 0..repeat {
            let t = Instant::now();
            sum = run();
            secs.push(t.elapsed().as_secs_f64());
        }
        secs.sort_by(f64::total_cmp);
        (sum, secs)
    };
    let rate = |secs: &[f64]| {
        format!(
            "{:>6.0} evaluations/s median of {repeat} passes (slowest {:.0}, fastest {:.0})",
            n as f64 / secs[secs.len() / 2],
            n as f64 / secs[secs.len() - 1],
            n as f64 / secs[0]
        )
    };
    let (one, s1) = timed(&|| {
        let settings = fresh();
        list.iter().map(|a| evaluate(&space, &settings, a)).sum()
    });
    println!("1 thread:  {}", rate(&s1));

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let (par, sp) = timed(&|| {
        let settings = fresh();
        pool.install(|| {
            list.par_iter()
                .map(|a| evaluate(&space, &settings, a))
                .sum()
        })
    });
    assert_eq!(one, par, "parallel evaluation gives the same results");
    println!(
        "{threads} threads: {} ({:.2}x)",
        rate(&sp),
        s1[s1.len() / 2] / sp[sp.len() / 2]
    );

    // Where one evaluation's time goes (one thread, a fresh cache).
    let settings = fresh();
    let (mut tm, mut tp, mut ti, mut tf, mut ts) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for a in &list {
        let t = Instant::now();
        let cand = space.materialise_lean(a);
        tm += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let Some(Ok(m)) = cand
            .tree
            .as_ref()
            .map(|t| model::from_json(t, &space.file, &space.name, &space.dir))
        else {
            continue;
        };
        tp += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let Ok(g) = ir::build(&m) else { continue };
        ti += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let spaces = fold::candidates::build_cached(
            &g,
            &settings.board,
            (&Default::default(), false),
            Some(&settings.candidate_cache),
        );
        ts += t.elapsed().as_secs_f64();
        let t = Instant::now();
        let d = fold::optimize_cached(
            &g,
            &settings.board,
            &settings.fold,
            Some(&settings.candidate_cache),
        );
        tf += t.elapsed().as_secs_f64();
        std::hint::black_box((spaces.is_ok(), d.is_ok()));
    }
    let ms = |s: f64| s * 1e3 / n as f64;
    println!(
        "per evaluation: materialise {:.3} ms, read model {:.3} ms, IR {:.3} ms, candidate folds (cached) {:.3} ms, then fold::optimize {:.3} ms",
        ms(tm),
        ms(tp),
        ms(ti),
        ms(ts),
        ms(tf)
    );
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
