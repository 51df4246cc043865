//! `half-gen search` end to end: search-space errors with file, line:column and layer; the
//! space size and the output files; byte-identical results for a fixed seed; the no-clobber
//! rule; bad options.

mod search_common;

use search_common::*;
use std::fs;

#[test]
fn space_errors_name_file_line_column_and_layer() {
    let d = tmp();
    // (layers, line, column, layer, phrase)
    let cases: &[(&str, u32, u32, Option<&str>, &str)] = &[
        (
            "  - {name: c1, op: conv, channels: {choice: 16}, kernel: 3}\n",
            4,
            45,
            Some("c1"),
            "`choice` takes a list of options, got an integer",
        ),
        (
            "  - {name: c1, op: conv, channels: {choice: []}, kernel: 3}\n",
            4,
            45,
            Some("c1"),
            "`choice` needs at least one option",
        ),
        (
            "  - name: c1\n    op: conv\n    chanels: 16\n    kernel: 3\n",
            6,
            5,
            Some("c1"),
            "unknown field `chanels`",
        ),
        (
            "  - {name: c1, op: conv, channels: {choice: [16, 0]}, kernel: 3}\n",
            4,
            50,
            Some("c1"),
            "`channels` must be a positive integer, got 0",
        ),
        (
            "  - {name: c1, op: conv, channels: 8, kernel: {choice: [3, \"x\"]}}\n",
            4,
            60,
            Some("c1"),
            "invalid type: string \"x\"",
        ),
        (
            "  - {name: c1, op: conv, channels: {choice: [16, 8], x: 1}, kernel: 3}\n",
            4,
            36,
            Some("c1"),
            "a choice is written {choice: [a, b, ...]}, with no other key",
        ),
        (
            "  - {name: c1, op: conv, channels: {choice: [8, 8]}, kernel: 3}\n",
            4,
            49,
            Some("c1"),
            "option `8` is listed twice",
        ),
        (
            "  - {name: c1, op: conv, channels: 8, kernel: 3, from: c9}\n",
            4,
            56,
            Some("c1"),
            "`from` names `c9`, which is not an earlier layer",
        ),
        (
            "  - repeat: {choice: [1, -1]}\n    layers:\n      - {name: c1, op: conv, channels: 8, kernel: 3}\n",
            4,
            26,
            None,
            "`repeat` must be an integer in 0..=64",
        ),
        (
            "  - repeat: 2\n    layers:\n      - repeat: 2\n        layers: []\n",
            6,
            9,
            None,
            "repeat blocks cannot be nested",
        ),
        (
            "  - {name: c1, op: conv, channels: 8, kernel: 3, activation: relu, output: {bits: {choice: [8, 1]}}}\n",
            4,
            62,
            Some("c1"),
            "relu cannot produce a bipolar (1-bit) output",
        ),
        (
            "  - {name: c1, op: dense, units: 8, optional: maybe}\n",
            4,
            47,
            Some("c1"),
            "`optional` is true or false",
        ),
        (
            "  - {name: c1_r1, op: conv, channels: 8, kernel: 3}\n  - repeat: 2\n    layers:\n      - {name: c1, op: conv, channels: 8, kernel: 3}\n",
            4,
            5,
            Some("c1_r1"),
            "taken by copy 1 of the repeated layer `c1`",
        ),
        ("  - {name: c1, op: conv\n", 4, 5, None, "unclosed bracket"),
    ];
    for (layers, line, col, layer, phrase) in cases {
        let p = space(&d, layers);
        for cmd in ["search", "lut"] {
            let r = half_gen(
                &[cmd, p.to_str().unwrap(), "-o", "out"][..if cmd == "lut" { 2 } else { 4 }],
                &d,
            );
            let e = &r.stderr;
            assert_eq!(r.code, Some(2), "{cmd} on\n{layers}stderr: {e}");
            let head = format!("error: {}:{line}:{col}: ", p.display());
            assert!(e.contains(&head), "expected `{head}` for\n{layers}got: {e}");
            if let Some(l) = layer {
                assert!(
                    e.contains(&format!("{head}layer `{l}`: ")),
                    "layer {l} in {e}"
                );
            }
            assert!(e.contains(phrase), "expected `{phrase}` in {e}");
            assert_eq!(e.lines().count(), 1, "one message: {e}");
        }
    }
    // Top-level mistakes.
    let p = d.join("top.yaml");
    fs::write(
        &p,
        "name: t\ninput: {shape: [8, 8, 3], bits: 8}\nweights: w.npz\nlayers: []\n",
    )
    .unwrap();
    let r = half_gen(&["search", p.to_str().unwrap()], &d);
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr
            .contains(":3:1: a search space cannot name a weights file"),
        "{}",
        r.stderr
    );
}

