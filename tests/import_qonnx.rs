//! QONNX import end to end, as a user types it: tests/onnx/networks.py writes the TFC-shaped,
//! CNV-W2A2-shaped (Brevitas form and FINN's streamlined MultiThreshold form), depthwise and
//! concat networks; `half-gen import NAME.onnx -o NAME` (relative paths, from the directory
//! holding them) imports each; `half-gen eval` must equal qonnx's executor on every output
//! (tests/onnx/compare.py), and the import must build, pass csim (bit-exact), the HLS cycle
//! simulation (the estimate's cycles) and cosim (Verilator: bit-exact, the model's cycles).
//! `estimate` and `build` of an `.onnx` file import on the fly.

use onnx_common::{Scratch, networks, python, root};
use std::path::Path;
use std::process::{Command, Output};

mod common;
mod onnx_common;

/// The networks and whether their hardware is simulated (cnv_w2a2_qonnx imports to the same
/// layers as cnv_w2a2_thresholds, checked here by the comparison with its executor;
/// the Verilator run of one of the two is enough and saves a minute).
const NETWORKS: [(&str, bool); 5] = [
    ("tfc_w1a1_qonnx", true),
    ("cnv_w2a2_qonnx", false),
    ("cnv_w2a2_thresholds", true),
    ("dws_qonnx", true),
    ("concat_qonnx", true),
];

fn half_gen(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .current_dir(cwd)
        .args(args)
        .env_remove("XILINX_HLS")
        .output()
        .unwrap()
}

fn ok(o: &Output, what: &str) -> Result<String, String> {
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    if o.status.success() {
        Ok(text)
    } else {
        Err(format!(
            "{what}: {text}{}",
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

/// Imports network `name` in `dir`, compares it with its executor and builds and simulates
/// it; returns the closing note's line for it.
fn check(python: &Path, dir: &Path, name: &str, hardware: bool) -> Result<String, String> {
    let onnx = format!("{name}.onnx");
    let o = half_gen(dir, &["import", &onnx, "-o", name]);
    let summary = ok(&o, "import")?;
    let last = summary.lines().last().unwrap_or_default().to_string();
    let yaml = dir.join(name).join(format!("{name}.yaml"));
    let cmp = Command::new(python)
        .arg(root().join("tests/onnx/compare.py"))
        .arg(dir.join(&onnx))
        .arg(&yaml)
        .arg(env!("CARGO_BIN_EXE_half-gen"))
        .output()
        .unwrap();
    let c: serde_json::Value =
        serde_json::from_str(&ok(&cmp, "compare")?).map_err(|e| format!("compare: {e}"))?;
    if c["equal"] != c["outputs"] || c["max_diff"] != 0 {
        return Err(format!("{name}: not bit-exact with qonnx's executor: {c}"));
    }
    let note = format!(
        "{name}: {last}; {} outputs compared, {} equal, max diff {}",
        c["outputs"], c["equal"], c["max_diff"]
    );
    if !hardware {
        return Ok(note);
    }
    let build = format!("hw_{name}");
    let model = format!("{name}/{name}.yaml");
    ok(
        &half_gen(dir, &["build", &model, "-o", &build, "--frames", "3"]),
        "build",
    )?;
    let csim = ok(&half_gen(dir, &["csim", &build, "--json"]), "csim")?;
    let cycles = ok(
        &half_gen(dir, &["csim", &build, "--cycles", "--json"]),
        "csim --cycles",
    )?;
    let cosim = ok(&half_gen(dir, &["cosim", &build, "--json"]), "cosim")?;
    for (what, text) in [
        ("csim", &csim),
        ("csim --cycles", &cycles),
        ("cosim", &cosim),
    ] {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{what}: {e}: {text}"))?;
        if v["passed"] != true || v["mismatches"] != 0 {
            return Err(format!("{name}: {what} did not pass: {text}"));
        }
    }
    let cy: serde_json::Value = serde_json::from_str(&cycles).unwrap();
    let co: serde_json::Value = serde_json::from_str(&cosim).unwrap();
    for (what, v, key) in [
        ("csim --cycles", &cy, "cycles_error_pct"),
        ("cosim", &co, "cycles_error_pct"),
    ] {
        if v[key].as_f64().is_none_or(|e| e.abs() > 1e-9) {
            return Err(format!("{name}: {what} cycles off the estimate: {v}"));
        }
    }
    Ok(note)
}

#[test]
fn qonnx_networks_match_qonnx_and_pass_csim_and_cosim() {
    let python = python();
    let scratch = Scratch::new("onnx-qonnx");
    let dir = scratch.0.clone();
    networks(&python, &dir);
    let jobs: Vec<common::Job> = NETWORKS
        .iter()
        .map(|&(name, hardware)| {
            let (python, dir) = (python.clone(), dir.clone());
            Box::new(move || {
                let line = check(&python, &dir, name, hardware)?;
                eprintln!("{line}");
                Ok(())
            }) as common::Job
        })
        .collect();
    let failures = common::parallel(jobs);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn onnx_files_are_estimated_and_built_directly() {
    let python = python();
    let scratch = Scratch::new("onnx-direct");
    let dir = scratch.0.clone();
    networks(&python, &dir);
    let o = half_gen(
        &dir,
        &[
            "estimate",
            "cnv_w2a2_thresholds.onnx",
            "--board",
            "pynq-z2",
            "--json",
        ],
    );
    let text = ok(&o, "estimate").unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["model"], "cnv_w2a2_thresholds");
    assert_eq!(v["layers"].as_array().map(Vec::len), Some(11), "{text}");
    // The same folding as the imported model file's.
    let o = half_gen(&dir, &["import", "cnv_w2a2_thresholds.onnx", "-o", "imp"]);
    ok(&o, "import").unwrap();
    let o = half_gen(
        &dir,
        &[
            "estimate",
            "imp/cnv_w2a2_thresholds.yaml",
            "--board",
            "pynq-z2",
            "--json",
        ],
    );
    let from_yaml: serde_json::Value = serde_json::from_str(&ok(&o, "estimate").unwrap()).unwrap();
    assert_eq!(v["cycles_per_frame"], from_yaml["cycles_per_frame"]);
    assert_eq!(v["total"], from_yaml["total"]);
    let o = half_gen(
        &dir,
        &["build", "tfc_w1a1_qonnx.onnx", "-o", "tfc", "--frames", "2"],
    );
    ok(&o, "build").unwrap();
    let o = half_gen(&dir, &["csim", "tfc"]);
    let text = ok(&o, "csim").unwrap();
    assert!(text.contains("csim PASSED"), "{text}");
    // No temporary import directory is left behind.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("half-gen-import-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
