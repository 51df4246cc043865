//! `half-gen csim --cycles`: the cycle simulation of the generated HLS C++ (every process a
//! coroutine, one pipelined-loop iteration per cycle, its writes readable after the loop's
//! pipeline depth, every stream bounded at the project's depth). Every example and 27 random
//! models: bit-exact at the written depths, cycles per frame and latency those of the estimate;
//! then C simulation of every example (alternately with half-gen's and the official ap_int
//! headers) and of every fifth random model: bit-exact, loop iteration counts those of the
//! estimate's units. A bypass FIFO cut to 2 words deadlocks, and the report names the process
//! and the stream it waits on.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_half-gen"))
}

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("half-gen-cycles-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn build(dir: &Path, extra: &[&str]) {
    let o = bin()
        .arg("build")
        .arg("tests/data/residual.yaml")
        .args([
            "--board",
            "zybo-z7-10",
            "--max-util",
            "lut=0.12",
            "--frames",
            "4",
        ])
        .args(extra)
        .arg("-o")
        .arg(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn cycles(dir: &Path) -> (Option<i32>, serde_json::Value) {
    let o = bin()
        .args(["csim", "--cycles", "--json"])
        .arg(dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let v = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{text}{}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), v)
}

#[test]
fn the_residual_model_runs_at_its_written_depths() {
    let dir = temp("residual");
    build(&dir, &[]);
    let (code, r) = cycles(&dir);
    assert_eq!(code, Some(0), "{r}");
    assert_eq!(r["passed"], true, "{r}");
    assert_eq!(r["deadlock"], false, "{r}");
    assert_eq!(r["frames"], 4, "{r}");
    // The first frame's latency and the cycles per frame are the estimate's within 1 %.
    assert!(r["latency_error_pct"].as_f64().unwrap().abs() <= 1.0, "{r}");
    assert!(r["cycles_error_pct"].as_f64().unwrap().abs() <= 1.0, "{r}");
    assert!(r["model_cycles_per_frame"].as_f64().unwrap() > 0.0, "{r}");
    // Every stream stayed within its depth.
    for s in r["streams"].as_array().unwrap() {
        assert!(s["max_occupancy"].as_u64() <= s["depth"].as_u64(), "{s}");
    }
    // A truncated vector file is an error (exit 2) before anything is simulated.
    let p = dir.join("hls/tb/expected.txt");
    let first = std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(&p, first + "\n").unwrap();
    let o = bin().args(["csim", "--cycles"]).arg(&dir).output().unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("hold 1 complete frames; 4 expected"), "{e}");
}

#[test]
fn a_cut_bypass_fifo_deadlocks_and_is_named() {
    let dir = temp("cut");
    build(&dir, &["--fifo-depth", "x_fork->add=2"]);
    let (code, r) = cycles(&dir);
    assert_eq!(code, Some(1), "{r}");
    assert_eq!(r["deadlock"], true, "{r}");
    let blocked = r["blocked"].as_array().unwrap();
    assert!(
        blocked.iter().any(|b| b["stream"] == "x_fork->add"
            && b["op"] == "write"
            && b["occupancy"] == 2
            && b["depth"] == 2
            && b["process"].as_str().unwrap().contains("fork2")),
        "{r}"
    );
    // The text report says the same.
    let o = bin().args(["csim", "--cycles"]).arg(&dir).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text.contains("waits to write stream `x_fork->add` (full: 2 of 2 words)"),
        "{text}"
    );
}