#[test]
fn prints_the_space_size_and_writes_every_output() {
    let d = tmp();
    let p = space(&d, SMALL);
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--board",
            "zybo-z7-10",
            "--population",
            "8",
            "--generations",
            "2",
            "-o",
            "out",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("space t ("), "{}", r.stdout);
    assert!(
        r.stdout.contains("4 decision variables, 36 architectures"),
        "{}",
        r.stdout
    );
    let out = d.join("out");
    for f in [
        "pareto.json",
        "pareto.csv",
        "pareto.svg",
        "results.jsonl",
        "history.jsonl",
        "search.json",
    ] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    let pj: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("pareto.json")).unwrap()).unwrap();
    let front = pj["front"].as_array().unwrap();
    assert!(!front.is_empty());
    assert_eq!(pj["objectives"], serde_json::json!(["fps", "accuracy"]));
    let csv = fs::read_to_string(out.join("pareto.csv")).unwrap();
    assert_eq!(csv.lines().count(), front.len() + 1);
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("c0.channels,c0.kernel,c0.weight_bits,p0.optional")
    );
    let svg = fs::read_to_string(out.join("pareto.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("frames per second") && svg.contains("LUT share")
    );
    // Every Pareto point is a ready-to-build model: estimate it.
    for pt in front {
        let file = out.join(pt["file"].as_str().unwrap());
        let r = half_gen(
            &[
                "estimate",
                file.to_str().unwrap(),
                "--board",
                "zybo-z7-10",
                "--json",
            ],
            &d,
        );
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let est: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            est["cycles_per_frame"], pt["cycles_per_frame"],
            "same design as the search"
        );
    }
    // JSON mode: one object on stdout.
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--evaluations",
            "5",
            "-o",
            "out2",
            "--json",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["evaluations"], 5);
}

#[test]
fn fixed_seed_gives_identical_results() {
    let d = tmp();
    let p = space(&d, SMALL);
    let run = |out: &str, jobs: &str| {
        let r = half_gen(
            &[
                "search",
                p.to_str().unwrap(),
                "--seed",
                "7",
                "--population",
                "6",
                "--generations",
                "3",
                "--jobs",
                jobs,
                "-o",
                out,
            ],
            &d,
        );
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        (
            fs::read(d.join(out).join("pareto.json")).unwrap(),
            history_hashes(&d.join(out)),
        )
    };
    let (a, ha) = run("a", "1");
    let (b, hb) = run("b", "1");
    assert_eq!(a, b, "byte-identical pareto.json");
    assert_eq!(ha, hb, "same evaluations in the same order");
    let (c, hc) = run("c", "2");
    assert_eq!(a, c, "--jobs does not change the result");
    assert_eq!(ha, hc);
    // Another seed visits other architectures.
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--seed",
            "8",
            "--population",
            "6",
            "--generations",
            "3",
            "-o",
            "e",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0));
    assert_ne!(history_hashes(&d.join("e")), ha);
}

#[test]
fn output_directories_are_not_clobbered() {
    let d = tmp();
    let p = space(&d, SMALL);
    fs::create_dir_all(d.join("mine")).unwrap();
    fs::write(d.join("mine/notes.txt"), "keep").unwrap();
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--evaluations",
            "2",
            "-o",
            "mine",
        ],
        &d,
    );
    assert_eq!(r.code, Some(2));
    assert!(
        r.stderr.contains("exists and was not written by half-gen"),
        "{}",
        r.stderr
    );
    assert!(d.join("mine/notes.txt").is_file());
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--evaluations",
            "2",
            "-o",
            "mine",
            "--force",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        d.join("mine/notes.txt").is_file(),
        "--force never deletes a user's file"
    );
}

