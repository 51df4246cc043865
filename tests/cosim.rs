//! Verilator co-simulation of the Verilog backend: lint-clean RTL, outputs bit-exact against
//! the reference with and without random stalls, and cycles per frame and frame-0 latency within
//! 1 % of the model (the cycle-level schedule that also sized the FIFOs), on example models and
//! 12 random small models; a deliberately undersized FIFO ends in the deadlock message.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_half-gen"))
}

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("half-gen-cosim-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn build(model: &Path, dir: &Path, extra: &[&str]) -> Result<(), String> {
    let o = bin()
        .arg("build")
        .arg(model)
        .arg("-o")
        .arg(dir)
        .args(extra)
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!("build: {}", String::from_utf8_lossy(&o.stderr)));
    }
    if !dir.join("rtl/stages.json").is_file() {
        return Err(format!(
            "build wrote no rtl/: {}",
            String::from_utf8_lossy(&o.stdout)
        ));
    }
    Ok(())
}

fn lint(dir: &Path, top: &str) -> Result<(), String> {
    let rtl = dir.join("rtl");
    let mut files: Vec<String> = std::fs::read_dir(&rtl)
        .map_err(|e| e.to_string())?
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".v"))
        .collect();
    files.sort();
    let o = Command::new("verilator")
        .current_dir(&rtl)
        .args([
            "--lint-only",
            "-Wall",
            "--top-module",
            &format!("{top}_top"),
        ])
        .args(&files)
        .output()
        .expect("verilator runs (scripts/install-tools.sh installs it)");
    if o.status.success() {
        Ok(())
    } else {
        Err(format!("lint: {}", String::from_utf8_lossy(&o.stderr)))
    }
}

fn cosim(dir: &Path, extra: &[&str]) -> Result<serde_json::Value, String> {
    let o = bin()
        .arg("cosim")
        .arg(dir)
        .arg("--json")
        .args(extra)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
        format!(
            "cosim exit {:?}: {text}{}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        )
    })?;
    Ok(v)
}

/// Bit-exact, and cycles per frame and latency within 1 % of the model.
fn agrees(r: &serde_json::Value) -> Result<(), String> {
    let ok = r["passed"] == true
        && r["mismatches"] == 0
        && r["cycles_error_pct"].as_f64().is_some_and(|e| e <= 1.0)
        && r["latency_error_pct"].as_f64().is_some_and(|e| e <= 1.0);
    if ok { Ok(()) } else { Err(format!("{r}")) }
}

/// Builds, lints and co-simulates one model; with `stall`, also a stalled run (bit-exact).
fn check(model: &Path, dir: &Path, name: &str, extra: &[&str], stall: bool) -> Result<(), String> {
    build(model, dir, extra)?;
    lint(dir, name)?;
    agrees(&cosim(dir, &[])?)?;
    if stall {
        let r = cosim(dir, &["--stall", "0.3"])?;
        if r["passed"] != true || r["mismatches"] != 0 {
            return Err(format!("stalled: {r}"));
        }
    }
    Ok(())
}

#[test]
fn dense_pipeline_agrees_with_and_without_stalls() {
    // A lean folding (several neuron and synapse folds, width converters) and a wider one.
    for (tag, util) in [("lean", "lut=0.05"), ("wide", "lut=0.5")] {
        let dir = temp(tag);
        let extra = ["--frames", "6", "--board", "zybo-z7-10", "--max-util", util];
        check(Path::new("tests/data/mlp.yaml"), &dir, "mlp", &extra, true)
            .unwrap_or_else(|e| panic!("{tag}: {e}"));
    }
}

#[test]
fn random_models_agree() {
    let dir = temp("random");
    std::fs::create_dir_all(&dir).unwrap();
    let jobs = (0..12u64)
        .map(|seed| {
            let dir = dir.clone();
            Box::new(move || {
                let text = common::random_model(seed);
                let path = dir.join(format!("rand{seed}.yaml"));
                std::fs::write(&path, &text).unwrap();
                // Foldings from lean to wide; every third model also with random stalls.
                let util = ["lut=0.15", "lut=0.2", "lut=0.4"][(seed % 3) as usize];
                let extra = ["--frames", "5", "--board", "zybo-z7-10", "--max-util", util];
                let name = format!("rand{seed}");
                check(&path, &dir.join(&name), &name, &extra, seed % 3 == 0)
                    .map_err(|e| format!("seed {seed}: {e}\n{text}"))
            }) as common::Job
        })
        .collect();
    let failures = common::parallel(jobs);
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
}

