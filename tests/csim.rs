//! C simulation: 27 random small models and the special cases below are built and simulated
//! with g++, bit-exact against the reference, with the host ap_int shim and with the official
//! open-source ap_int headers (fetched by scripts/fetch-ap-headers.sh; never committed). The
//! example models go through C simulation in tests/hls_cycles.rs (after their cycle
//! simulation, alternately with either headers), so each is compiled for it once.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("half-gen-csim-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Builds `model` into `out`, then runs csim (with `ap` as HALF_AP_INCLUDE when given).
fn build_and_csim(
    model: &Path,
    out: &Path,
    frames: usize,
    ap: &[Option<&str>],
) -> Result<(), String> {
    let b = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .arg("build")
        .arg(model)
        .arg("-o")
        .arg(out)
        .args(["--frames", &frames.to_string()])
        .output()
        .unwrap();
    if !b.status.success() {
        return Err(format!("build: {}", String::from_utf8_lossy(&b.stderr)));
    }
    for a in ap {
        let mut c = Command::new(env!("CARGO_BIN_EXE_half-gen"));
        c.arg("csim")
            .arg(out)
            .arg("--json")
            .env_remove("XILINX_HLS");
        match a {
            Some(dir) => c.env("HALF_AP_INCLUDE", dir),
            None => c.env_remove("HALF_AP_INCLUDE"),
        };
        let o = c.output().unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        if !o.status.success() {
            return Err(format!(
                "csim ({a:?}): {text}{}",
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        if v["passed"] != true || v["mismatches"] != 0 || v["frames"] != frames as u64 {
            return Err(format!("csim ({a:?}) did not pass: {text}"));
        }
    }
    Ok(())
}

#[test]
fn random_models_are_bit_exact() {
    let ap = common::official_ap();
    let dir = temp("random");
    // Seeds 100 to 126: tests/hls_cycles.rs runs seeds 0 to 26 through the cycle simulation
    // (bit-exact too), so 54 distinct random models go through an HLS simulation.
    let jobs = (100..127u64)
        .map(|seed| {
            let (dir, ap) = (dir.clone(), ap.clone());
            Box::new(move || {
                let text = common::random_model(seed);
                let path = dir.join(format!("rand{seed}.yaml"));
                std::fs::write(&path, &text).unwrap();
                // Every fourth model also against the official headers.
                let aps: Vec<Option<&str>> = if seed % 4 == 0 {
                    vec![None, Some(&ap)]
                } else {
                    vec![None]
                };
                build_and_csim(&path, &dir.join(format!("r{seed}")), 3, &aps)
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
fn extreme_requant_shifts_are_bit_exact() {
    // Shifts above the scaled accumulator's width and negative scales: the rounding constant
    // must not overflow (the result is exactly 0 before relu and saturation).
    let ap = common::official_ap();
    let dir = temp("bigshift");
    build_and_csim(
        Path::new("tests/data/bigshift.yaml"),
        &dir.join("b"),
        8,
        &[None, Some(&ap)],
    )
    .unwrap();
}

#[test]
fn a_layer_reading_one_tensor_on_both_ports_is_bit_exact() {
    // `from: [x, x]` puts two edges between one fork and one consumer: their streams must get
    // distinct names (g++ once failed on a redeclared stream).
    let dir = temp("self_add");
    build_and_csim(
        Path::new("tests/data/self_add.yaml"),
        &dir.join("s"),
        4,
        &[None],
    )
    .unwrap();
}

#[test]
fn concatenations_are_bit_exact() {
    // Three maps of different types joined with per-input scales, a pass-through join, a
    // residual add across a join and a join of vectors (tests/data/concat.yaml), with our
    // ap_int and with the official headers.
    let ap = common::official_ap();
    let dir = temp("concat");
    build_and_csim(
        Path::new("tests/data/concat.yaml"),
        &dir.join("c"),
        6,
        &[None, Some(&ap)],
    )
    .unwrap();
}

#[test]
fn interrupted_csim_leaves_no_compiler_running() {
    // g++ (and its cc1plus) compile the testbench in the build's hls/, which no other process
    // uses: a SIGTERM to half-gen must stop that tree too, not only half-gen.
    let dir = temp("interrupt");
    let b = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args(["build", "tests/data/mlp.yaml", "-o"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let hls = dir.join("hls").canonicalize().unwrap();
    common::interrupt_once_running(
        Command::new(env!("CARGO_BIN_EXE_half-gen"))
            .arg("csim")
            .arg(&dir)
            .env_remove("HALF_AP_INCLUDE"),
        &hls,
        |_| true,
        "compiler",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn thresholds_are_bit_exact() {
    // Threshold requantisation on conv (a comparator tree), dwconv, dense (bipolar, and a
    // binary search over 15) and avgpool, with our ap_int and with the official headers; the
    // thresholds are derived by calibration (docs/model-format.md 9.1).
    let ap = common::official_ap();
    for model in ["thresholds", "thresholds_pool"] {
        let dir = temp(model);
        build_and_csim(
            Path::new(&format!("tests/data/{model}.yaml")),
            &dir.join("t"),
            8,
            &[None, Some(&ap)],
        )
        .unwrap_or_else(|e| panic!("{model}: {e}"));
    }
}
