//! QONNX import end to end, as a user types it: tests/onnx/networks.py writes the TFC-shaped,
//! CNV-W2A2-shaped (Brevitas form and FINN's streamlined MultiThreshold form), depthwise and
//! concat networks; `half-gen import NAME.onnx -o NAME` (relative paths, from the directory
//! holding them) imports each; `half-gen eval` must equal qonnx's executor on every output
//! (tests/onnx/compare.py), and the import must build, pass csim (bit-exact), the HLS cycle
//! simulation (the estimate's cycles) and cosim (Verilator: bit-exact, the model's cycles).
//! `estimate` and `build` of an `.onnx` file import on the fly.

use onnx_common::{Scratch, Sims, build_and_simulate, half_gen, networks, ok, python, root};
use std::path::Path;
use std::process::Command;

mod common;
mod onnx_common;

/// The networks and how far their hardware is simulated here: the CNV networks (the same
/// layers twice; their Verilator run takes minutes) are built and run in csim; the others
/// also in the HLS cycle simulation and Verilator (tests/data/thresholds*.yaml run every
/// threshold unit through both on every CI run, and the closing notes list the CNV runs).
/// The networks and their simulations in CI: every one against qonnx's executor; TFC through
/// csim, the HLS cycle simulation and Verilator; the depthwise and concat networks through csim
/// and Verilator (the HLS cycle simulation of imported layers is the same C++ as of the model
/// files tests/hls_cycles.rs runs); CNV with MultiThreshold through csim (its Verilator build
/// takes about 30 s; run by hand for the closing notes).
const NETWORKS: [(&str, Option<Sims>); 5] = [
    ("tfc_w1a1_qonnx", Some(Sims::All)),
    ("cnv_w2a2_qonnx", None),
    ("cnv_w2a2_thresholds", Some(Sims::Csim)),
    ("dws_qonnx", Some(Sims::Cosim)),
    ("concat_qonnx", Some(Sims::Cosim)),
];

/// Imports network `name` in `dir`, compares it with its executor and builds and simulates
/// it; returns the closing note's line for it.
fn check(python: &Path, dir: &Path, name: &str, sims: Option<Sims>) -> Result<String, String> {
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
    let Some(sims) = sims else {
        return Ok(note);
    };
    let build = format!("hw_{name}");
    let sims = build_and_simulate(dir, &format!("{name}/{name}.yaml"), &build, sims)?;
    Ok(format!("{note}; {sims}"))
}

#[test]
fn qonnx_networks_match_qonnx_and_pass_csim_and_cosim() {
    let python = python();
    let scratch = Scratch::new("onnx-qonnx");
    let dir = scratch.0.clone();
    networks(&python, &dir);
    let jobs: Vec<common::Job> = NETWORKS
        .iter()
        .map(|&(name, sims)| {
            let (python, dir) = (python.clone(), dir.clone());
            Box::new(move || {
                let line = check(&python, &dir, name, sims)?;
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
    // half-gen's own temporary directory (TMPDIR), so that the check at the end sees only
    // this test's imports, not those of tests running beside it.
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let half_gen = |cwd: &Path, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_half-gen"))
            .current_dir(cwd)
            .args(args)
            .env("TMPDIR", &tmp)
            .env_remove("XILINX_HLS")
            .output()
            .unwrap()
    };
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
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("half-gen-import-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
