//! The real evaluator of examples/evaluators/ (JAX quantisation-aware training on
//! scikit-learn's digits): it trains a candidate, writes the integer weights half-gen reads, and
//! the accuracy it reports is what `half-gen eval` measures on the held-out split. Needs the
//! Python environment `scripts/evaluator-env.sh` creates (the README test command does);
//! without it the test fails with that instruction.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

fn python() -> PathBuf {
    let p = std::env::var_os("HALF_EVALUATOR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/evaluator-venv/bin/python"));
    assert!(
        p.exists(),
        "no evaluator Python at {}: run scripts/evaluator-env.sh (scripts/test.sh does)",
        p.display()
    );
    p
}

#[test]
fn trained_candidate_accuracy_is_what_the_reference_measures() {
    let dir = std::env::temp_dir().join(format!("half-gen-evaluator-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("small.json");
    // A fixed epoch count (no time budget), so the result does not depend on the load.
    let run = Command::new(python())
        .args([
            "examples/evaluators/digits_qat.py",
            "examples/evaluators/digits_small.yaml",
        ])
        .arg(&out)
        .args(["--budget", "0", "--epochs", "12", "--quiet", "--check"])
        .env("HALF_GEN", env!("CARGO_BIN_EXE_half-gen"))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "evaluator failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let acc = r["accuracy"].as_f64().unwrap();
    assert!(
        acc > 0.8,
        "a trained 3-conv net reaches more than 80 %: {r}"
    );
    assert!(
        r["agreement"].as_f64().unwrap() > 0.95,
        "the integer network predicts as the trained one: {r}"
    );
    // The files it left reproduce the accuracy through half-gen's reference.
    let model = dir.join("small.model.yaml");
    let data = dir.join("small.data.npz");
    let eval = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .arg("eval")
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let e: Value = serde_json::from_slice(&eval.stdout).unwrap();
    let measured = e["accuracy"]
        .as_f64()
        .or_else(|| e["top1"].as_f64())
        .unwrap_or_else(|| panic!("no accuracy in eval output: {e}"));
    assert_eq!(measured, acc, "eval: {e}");
    let _ = std::fs::remove_dir_all(&dir);
}
