//! Every class of input `half-gen import` refuses, as a user meets it: tests/onnx/errors.py
//! writes one small ONNX model per class (an unsupported operator, quantizers that are not
//! integer ones, a zero point, per-channel activation scales, a dynamic input shape, a
//! reordering Transpose, a grouped convolution, an unquantized layer input, a float model, two
//! outputs, a file that is not ONNX, an int8 QDQ model with asymmetric activations), and each
//! import must exit with code 2 and one line naming the file, the node and its operator where
//! there is one, and why; nothing is written. A dynamic shape imports once `--input-shape` is
//! given.

use onnx_common::{Scratch, python, root};
use std::process::Command;

mod onnx_common;

#[test]
fn every_unsupported_pattern_is_named() {
    let python = python();
    let scratch = Scratch::new("onnx-errors");
    let dir = scratch.0.clone();
    let out = Command::new(&python)
        .arg(root().join("tests/onnx/errors.py"))
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "errors.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cases.json")).unwrap()).unwrap();
    let cases = cases.as_object().unwrap();
    assert_eq!(cases.len(), 13);
    for (name, case) in cases {
        let file = case["file"].as_str().unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_half-gen"))
            .current_dir(&dir)
            .args(["import", file, "-o", &format!("out_{name}")])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        assert!(
            err.starts_with(&format!("error: {file}: ")),
            "{name}: {err}"
        );
        for p in case["phrases"].as_array().unwrap() {
            let p = p.as_str().unwrap();
            assert!(err.contains(p), "{name}: `{p}` missing from: {err}");
        }
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(
            !dir.join(format!("out_{name}")).exists(),
            "{name}: wrote output"
        );
    }
    // The dynamic shape, given.
    let o = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .current_dir(&dir)
        .args([
            "import",
            "dynamic.onnx",
            "-o",
            "dyn",
            "--input-shape",
            "3,8,8",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let yaml = std::fs::read_to_string(dir.join("dyn/dynamic.yaml")).unwrap();
    assert!(
        yaml.contains("input: {shape: [8, 8, 3], bits: 8, signed: true}"),
        "{yaml}"
    );
}