#[test]
fn undersized_fifo_deadlocks_with_a_message() {
    // A residual block whose bypass FIFO is cut to 2 words cannot hold the skew of the
    // convolution branch: the fork stalls the branch that would release it.
    let dir = temp("deadlock");
    let extra = [
        "--frames",
        "2",
        "--board",
        "zybo-z7-10",
        "--max-util",
        "lut=0.12",
    ];
    let cut = [&extra[..], &["--fifo-depth", "x_fork->add=2"]].concat();
    build(Path::new("tests/data/residual.yaml"), &dir, &cut).unwrap();
    let r = cosim(&dir, &[]).unwrap();
    assert_eq!(r["deadlock"], true, "{r}");
    assert!(
        r["last_stage"].as_str().is_some_and(|s| s.contains("->")),
        "{r}"
    );
    assert_eq!(r["passed"], false);
    let o = bin().arg("cosim").arg(&dir).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("deadlock") && text.contains("last stage that moved"),
        "{text}"
    );
    // The sized design (same model, FIFOs as half-gen sized them) runs through.
    let dir = temp("sized");
    build(Path::new("tests/data/residual.yaml"), &dir, &extra).unwrap();
    agrees(&cosim(&dir, &["--stall", "0"]).unwrap()).unwrap();
}

#[test]
fn example_models_agree() {
    // Example models on pynq-z2. The widest foldings make Verilator builds of minutes (TFC's
    // first layer unrolls 7168 products), so the budget is capped where that matters; the
    // foldings stay multi-layer pipelines with window generators, converters and forks. ResNet-8
    // is co-simulated by tests/readme.rs (the README's `half-gen cosim build/resnet8 --stall 0.3`
    // on its full pynq-z2 folding, bit-exact) and its cycles checked against the estimate by
    // tests/hls_cycles.rs; a residual block's cycles in Verilator by the sized design of
    // `undersized_fifo_deadlocks_with_a_message` and the random models.
    let dir = temp("examples");
    let models = [
        ("tfc_w1a1", "lut=0.15"),
        ("cnv_w1a1", "lut=0.25"),
        ("ds_cnn", "lut=0.8"),
    ];
    let jobs = models
        .iter()
        .map(|&(m, util)| {
            let dir = dir.clone();
            Box::new(move || {
                let path = PathBuf::from(format!("models/{m}.yaml"));
                let extra = ["--frames", "3", "--board", "pynq-z2", "--max-util", util];
                check(&path, &dir.join(m), m, &extra, m == "resnet8")
                    .map_err(|e| format!("{m}: {e}"))
            }) as common::Job
        })
        .collect();
    let failures = common::parallel(jobs);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn extreme_requant_shifts_agree() {
    let dir = temp("bigshift");
    let extra = [
        "--frames",
        "8",
        "--board",
        "zybo-z7-10",
        "--max-util",
        "lut=0.2",
    ];
    check(
        Path::new("tests/data/bigshift.yaml"),
        &dir,
        "bigshift",
        &extra,
        false,
    )
    .unwrap();
}

#[test]
fn a_layer_reading_one_tensor_on_both_ports_agrees() {
    // Two edges between one fork and one consumer: distinct FIFO instances (Verilator once
    // failed on a duplicate instance name), bit-exact and on the model's cycles.
    let dir = temp("self_add");
    let extra = ["--frames", "4", "--board", "zybo-z7-10"];
    check(
        Path::new("tests/data/self_add.yaml"),
        &dir,
        "self_add",
        &extra,
        true,
    )
    .unwrap();
    // A truncated vector file is an error (exit 2), never a pass on fewer frames.
    let p = dir.join("rtl/tb/expected.txt");
    let all = std::fs::read_to_string(&p).unwrap();
    std::fs::write(
        &p,
        all.lines().take(2).collect::<Vec<_>>().join("\n") + "\n",
    )
    .unwrap();
    let o = bin().arg("cosim").arg(&dir).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("hold 2 complete frames; 4 expected"), "{e}");
    let o = bin()
        .arg("cosim")
        .arg(&dir)
        .args(["--frames", "0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn concatenations_agree() {
    // tests/data/concat.yaml: a lean and a wide folding, bit-exact with and without stalls,
    // cycles per frame and latency within 1 % of the model.
    for util in ["lut=0.3", "lut=0.6"] {
        let dir = temp(&format!("concat-{util}"));
        let extra = ["--frames", "5", "--board", "zybo-z7-10", "--max-util", util];
        check(
            Path::new("tests/data/concat.yaml"),
            &dir,
            "concat",
            &extra,
            true,
        )
        .unwrap_or_else(|e| panic!("{util}: {e}"));
    }
}

#[test]
fn padded_lanes_agree() {
    // tests/data/padded.yaml pinned to PE and SIMD that divide nothing
    // (tests/data/padded_folding.yaml): padded output lanes through a fork, an add, a 1x1
    // convolution and a pool; padded windows (SIMD 10 of 27, 7 of 90, 3 of 10); a padded
    // vector into a dense layer (SIMD 24 of 160) and a padded stream passed straight on
    // (fc0 -> fc1, both rows of 12 in words of 5). Bit-exact with and without stalls, cycles
    // and latency those of the model.
    let dir = temp("padded");
    let extra = [
        "--frames",
        "4",
        "--board",
        "zybo-z7-10",
        "--folding",
        "tests/data/padded_folding.yaml",
    ];
    let model = Path::new("tests/data/padded.yaml");
    check(model, &dir, "padded", &extra, true).unwrap();
    let folding = std::fs::read_to_string(dir.join("report/folding.yaml")).unwrap();
    for pinned in [
        "c0: {pe: 4, simd: 10",
        "c1: {pe: 3, simd: 7",
        "fc0: {pe: 5, simd: 24",
    ] {
        assert!(folding.contains(pinned), "{pinned}: {folding}");
    }
}

/// Cycles per frame of `half-gen estimate models/ds_cnn.yaml` on pynq-z2 with `extra`.
fn ds_cnn_cycles(extra: &[&str]) -> u64 {
    let o = bin()
        .args([
            "estimate",
            "models/ds_cnn.yaml",
            "--board",
            "pynq-z2",
            "--json",
        ])
        .args(extra)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["cycles_per_frame"].as_u64().unwrap()
}

#[test]
fn the_optimizer_s_padded_lanes_agree() {
    // `--padded-lanes` lets the optimizer take PE and SIMD that do not divide: DS-CNN's 64
    // channels fold faster than the divisors allow (8,000 cycles per frame), and the design
    // is bit-exact, with stalls, on the model's cycles and latency.
    let padded = ds_cnn_cycles(&["--padded-lanes"]);
    assert!(padded < ds_cnn_cycles(&[]), "{padded}");
    let dir = temp("ds_cnn_padded");
    let extra = ["--frames", "3", "--board", "pynq-z2", "--padded-lanes"];
    check(
        Path::new("models/ds_cnn.yaml"),
        &dir,
        "ds_cnn",
        &extra,
        true,
    )
    .unwrap();
    let folding = std::fs::read_to_string(dir.join("report/folding.yaml")).unwrap();
    let pe = |line: &str| -> Option<u32> {
        let rest = line.split("pe: ").nth(1)?;
        rest.split(',').next()?.trim().parse().ok()
    };
    // pw1 to pw4 have 64 output channels.
    let padded_pe = folding
        .lines()
        .filter(|l| l.starts_with("pw"))
        .filter_map(pe)
        .any(|p| 64 % p != 0);
    assert!(padded_pe, "{folding}");
}

#[test]
fn thresholds_agree() {
    // tests/data/thresholds.yaml: comparator trees and binary searches over per-channel
    // threshold memories (and constants, one channel row per lane), bit-exact with and
    // without stalls, on the model's cycles.
    // tests/data/thresholds_pool.yaml adds a window avgpool's (per channel fold).
    for model in ["thresholds", "thresholds_pool"] {
        let dir = temp(model);
        let extra = ["--frames", "6", "--board", "zybo-z7-10"];
        let path = format!("tests/data/{model}.yaml");
        check(Path::new(&path), &dir, model, &extra, true)
            .unwrap_or_else(|e| panic!("{model}: {e}"));
    }
}