#[test]
fn bad_options_are_usage_errors() {
    let d = tmp();
    let p = space(&d, SMALL);
    for (args, phrase) in [
        (
            vec!["--objectives", "fps,speed"],
            "unknown objective `speed`",
        ),
        (vec!["--objectives", "fps,fps"], "listed twice"),
        (vec!["--proxy", "magic"], "unknown proxy `magic`"),
        (
            vec!["--population", "1"],
            "--population must be in 2..=10000, got 1",
        ),
        (
            vec!["--population", "1000000000000"],
            "--population must be in 2..=10000, got 1000000000000",
        ),
        (
            vec!["--jobs", "100000"],
            "--jobs must be in 1..=1024, got 100000",
        ),
        (
            vec!["--evaluator", "x {model} {out}", "--timeout", "1e300"],
            "--timeout is too large: 1e300 s",
        ),
        (vec!["--timeout", "5"], "--timeout is for --evaluator"),
        (vec!["--min-fps=-3"], "--min-fps must be positive"),
        (vec!["--board", "nope"], "unknown board `nope`"),
    ] {
        let mut a = vec!["search", p.to_str().unwrap(), "-o", "o"];
        a.extend(args);
        let r = half_gen(&a, &d);
        assert_eq!(r.code, Some(2), "{a:?}");
        assert!(r.stderr.contains(phrase), "{phrase} in {}", r.stderr);
    }
    // The largest generation count neither overflows nor runs forever: the search stops when
    // the space has nothing new.
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--generations",
            "18446744073709551615",
            "--population",
            "4",
            "-o",
            "all",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(records(&d.join("all")).len(), 36, "the whole space");
}

#[test]
fn infeasible_candidates_are_recorded() {
    let d = tmp();
    let p = space(&d, SMALL);
    // Nothing reaches 10^9 frames/s: every candidate misses --min-fps.
    let r = half_gen(
        &[
            "search",
            p.to_str().unwrap(),
            "--min-fps",
            "1000000000",
            "--evaluations",
            "6",
            "--population",
            "6",
            "-o",
            "slow",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for rec in records(&d.join("slow")) {
        assert_eq!(rec["status"], "min-fps");
        let v = rec["violation"].as_f64().unwrap();
        assert!(v > 0.0 && v < 1.0, "{v}");
    }
    // A dense layer far too large for the Zybo's block RAM does not fit, by a measured amount.
    let big = space(
        &d,
        "  - {name: fc, op: dense, units: {choice: [4096, 8192]}, weight_bits: 8}\n",
    );
    let r = half_gen(
        &[
            "search",
            big.to_str().unwrap(),
            "--board",
            "zybo-z7-10",
            "--evaluations",
            "2",
            "--population",
            "2",
            "-o",
            "big",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let recs = records(&d.join("big"));
    assert_eq!(recs.len(), 2);
    for rec in &recs {
        assert_eq!(rec["status"], "no-fit", "{rec}");
        assert!(rec["reason"].as_str().unwrap().contains("does not fit"));
    }
    let v: Vec<f64> = recs
        .iter()
        .map(|r| r["violation"].as_f64().unwrap())
        .collect();
    assert!(v.iter().all(|x| *x > 0.0) && v[0] != v[1], "{v:?}");
    let pj: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("big/pareto.json")).unwrap()).unwrap();
    assert_eq!(pj["feasible"], 0);
}

#[test]
fn an_inception_space_with_concat_searches_and_builds() {
    // models/spaces/cifar_inception.yaml joins three branches with `concat` inside a repeat
    // block: every architecture materialises and fits pynq-z2, every Pareto model holds a
    // concat, and the first one builds into a project that passes csim.
    let d = tmp();
    let space =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/spaces/cifar_inception.yaml");
    let r = half_gen(
        &[
            "search",
            space.to_str().unwrap(),
            "--board",
            "pynq-z2",
            "-o",
            "out",
        ],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("8 decision variables, 256 architectures")
            && r.stdout.contains("; 256 feasible"),
        "{}",
        r.stdout
    );
    let pj: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("out/pareto.json")).unwrap()).unwrap();
    let front = pj["front"].as_array().unwrap();
    assert!(!front.is_empty());
    for pt in front {
        let text = fs::read_to_string(d.join("out").join(pt["file"].as_str().unwrap())).unwrap();
        assert!(text.contains("op: concat"), "{text}");
    }
    let first = format!("out/{}", front[0]["file"].as_str().unwrap());
    let b = half_gen(
        &[
            "build", &first, "--board", "pynq-z2", "--frames", "2", "-o", "b",
        ],
        &d,
    );
    assert_eq!(b.code, Some(0), "{}", b.stderr);
    let c = half_gen(&["csim", "b"], &d);
    assert_eq!(c.code, Some(0), "{}{}", c.stdout, c.stderr);
    assert!(c.stdout.contains("PASSED"), "{}", c.stdout);
    // The per-layer lookup table lists the joins among its layers.
    let l = half_gen(&["lut", space.to_str().unwrap(), "--board", "pynq-z2"], &d);
    assert_eq!(l.code, Some(0), "{}", l.stderr);
    assert!(
        l.stdout.contains("concat   [16, 16, 4] uint4 + "),
        "{}",
        l.stdout
    );
}
