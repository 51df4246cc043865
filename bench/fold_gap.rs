//! The fast folding heuristic (what `search` runs on thousands of candidates) against the
//! exact search (`fold::exact`, what `estimate` and `build` add): on random candidates of the
//! example search spaces under the PYNQ-Z2 budget, how often the heuristic's cycles per frame
//! are the exact search's, the largest and mean gap, how often the exact search is proved, and
//! the time each takes. Run with `cargo bench --bench fold_gap` (BENCH_CANDIDATES per space,
//! default 400: 1,200 in all).

use half_gen::fold::{self, Options};
use half_gen::search::Space;
use half_gen::search::nsga2::{Rng, random_arch};
use half_gen::{ir, model};
use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

/// Distinct random candidates of `space` as folding graphs.
fn graphs(space: &Space, n: usize, seed: u64) -> Vec<ir::Graph> {
    let sizes: Vec<usize> = space.vars.iter().map(|v| v.options.len()).collect();
    let mut rng = Rng::new(seed);
    let (mut seen, mut out) = (HashSet::new(), Vec::new());
    for _ in 0..n * 100 {
        if out.len() == n {
            break;
        }
        let a = random_arch(&mut rng, &sizes);
        let cand = space.materialise_lean(&a);
        if !seen.insert(cand.hash.clone()) {
            continue;
        }
        let Some(Ok(m)) = cand
            .tree
            .as_ref()
            .map(|t| model::from_json(t, &space.file, &space.name, &space.dir))
        else {
            continue;
        };
        if let Ok(g) = ir::build(&m) {
            out.push(g);
        }
    }
    out
}

fn main() {
    let n: usize = std::env::var("BENCH_CANDIDATES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let board = half_gen::board::lookup("pynq-z2").expect("built-in board");
    let fast = Options {
        fast: true,
        ..Default::default()
    };
    println!(
        "space               candidates  fit  equal  exact faster  max gap  mean gap  proved  heuristic ms  exact ms"
    );
    for (i, name) in ["cifar_resnet", "cifar_inception", "kws"]
        .iter()
        .enumerate()
    {
        let path = format!("models/spaces/{name}.yaml");
        let space = half_gen::search::load(Path::new(&path)).expect("the example space loads");
        let list = graphs(&space, n, 11 + i as u64);
        let (mut fit, mut equal, mut faster, mut proved) = (0, 0, 0, 0);
        let (mut max_gap, mut sum_gap) = (0.0f64, 0.0f64);
        let (mut t_fast, mut t_exact) = (0.0, 0.0);
        for g in &list {
            let t = Instant::now();
            let h = fold::optimize(g, &board, &fast);
            t_fast += t.elapsed().as_secs_f64();
            let t = Instant::now();
            let e = fold::optimize(g, &board, &Options::default());
            t_exact += t.elapsed().as_secs_f64();
            let (Ok(h), Ok(e)) = (h, e) else { continue };
            fit += 1;
            let x = e.exact.expect("the exact search ran");
            proved += usize::from(x.proved);
            let (hc, ec) = (h.pipeline.cycles, e.pipeline.cycles);
            equal += usize::from(hc == ec);
            faster += usize::from(ec < hc);
            let gap = hc as f64 / ec.max(1) as f64 - 1.0;
            max_gap = max_gap.max(gap);
            sum_gap += gap;
        }
        let k = list.len().max(1) as f64;
        println!(
            "{name:<19} {:>10} {fit:>4} {equal:>6} {faster:>13} {:>7.1}% {:>8.2}% {proved:>7} {:>13.1} {:>9.1}",
            list.len(),
            max_gap * 100.0,
            sum_gap / fit.max(1) as f64 * 100.0,
            t_fast / k * 1e3,
            t_exact / k * 1e3
        );
    }
}
