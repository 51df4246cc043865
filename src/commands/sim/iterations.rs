//! Loop iteration counts of C simulation against the estimate. The testbench, compiled with
//! `-DHALF_COUNT` (hls/include/host/half_count.h), prints every dataflow process's iterations;
//! C simulation runs each process with every stream ready, so a count is the process's trip
//! count per frame, which must be the cycles the estimate gives its unit
//! (report/estimate.json: a layer's `units` in call order; glue from its template arguments,
//! by the cost model's rules in src/fold/pipeline.rs).

use super::{number, quoted};
use serde::Serialize;

/// One process's iterations per frame against the estimate.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IterationCount {
    /// `function: call` of the process.
    pub process: String,
    /// Iterations per frame in C simulation.
    pub per_frame: f64,
    /// The estimate's cycles per frame for the unit.
    pub expected: u64,
    /// Iterations a data-driven loop may take beyond `expected` to fill (a window generator's
    /// rows before its first window, a converter's first output word); 0 for counted loops.
    pub fill: u64,
    /// `expected <= per_frame <= expected + fill`.
    pub agrees: bool,
}

/// The `HALF_COUNT` lines of `stdout` over `frames` frames, checked against `estimate`
/// (report/estimate.json). A process the estimate does not describe is reported with
/// `expected` 0 and does not agree.
pub fn check(stdout: &str, frames: u64, estimate: &serde_json::Value) -> Vec<IterationCount> {
    let mut seen_in_layer: std::collections::HashMap<String, usize> = Default::default();
    stdout
        .lines()
        .filter(|l| l.starts_with("HALF_COUNT "))
        .filter_map(|l| Some((number::<u64>(l, "iterations")?, quoted(l, "process")?)))
        .map(|(total, process)| {
            let per_frame = total as f64 / frames.max(1) as f64;
            let (expected, fill) = expectation(&process, estimate, &mut seen_in_layer);
            let agrees = expected > 0
                && per_frame >= expected as f64
                && per_frame <= (expected + fill) as f64;
            IterationCount {
                process,
                per_frame,
                expected,
                fill,
                agrees,
            }
        })
        .collect()
}

/// The unit function (`swg`, `dwc`, ...) and template arguments of `half::F<A, B, ...>(...)`.
fn unit_and_args(call: &str) -> Option<(&str, Vec<&str>)> {
    let start = call.find("half::")? + "half::".len();
    let lt = start + call[start..].find('<')?;
    let (mut depth, mut args, mut from) = (0, Vec::new(), lt + 1);
    for (i, ch) in call[lt..].char_indices() {
        match ch {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    args.push(call[from..lt + i].trim());
                    return Some((&call[start..lt], args));
                }
            }
            ',' if depth == 1 => {
                args.push(call[from..lt + i].trim());
                from = lt + i + 1;
            }
            _ => {}
        }
    }
    None
}

