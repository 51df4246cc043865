//! Plain-text output of `half-gen search` and `half-gen lut`.

use super::lut::Lut;
use super::run::Summary;
use super::space::Space;
use std::fmt::Write;

/// The failed and infeasible candidates: counts per status, the most frequent reasons, and a
/// plain statement when nothing was feasible. Empty when every candidate was feasible.
pub fn failures(s: &Summary) -> String {
    let f = &s.failures;
    let mut out = String::new();
    if f.statuses.is_empty() {
        return out;
    }
    let counts: Vec<String> = f
        .statuses
        .iter()
        .map(|c| format!("{} {}", c.count, c.status.name()))
        .collect();
    let _ = writeln!(
        out,
        "not feasible: {} ({} distinct reason{}); most frequent:",
        counts.join(", "),
        f.distinct_reasons,
        if f.distinct_reasons == 1 { "" } else { "s" }
    );
    for r in &f.reasons {
        let _ = writeln!(out, "  {} x {}: {}", r.count, r.status.name(), r.reason);
    }
    if f.evaluator_always_failed() {
        let _ = writeln!(
            out,
            "the evaluator failed for every candidate it ran on ({} of {}): no accuracy was measured",
            f.evaluator_failures, f.evaluator_runs
        );
    } else if s.feasible == 0 {
        let _ = writeln!(
            out,
            "no feasible architecture: every candidate of this run is infeasible or failed"
        );
    }
    out
}

/// One line: the space, its decision variables and its size.
pub fn space_line(space: &Space) -> String {
    format!(
        "space {} ({}): {} decision variables, {} architectures",
        space.name,
        space.file,
        space.vars.len(),
        space.size_text()
    )
}

fn num(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v.abs() >= 1e6 {
        format!("{v:.3e}")
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.3}")
    }
}

/// An evaluation rate, or the seconds per evaluation when under one per second (a training
/// evaluator).
fn rate(per_s: f64) -> String {
    if per_s >= 1.0 || per_s <= 0.0 {
        format!("{per_s:.0} evaluations/s")
    } else {
        format!("{:.1} s per evaluation", 1.0 / per_s)
    }
}

/// What the search did, and its front as a table.
pub fn summary(s: &Summary) -> String {
    let p = &s.pareto;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "search: {} architectures ({} evaluated now, {} from earlier runs) in {} generations, {:.1} s ({}); {} feasible",
        s.evaluations,
        s.fresh,
        s.evaluations - s.fresh,
        s.generations,
        s.seconds,
        rate(s.evaluations_per_s),
        s.feasible
    );
    out.push_str(&failures(s));
    let _ = writeln!(
        out,
        "front ({}; accuracy = {}): {} of {} architectures in {}",
        p.objectives.join(" vs "),
        p.accuracy,
        p.front.len(),
        p.evaluated,
        s.dir
    );
    let mut head: Vec<String> = p.objectives.iter().map(|o| o.to_string()).collect();
    head.extend(["fps", "latency_us", "lut%", "dsp", "bram18", "model"].map(String::from));
    head.dedup();
    let rows: Vec<Vec<String>> = p
        .front
        .iter()
        .map(|pt| {
            let mut r: Vec<String> = pt.objectives.iter().map(|o| num(o.value)).collect();
            r.extend([
                num(pt.fps),
                num(pt.latency_us),
                format!("{:.1}", pt.lut_share * 100.0),
                pt.dsp.to_string(),
                pt.bram18.to_string(),
                pt.file.clone(),
            ]);
            r
        })
        .collect();
    let k = p.objectives.len();
    let keep: Vec<usize> = (0..head.len())
        .filter(|&i| i < k || !p.objectives.contains(&head[i].as_str()))
        .collect();
    let widths: Vec<usize> = keep
        .iter()
        .map(|&i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, String::len))
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &dyn Fn(usize) -> String| -> String {
        keep.iter()
            .zip(&widths)
            .map(|(&i, w)| format!("{:>w$}", cells(i), w = *w))
            .collect::<Vec<_>>()
            .join("  ")
    };
    let _ = writeln!(out, "{}", line(&|i| head[i].clone()));
    for r in &rows {
        let _ = writeln!(out, "{}", line(&|i| r.get(i).cloned().unwrap_or_default()));
    }
    let _ = writeln!(
        out,
        "wrote pareto.json, pareto.csv, pareto.svg, pareto/ ({} models), results.jsonl, history.jsonl",
        p.front.len()
    );
    out
}

/// The lookup table's configurations, one line each (the folds are in `--csv`/`--json`).
pub fn lut_table(l: &Lut) -> String {
    let mut out = String::new();
    let folds: usize = l.configs.iter().map(|c| c.folds.len()).sum();
    let _ = writeln!(
        out,
        "{} on {}: {} layer configurations from {} architectures{}, {} (configuration, fold) rows",
        l.space,
        l.board,
        l.configs.len(),
        l.architectures,
        if l.sampled {
            format!(" (a seeded sample of the {} choice vectors)", l.size)
        } else {
            String::new()
        },
        folds
    );
    let _ = writeln!(
        out,
        "{:>4}  {:<8} {:<28} {:<22} {:>10} {:>6} {:>12} {:>12}  layers",
        "id", "op", "inputs", "output", "macs", "folds", "min cycles", "max cycles"
    );
    for c in &l.configs {
        let min = c.folds.iter().map(|f| f.cycles).min().unwrap_or(0);
        let max = c.folds.iter().map(|f| f.cycles).max().unwrap_or(0);
        let _ = writeln!(
            out,
            "{:>4}  {:<8} {:<28} {:<22} {:>10} {:>6} {:>12} {:>12}  {}",
            c.id,
            c.op,
            c.inputs.join(" + "),
            c.output,
            c.macs,
            c.folds.len(),
            min,
            max,
            c.layers.join(" ")
        );
    }
    let _ = writeln!(
        out,
        "every fold's cycles, latency, LUT, FF, BRAM18, URAM, DSP: --csv or --json; a network's frames/s = clock / max over its stages of cycles (docs/search-space.md)"
    );
    out
}
