//! Accuracy sources of `half-gen search`: the user's evaluator (resume never runs it twice
//! for an architecture; failures and timeouts are recorded and the search goes on) and the
//! NASWOT proxy.

mod search_common;

use search_common::*;
use std::fs;
use std::path::Path;

#[test]
fn resume_never_evaluates_an_architecture_twice() {
    let d = tmp();
    let p = space(&d, SMALL);
    let log = d.join("calls.log");
    // The evaluator logs every call; its accuracy is the model file's length in lines.
    let ev = format!(
        "echo {{model}} >> {} && printf '{{\"accuracy\": %s}}' $(wc -l < {{model}}) > {{out}}",
        log.display()
    );
    let args = |e: &str| -> Vec<String> {
        [
            "search",
            p.to_str().unwrap(),
            "--evaluator",
            &ev,
            "--population",
            "6",
            "--evaluations",
            e,
            "--jobs",
            "2",
            "-o",
            "out",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |a: Vec<String>| half_gen(&a.iter().map(String::as_str).collect::<Vec<_>>(), &d);
    let r = run(args("12"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let first = history_hashes(&d.join("out"));
    assert_eq!(first.len(), 12);
    // Without --resume or --force, a directory holding a search is not touched.
    let r = run(args("24"));
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr
            .contains("pass --resume to continue it or --force to start over"),
        "{}",
        r.stderr
    );
    let mut a = args("24");
    a.push("--resume".into());
    let r = run(a.clone());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains("(12 evaluated now, 12 from earlier runs)"),
        "{}",
        r.stdout
    );
    let all = history_hashes(&d.join("out"));
    assert_eq!(all.len(), 24);
    assert_eq!(&all[..12], &first[..]);
    let mut uniq = all.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), 24, "no architecture evaluated twice");
    let calls = fs::read_to_string(&log).unwrap();
    assert_eq!(
        calls.lines().count(),
        24,
        "the evaluator ran once per architecture"
    );
    // Resuming a finished search evaluates nothing.
    let r = run(a);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("(0 evaluated now, 24 from earlier runs)"),
        "{}",
        r.stdout
    );
    assert_eq!(fs::read_to_string(&log).unwrap().lines().count(), 24);
    // Other settings cannot resume this directory.
    let mut b = args("30");
    b.extend(["--resume".into(), "--min-fps".into(), "10".into()]);
    let r = run(b);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("searched with other settings (--min-fps"),
        "{}",
        r.stderr
    );
}

#[test]
fn failing_and_timing_out_evaluators_are_recorded() {
    let d = tmp();
    let p = space(&d, SMALL);
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--evaluator",
            "echo boom >&2; exit 3; : {model} {out}",
            "--evaluations",
            "4",
            "--population",
            "4",
            "-o",
            "fail",
        ],
        &d,
    );
    // Every candidate was evaluated (the search goes on), and a search whose evaluator never
    // succeeded exits 1 with the reason.
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the evaluator failed for all 4 candidates it ran on; most frequent reason: the evaluator exited with code 3; output: boom"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout
            .contains("not feasible: 4 evaluator-failed (1 distinct reason); most frequent:\n  4 x evaluator-failed: the evaluator exited with code 3; output: boom\n"),
        "{}",
        r.stdout
    );
    let recs = records(&d.join("fail"));
    assert_eq!(recs.len(), 4);
    for rec in &recs {
        assert_eq!(rec["status"], "evaluator-failed");
        let why = rec["reason"].as_str().unwrap();
        assert!(
            why.contains("exited with code 3") && why.contains("boom"),
            "{why}"
        );
    }
    let pj: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("fail/pareto.json")).unwrap()).unwrap();
    assert_eq!(pj["front"].as_array().unwrap().len(), 0);

    let t = std::time::Instant::now();
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--evaluator",
            "sleep 30; : {model} {out}",
            "--timeout",
            "0.5",
            "--evaluations",
            "2",
            "--population",
            "2",
            "--jobs",
            "2",
            "-o",
            "slow",
        ],
        &d,
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(t.elapsed().as_secs() < 20, "the evaluators were killed");
    for rec in records(&d.join("slow")) {
        assert_eq!(rec["status"], "evaluator-timeout");
        assert!(
            rec["reason"]
                .as_str()
                .unwrap()
                .contains("timed out after 0.5 s")
        );
    }

    // An evaluator that writes no accuracy, and one that succeeds for some candidates only.
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--evaluator",
            "echo '{}' > {out}; : {model}",
            "--evaluations",
            "2",
            "--population",
            "2",
            "-o",
            "noacc",
        ],
        &d,
    );
    assert_eq!(r.code, Some(1));
    assert!(
        records(&d.join("noacc"))[0]["reason"]
            .as_str()
            .unwrap()
            .contains("does not hold {\"accuracy\": <number>}")
    );
    let mixed = "n=$(wc -l < {model}); [ $((n % 2)) -eq 0 ] || exit 1; printf '{\"accuracy\": %s}' $n > {out}";
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--evaluator",
            mixed,
            "--evaluations",
            "20",
            "--population",
            "6",
            "-o",
            "mixed",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let recs = records(&d.join("mixed"));
    assert_eq!(recs.len(), 20);
    assert!(recs.iter().any(|r| r["status"] == "ok"));
    assert!(recs.iter().any(|r| r["status"] == "evaluator-failed"));
}

fn write_x(path: &Path, frames: usize, elems: usize) {
    use npyz::WriterBuilder;
    let mut npz = npyz::npz::NpzWriter::create(path).unwrap();
    let mut w = npz
        .array::<i64>("x", Default::default())
        .unwrap()
        .default_dtype()
        .shape(&[frames as u64, 8, 8, 3])
        .begin_nd()
        .unwrap();
    // A fixed pseudo-random pattern over 0..=255.
    w.extend((0..frames * elems).map(|i| ((i * 7919 + 13) % 256) as i64))
        .unwrap();
    w.finish().unwrap();
}

#[test]
fn naswot_proxy_scores_candidates() {
    let d = tmp();
    let p = space(&d, SMALL);
    let accuracies = |out: &str| -> Vec<f64> {
        records(&d.join(out))
            .iter()
            .filter(|r| r["status"] == "ok")
            .map(|r| r["accuracy"].as_f64().unwrap())
            .collect()
    };
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--proxy",
            "naswot",
            "--evaluations",
            "6",
            "--population",
            "6",
            "-o",
            "seeded",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let a = accuracies("seeded");
    assert_eq!(a.len(), 6);
    assert!(a.iter().all(|x| x.is_finite()));
    assert!(
        a.iter().any(|x| *x != a[0]),
        "scores differ between architectures: {a:?}"
    );
    write_x(&d.join("x.npz"), 40, 8 * 8 * 3);
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--proxy",
            "naswot",
            "--data",
            "x.npz",
            "--evaluations",
            "6",
            "--population",
            "6",
            "-o",
            "data",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let b = accuracies("data");
    assert_eq!(b.len(), 6);
    assert_ne!(a, b, "the data frames change the scores");
}