/// The estimate's cycles for `process` and its fill allowance; (0, 0) when unknown.
fn expectation(
    process: &str,
    est: &serde_json::Value,
    seen: &mut std::collections::HashMap<String, usize>,
) -> (u64, u64) {
    let Some((func, call)) = process.split_once(": ") else {
        return (0, 0);
    };
    let Some((unit, args)) = unit_and_args(call) else {
        return (0, 0);
    };
    let arg = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok()).unwrap_or(0);
    if let Some(layer) = func.strip_prefix("layer_") {
        let index = seen.entry(layer.to_string()).or_insert(0);
        let at = *index;
        *index += 1;
        // The units with a process of their own: a regrouping converter's FIFO is a stream
        // in the HLS code (src/stage/regroup.rs).
        let units = est["layers"]
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["name"] == layer))
            .and_then(|l| l["units"].as_array());
        let processes = units.map(|us| {
            us.iter()
                .filter(|u| u["kind"] != "fifo")
                .collect::<Vec<_>>()
        });
        let Some(u) = processes.and_then(|us| us.get(at).copied()) else {
            return (0, 0);
        };
        let kind = match unit {
            "pool_window" | "pool_global" => "pool",
            other => other,
        };
        if u["kind"] != kind {
            return (0, 0);
        }
        let cycles = u["cycles"].as_u64().unwrap_or(0);
        // swg<ID, IH, IW, C, KH, KW, SH, ..., P, ...>: alone, the generator reads ahead of
        // its windows by at most its buffer, KH + SH rows of IW * C / P words.
        // dwc<N, B, PI, PO> (a regrouping converter): PO/PI words first, as on an edge.
        let fill = match unit {
            "swg" => (arg(4) + arg(6)) * arg(2) * (arg(3) / arg(12).max(1)),
            "dwc" => arg(3).div_ceil(arg(2).max(1)),
            _ => 0,
        };
        return (cycles, fill);
    }
    match unit {
        // dwc<N, B, PI, PO[, LI, LO]>: max(input words, output words) in rows of LI and LO
        // elements (default N; a row's short last word is a whole word), filling PO/PI words
        // first.
        "dwc" => {
            let (n, pi, po) = (arg(0), arg(2).max(1), arg(3).max(1));
            let (li, lo) = match (args.get(4), args.get(5)) {
                (Some(_), Some(_)) => (arg(4).max(1), arg(5).max(1)),
                _ => (n.max(1), n.max(1)),
            };
            let words = |par: u64, row: u64| crate::stage::glue::words(n, par, row);
            (words(pi, li).max(words(po, lo)), po.div_ceil(pi))
        }
        // fork2/fork3<WORDS, W>, axis_in/axis_out<WORDS, ...>: a word an iteration.
        "fork2" | "fork3" | "axis_in" | "axis_out" => (arg(0), 0),
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_checked_against_units_and_glue() {
        let est = serde_json::json!({"layers": [{"name": "c0", "units": [
            {"kind": "swg", "cycles": 100}, {"kind": "mvu", "cycles": 400}]}]});
        let out = "HALF_COUNT iterations=210 process=\"layer_c0: half::swg<layer_id, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2, 4, 4, 1, false, 0u>(in, win)\"\n\
                   HALF_COUNT iterations=800 process=\"layer_c0: half::mvu<36, 8, 4, 2, 64, 4, false, 4, true, 16, true, true, 9, 1, 4, false, true, half::MulLut>(win, out, weights, bias, scale, shift)\"\n\
                   HALF_COUNT iterations=12 process=\"top: half::dwc<24, 4, 2, 4>(s_a__b, s_a__b_c)\"\n\
                   HALF_COUNT iterations=30 process=\"top: half::fork2<16, 8>(s_x, s_y, s_z)\"\n";
        let r = check(out, 2, &est);
        assert_eq!(r.len(), 4);
        // 105 per frame: within 100 + 4 rows of 8 x 2 words.
        assert_eq!((r[0].expected, r[0].fill, r[0].agrees), (100, 64, true));
        assert_eq!((r[1].expected, r[1].agrees), (400, true));
        // 6 per frame: max(24/2, 24/4) = 12 expected.
        assert_eq!((r[2].expected, r[2].agrees), (12, false));
        // 15 per frame against 16 words.
        assert_eq!((r[3].expected, r[3].agrees), (16, false));
    }

    #[test]
    fn a_regrouping_converter_is_matched_past_its_streams() {
        let est = serde_json::json!({"layers": [{"name": "c0", "units": [
            {"kind": "swg", "cycles": 100}, {"kind": "dwc", "cycles": 100},
            {"kind": "fifo", "cycles": 50},
            {"kind": "mvu", "cycles": 400}]}]});
        let out = "HALF_COUNT iterations=100 process=\"layer_c0: half::swg<layer_id, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2, 4, 4, 1, false, 0u>(in, win)\"\n\
                   HALF_COUNT iterations=101 process=\"layer_c0: half::dwc<200, 8, 2, 4>(win, win_simd)\"\n\
                   HALF_COUNT iterations=400 process=\"layer_c0: half::mvu<36, 8, 4, 2, 64, 4, false, 4, true, 16, true, true, 9, 1, 4, false, true, half::MulLut>(win_simd, out, weights, bias, scale, shift)\"\n";
        let r = check(out, 1, &est);
        assert!(r.iter().all(|c| c.agrees), "{r:?}");
        assert_eq!(r[1].fill, 2);
    }

    #[test]
    fn unknown_processes_do_not_agree() {
        let est = serde_json::json!({"layers": []});
        let out = "HALF_COUNT iterations=5 process=\"layer_x: half::mvu<1, 1>(a, b)\"\n";
        let r = check(out, 1, &est);
        assert!(!r[0].agrees);
        assert_eq!(r[0].expected, 0);
    }
}
