//! The limits of docs/search-space.md section 10: a space or a lookup table beyond one stops
//! `search` and `lut` with one message naming the limit and the value, exit code 2, before
//! anything of that size is built.

mod search_common;

use search_common::*;

/// A space whose first layer's `channels` is a choice of `n` options.
fn wide(d: &std::path::Path, n: usize) -> String {
    let opts: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    let p = space(
        d,
        &format!(
            "  - {{name: c0, op: conv, channels: {{choice: [{}]}}, kernel: 3, padding: same, weight_bits: 4, activation: relu, output: {{bits: 4}}}}\n  - {{name: gap, op: avgpool, global: true, output: {{bits: 8}}}}\n  - {{name: fc, op: dense, units: 4, weight_bits: 8, output: {{bits: 16, signed: true}}}}\n",
            opts.join(", ")
        ),
    );
    p.to_str().unwrap().to_string()
}

#[test]
fn a_choice_of_a_hundred_thousand_options_is_refused() {
    let d = tmp();
    let p = wide(&d, 100_000);
    let want = format!(
        "error: {p}:4:45: layer `c0`: `c0.channels`: a choice has at most 1000 options, got 100000"
    );
    for args in [
        vec!["lut", p.as_str(), "--json"],
        vec!["search", p.as_str(), "-o", "s"],
    ] {
        let r = half_gen(&args, &d);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim(), want, "{args:?}");
        assert!(r.stdout.is_empty(), "{args:?}");
    }
    assert!(!d.join("s").exists());
}

#[test]
fn the_largest_choice_stays_bounded() {
    let d = tmp();
    let p = wide(&d, 1000);
    let r = half_gen(
        &["search", &p, "--evaluations", "40", "-o", "s", "--json"],
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["evaluations"], 40);
    assert_eq!(v["pareto"]["size"], "1000");
    // The table enumerates all 1000 architectures.
    let r = half_gen(&["lut", &p, "--json"], &d);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["architectures"], 1000);
    assert_eq!(
        v["configs"].as_array().unwrap().len(),
        3000,
        "a conv, a pool and a dense layer per width"
    );
}

#[test]
fn too_many_variables_are_refused() {
    let d = tmp();
    let layers: String = (0..1001)
        .map(|i| format!("  - {{name: p{i}, op: maxpool, kernel: 1, optional: true}}\n"))
        .collect();
    let p = space(
        &d,
        &format!("{layers}  - {{name: fc, op: dense, units: 4, weight_bits: 8}}\n"),
    );
    let r = half_gen(&["lut", p.to_str().unwrap()], &d);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            ":1004:53: layer `p1000`: a space has at most 1000 decision variables; `p1000.optional` would be one more"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn lookup_tables_beyond_the_limits_are_refused() {
    let d = tmp();
    // Two dense layers of 50 widths each with many divisors (PE and SIMD divide them): the
    // second alone has 2,500 configurations and over 1.4 million (configuration, fold) rows.
    let units = "60, 72, 84, 90, 96, 120, 144, 168, 180, 192, 210, 216, 240, 252, 264, 270, 280, 288, 300, 312, 320, 324, 330, 336, 360, 378, 384, 390, 396, 400, 408, 420, 432, 440, 448, 450, 456, 462, 468, 480, 504, 510, 520, 528, 540, 546, 552, 560, 570, 576";
    let p = d.join("rows.yaml");
    std::fs::write(
        &p,
        format!(
            "name: rows\ninput: {{shape: [4, 4, 1], bits: 8}}\nlayers:\n  - {{name: fa, op: dense, units: {{choice: [{units}]}}, weight_bits: 8, activation: relu, output: {{bits: 8}}}}\n  - {{name: fb, op: dense, units: {{choice: [{units}]}}, weight_bits: 8, output: {{bits: 16, signed: true}}}}\n"
        ),
    )
    .unwrap();
    let r = half_gen(&["lut", p.to_str().unwrap(), "--csv"], &d);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("(configuration, fold) rows, more than the limit of 1000000"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    for (args, phrase) in [
        (
            vec!["--max-archs", "1000001"],
            "--max-archs must be in 1..=1000000, got 1000001",
        ),
        (
            vec!["--jobs", "5000"],
            "--jobs must be in 1..=1024, got 5000",
        ),
    ] {
        let mut a = vec!["lut", p.to_str().unwrap()];
        a.extend(args);
        let r = half_gen(&a, &d);
        assert_eq!(r.code, Some(2), "{}", r.stderr);
        assert!(r.stderr.contains(phrase), "{}", r.stderr);
    }
}
