//! The ONNX reader on real files: tests/onnx/networks.py writes the QONNX (Brevitas-style,
//! FINN-streamlined) and onnxruntime int8 (QDQ, QOperator) networks with the onnx, qonnx and
//! onnxruntime of scripts/onnx-env.sh, and `half_gen::import::onnx::read_model` must read each
//! one with the nodes, inputs and constants its manifest lists. The Python environment is
//! HALF_ONNX_PYTHON when set, else the one scripts/onnx-env.sh creates (or finds) in
//! target/onnx-venv; when neither works the test fails.

use half_gen::import::onnx::{Dim, OnnxModel, read_model};
use half_gen::import::proto::data_type;
use onnx_common::{Scratch, networks, python};
use std::collections::BTreeSet;

mod onnx_common;

/// Every non-empty node input is a constant, a graph input or an earlier node's output.
fn check_wiring(m: &OnnxModel) {
    let g = &m.graph;
    let mut known: BTreeSet<&str> = g.inputs.iter().map(|v| v.name.as_str()).collect();
    known.extend(g.initializers.keys().map(String::as_str));
    for n in &g.nodes {
        for i in n.inputs.iter().filter(|i| !i.is_empty()) {
            assert!(
                known.contains(i.as_str()),
                "{}: `{}` reads unknown `{i}`",
                m.file,
                n.name
            );
        }
        known.extend(n.outputs.iter().map(String::as_str));
    }
    for o in &g.outputs {
        assert!(
            known.contains(o.name.as_str()),
            "{}: output `{}`",
            m.file,
            o.name
        );
    }
}

/// Checks of the operators each family uses: attributes and constants read as their kinds.
fn check_ops(m: &OnnxModel) {
    let g = &m.graph;
    for n in &g.nodes {
        let constant = |k: usize| g.constant(n.input(k).unwrap_or_default());
        match n.op_type.as_str() {
            "Quant" => {
                assert_eq!(n.domain, "qonnx.custom_op.general");
                assert!(
                    n.int("signed").is_some() && n.int("narrow").is_some(),
                    "{n:?}"
                );
                assert_eq!(n.string("rounding_mode"), Some("ROUND"));
                let bits = constant(3).and_then(|t| t.scalar_i64()).expect("bit width");
                assert!([2, 4, 5, 8].contains(&bits), "{}: bits {bits}", n.name);
                assert!(
                    constant(1)
                        .and_then(|t| t.scalar_f64())
                        .is_some_and(|s| s > 0.0)
                );
            }
            "MultiThreshold" => {
                assert_eq!(n.string("out_dtype"), Some("INT2"));
                assert_eq!(
                    (n.float("out_scale"), n.float("out_bias")),
                    (Some(1.0), Some(-2.0))
                );
                let t = constant(1).expect("thresholds");
                assert_eq!(
                    t.dims.get(1),
                    Some(&3),
                    "{}: thresholds {:?}",
                    n.name,
                    t.dims
                );
            }
            "QuantizeLinear" | "DequantizeLinear" => {
                let zp = constant(2).expect("zero point");
                // int8 activations and weights; int32 biases (onnxruntime quantizes a bias to
                // int32 with the scale input scale x weight scale)
                let types = [data_type::INT8, data_type::INT32];
                assert!(
                    types.contains(&zp.elem_type),
                    "{}: {}",
                    n.name,
                    zp.elem_type
                );
                assert!(zp.to_i64().is_some_and(|v| v.iter().all(|&z| z == 0)));
            }
            "Conv" | "QLinearConv" => assert_eq!(n.ints("kernel_shape").map(<[i64]>::len), Some(2)),
            _ => {}
        }
    }
}

#[test]
fn reads_every_network_the_python_side_writes() {
    let python = python();
    let scratch = Scratch::new("import-reader");
    let dir = scratch.0.clone();
    networks(&python, &dir);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let entries = manifest.as_object().expect("the manifest is an object");
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "cnv_w2a2_qonnx",
            "cnv_w2a2_thresholds",
            "concat_qonnx",
            "dws_qonnx",
            "resnet8_qdq",
            "resnet8_qdq_pc",
            "resnet8_qop",
            "tfc_w1a1_qonnx"
        ]
    );
    for (name, e) in entries {
        let m = read_model(&dir.join(e["file"].as_str().unwrap())).unwrap();
        let expected: Vec<&str> = e["ops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o.as_str().unwrap())
            .filter(|&o| o != "Constant")
            .collect();
        let ops: Vec<&str> = m.graph.nodes.iter().map(|n| n.op_type.as_str()).collect();
        assert_eq!(ops, expected, "{name}");
        let [input] = m.graph.inputs.as_slice() else {
            panic!("{name}: inputs {:?}", m.graph.inputs)
        };
        assert_eq!(input.name, e["input"]["name"].as_str().unwrap(), "{name}");
        let shape: Vec<Dim> = e["input"]["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| Dim::Fixed(d.as_i64().unwrap()))
            .collect();
        assert_eq!(input.shape.as_ref(), Some(&shape), "{name}");
        assert_eq!(input.elem_type, data_type::FLOAT, "{name}");
        assert_eq!(m.opset(""), Some(13), "{name}");
        assert_eq!(m.graph.outputs.len(), 1, "{name}");
        check_wiring(&m);
        check_ops(&m);
    }
}