/// Builds `model` with `extra` and runs the cycle simulation: bit-exact, no deadlock, every
/// stream within its depth, cycles per frame and the frame-0 latency within 1 % of the
/// estimate; then, when `csim` is given, C simulation (with half-gen's ap_int headers, or with
/// the official ones in the directory it names): bit-exact, and its loop iteration counts must
/// agree with the estimate's unit cycles.
fn runs_at_written_depths(
    model: &Path,
    dir: &Path,
    extra: &[&str],
    csim: Option<Option<&str>>,
) -> Result<(), String> {
    let o = bin()
        .arg("build")
        .arg(model)
        .args(extra)
        .arg("-o")
        .arg(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!("build: {}", String::from_utf8_lossy(&o.stderr)));
    }
    let (code, r) = cycles(dir);
    let within = r["streams"].as_array().is_some_and(|v| {
        v.iter()
            .all(|s| s["max_occupancy"].as_u64() <= s["depth"].as_u64())
    });
    let err = |k: &str| r[k].as_f64().unwrap_or(f64::INFINITY).abs();
    let ok = code == Some(0)
        && r["passed"] == true
        && r["deadlock"] == false
        && within
        && err("cycles_error_pct") <= 1.0
        && err("latency_error_pct") <= 1.0;
    if !ok {
        return Err(format!("{r}"));
    }
    let Some(headers) = csim else {
        return Ok(());
    };
    let mut c = bin();
    c.args(["csim", "--json"]).arg(dir).env_remove("XILINX_HLS");
    match headers {
        Some(ap) => c.env("HALF_AP_INCLUDE", ap),
        None => c.env_remove("HALF_AP_INCLUDE"),
    };
    let o = c.output().map_err(|e| e.to_string())?;
    let c: serde_json::Value =
        serde_json::from_slice(&o.stdout).map_err(|e| format!("csim: {e}"))?;
    let counted = c["iterations"]
        .as_array()
        .is_some_and(|v| !v.is_empty() && v.iter().all(|p| p["agrees"] == true));
    let exact = c["mismatches"] == 0 && c["frames"] == 3;
    if o.status.success() && c["passed"] == true && exact && counted {
        Ok(())
    } else {
        Err(format!("csim: {c}"))
    }
}

#[test]
fn example_models_run_at_their_written_depths() {
    // Each example is compiled for C simulation once, with half-gen's own ap_int headers and
    // the official ones in turn (tests/csim.rs runs random models with both).
    let ap = common::official_ap();
    let jobs = common::EXAMPLE_MODELS
        .iter()
        .enumerate()
        .map(|(i, &m)| {
            let ap = ap.clone();
            Box::new(move || {
                let headers = (i % 2 == 1).then_some(ap.as_str());
                let dir = temp(m);
                let model = PathBuf::from(format!("models/{m}.yaml"));
                let extra = ["--board", "pynq-z2", "--frames", "3"];
                runs_at_written_depths(&model, &dir, &extra, Some(headers))
                    .map_err(|e| format!("{m}: {e}"))
            }) as common::Job
        })
        .collect();
    let failures = common::parallel(jobs);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn random_models_run_at_their_written_depths() {
    // 27 random models (residual adds, concat joins, stride 2, dwconv, pools, 1-bit), each
    // within 1 % of the estimate in cycles per frame and latency.
    let jobs = (0..27u64)
        .map(|seed| {
            Box::new(move || {
                let dir = temp(&format!("rand{seed}"));
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                let model = dir.join(format!("rand{seed}.yaml"));
                let text = common::random_model(seed);
                std::fs::write(&model, &text).map_err(|e| e.to_string())?;
                let extra = [
                    "--board",
                    "zybo-z7-10",
                    "--max-util",
                    "lut=0.2",
                    "--frames",
                    "3",
                ];
                // The iteration counts of every fifth (csim compiles the model again).
                let csim = (seed % 5 == 0).then_some(None);
                runs_at_written_depths(&model, &dir.join("b"), &extra, csim)
                    .map_err(|e| format!("seed {seed}: {e}\n{text}"))
            }) as common::Job
        })
        .collect();
    let failures = common::parallel(jobs);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn padded_lanes_run_at_their_written_depths() {
    // PE and SIMD that divide nothing (tests/data/padded_folding.yaml, described in
    // tests/cosim.rs): the HLS width converters' padded rows, bit-exact with the official
    // ap_int headers, on the estimate's cycles, latency and loop counts.
    let dir = temp("padded");
    let extra = [
        "--board",
        "zybo-z7-10",
        "--folding",
        "tests/data/padded_folding.yaml",
        "--frames",
        "3",
    ];
    let ap = common::official_ap();
    let model = Path::new("tests/data/padded.yaml");
    runs_at_written_depths(model, &dir, &extra, Some(Some(&ap))).unwrap();
}

#[test]
fn thresholds_run_at_their_written_depths() {
    // tests/data/thresholds.yaml (threshold requantisation: comparator trees, binary
    // searches, a bipolar sign): at the estimate's cycles and latency, bit-exact with the
    // official ap_int headers.
    let dir = temp("thresholds");
    let extra = ["--board", "zybo-z7-10", "--frames", "3"];
    let ap = common::official_ap();
    let model = Path::new("tests/data/thresholds.yaml");
    runs_at_written_depths(model, &dir, &extra, Some(Some(&ap))).unwrap();
}
