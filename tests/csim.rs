//! C simulation: every example model and 100 random small models are built and simulated with
//! g++, bit-exact against the reference, with the host ap_int shim and with the official
//! open-source ap_int headers (fetched by scripts/fetch-ap-headers.sh; never committed).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("half-gen-csim-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The official headers' directory: $HALF_OFFICIAL_AP, else fetched now. Fails, never skips.
fn official_ap() -> String {
    if let Ok(d) = std::env::var("HALF_OFFICIAL_AP")
        && Path::new(&d).join("ap_int.h").is_file()
    {
        return d;
    }
    let o = Command::new("scripts/fetch-ap-headers.sh")
        .output()
        .expect("scripts/fetch-ap-headers.sh runs");
    assert!(
        o.status.success(),
        "fetching the official ap_int headers failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let d = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_string();
    assert!(
        Path::new(&d).join("ap_int.h").is_file(),
        "{d} has no ap_int.h"
    );
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

/// Runs `jobs` on two threads (the machine's cores); returns the failures.
#[test]
fn every_example_model_is_bit_exact() {
    let ap = official_ap();
    let dir = temp("examples");
    let models = common::EXAMPLE_MODELS;
    // Each example is compiled once (g++ on these takes minutes), with half-gen's own ap_int
    // headers and the official ones in turn, so both run the large layers (every fifth random
    // model below goes through both).
    let jobs = models
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (m, dir, ap) = (m.to_string(), dir.clone(), ap.clone());
            Box::new(move || {
                let frames = if m.starts_with("cnv") { 2 } else { 4 };
                let headers = if i % 2 == 0 { None } else { Some(ap.as_str()) };
                build_and_csim(
                    Path::new(&format!("models/{m}.yaml")),
                    &dir.join(&m),
                    frames,
                    &[headers],
                )
                .map_err(|e| format!("{m}: {e}"))
            }) as common::Job
        })
        .collect();
    let failures = common::parallel(jobs);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn random_models_are_bit_exact() {
    let ap = official_ap();
    let dir = temp("random");
    let jobs = (0..100u64)
        .map(|seed| {
            let (dir, ap) = (dir.clone(), ap.clone());
            Box::new(move || {
                let text = common::random_model(seed);
                let path = dir.join(format!("rand{seed}.yaml"));
                std::fs::write(&path, &text).unwrap();
                // Every fifth model also against the official headers.
                let aps: Vec<Option<&str>> = if seed % 5 == 0 {
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
    let ap = official_ap();
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
    let ap = official_ap();
    let dir = temp("concat");
    build_and_csim(
        Path::new("tests/data/concat.yaml"),
        &dir.join("c"),
        6,
        &[None, Some(&ap)],
    )
    .unwrap();
}
