//! Verilator co-simulation of the Verilog backend (part 3, in progress: dense layers so far):
//! lint-clean RTL, bit-exact outputs with and without random stalls, and cycles per frame
//! within 1 % of the cycle model.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_half-gen"))
}

fn build(tag: &str, extra: &[&str]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("half-gen-cosim-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let o = bin()
        .args(["build", "tests/data/mlp.yaml", "-o"])
        .arg(&dir)
        .args(["--frames", "6", "--board", "zybo-z7-10"])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.join("rtl/mlp_top.v").is_file());
    dir
}

fn cosim(dir: &Path, stall: &str) -> serde_json::Value {
    let o = bin()
        .arg("cosim")
        .arg(dir)
        .args(["--json", "--stall", stall])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(&text).unwrap()
}

#[test]
fn dense_pipeline_is_bit_exact_and_matches_the_cycle_model() {
    // Two foldings: a lean one (several neuron and synapse folds, width converters) and a
    // wider one.
    for (tag, util) in [("lean", "lut=0.05"), ("wide", "lut=0.5")] {
        let dir = build(tag, &["--max-util", util]);
        let lint = Command::new("verilator")
            .current_dir(dir.join("rtl"))
            .args(["--lint-only", "-Wall", "--top-module", "mlp_top"])
            .args(
                std::fs::read_dir(dir.join("rtl"))
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|f| f.ends_with(".v")),
            )
            .output()
            .expect("verilator runs (scripts/install-tools.sh installs it)");
        assert!(
            lint.status.success(),
            "lint: {}",
            String::from_utf8_lossy(&lint.stderr)
        );
        let r = cosim(&dir, "0");
        assert_eq!(r["passed"], true, "{r}");
        assert_eq!(r["mismatches"], 0);
        assert_eq!(r["frames"], 6);
        let err = r["cycles_error_pct"].as_f64().unwrap();
        assert!(err <= 1.0, "{tag}: cycles per frame off by {err} %: {r}");
        let stalled = cosim(&dir, "0.3");
        assert_eq!(stalled["passed"], true, "{stalled}");
        assert_eq!(stalled["mismatches"], 0);
    }
}
