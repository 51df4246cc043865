//! The reader against models encoded here with prost: every field read back, and every
//! refusal.

use super::onnx::{Attr, Dim, OnnxModel, TensorData, ValueInfo, read_model};
use super::proto::{
    AttributeProto, AttributeType, DataLocation, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, StringStringEntryProto, TensorProto, TensorShapeProto, TypeProto,
    ValueInfoProto, data_type as dt, tensor_shape_proto, type_proto,
};
use crate::error::Error;
use prost::Message;
use std::path::PathBuf;

/// A temporary file holding `bytes`, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, bytes: &[u8]) -> Self {
        let p =
            std::env::temp_dir().join(format!("half-gen-import-{}-{tag}.onnx", std::process::id()));
        std::fs::write(&p, bytes).expect("write the temporary model");
        TempFile(p)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn tensor(name: &str, dims: &[i64], data_type: i32) -> TensorProto {
    TensorProto {
        name: s(name),
        dims: dims.to_vec(),
        data_type: Some(data_type),
        ..TensorProto::default()
    }
}

fn raw(name: &str, dims: &[i64], data_type: i32, bytes: Vec<u8>) -> TensorProto {
    TensorProto {
        raw_data: Some(bytes),
        ..tensor(name, dims, data_type)
    }
}

fn attr(name: &str, kind: AttributeType) -> AttributeProto {
    AttributeProto {
        name: s(name),
        r#type: Some(kind as i32),
        ..AttributeProto::default()
    }
}

fn node(name: &str, op: &str, domain: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        name: s(name),
        op_type: s(op),
        domain: s(domain),
        input: inputs.iter().map(|x| x.to_string()).collect(),
        output: outputs.iter().map(|x| x.to_string()).collect(),
        ..NodeProto::default()
    }
}

fn value(
    name: &str,
    elem_type: i32,
    dims: Option<Vec<tensor_shape_proto::dimension::Value>>,
) -> ValueInfoProto {
    let shape = dims.map(|d| TensorShapeProto {
        dim: d
            .into_iter()
            .map(|v| tensor_shape_proto::Dimension {
                value: Some(v),
                denotation: None,
            })
            .collect(),
    });
    ValueInfoProto {
        name: s(name),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(elem_type),
                shape,
            })),
            denotation: None,
        }),
        doc_string: None,
    }
}

/// The attributes of the `Quant` node: one of each kind.
fn quant_attrs() -> Vec<AttributeProto> {
    let mut t = tensor("", &[2], dt::INT64);
    t.int64_data = vec![7, -7];
    vec![
        AttributeProto {
            i: Some(1),
            ..attr("signed", AttributeType::Int)
        },
        AttributeProto {
            f: Some(0.25),
            ..attr("alpha", AttributeType::Float)
        },
        AttributeProto {
            s: Some(b"ROUND".to_vec()),
            ..attr("rounding_mode", AttributeType::String)
        },
        AttributeProto {
            ints: vec![3, -1],
            ..attr("ks", AttributeType::Ints)
        },
        AttributeProto {
            floats: vec![1.5, -2.0],
            ..attr("fs", AttributeType::Floats)
        },
        AttributeProto {
            strings: vec![b"a".to_vec(), b"bc".to_vec()],
            ..attr("ss", AttributeType::Strings)
        },
        AttributeProto {
            t: Some(t),
            ..attr("t", AttributeType::Tensor)
        },
        // no type (before IR 0.0.2): implied from the field set
        AttributeProto {
            name: s("old"),
            i: Some(5),
            ..AttributeProto::default()
        },
        attr("g", AttributeType::Graph),
    ]
}

/// The initializers: int8 and float as raw_data, float_data, int32_data (uint8), int64_data,
/// double_data, uint64_data (uint32), 4-bit raw_data.
fn initializers() -> Vec<TensorProto> {
    let mut b = tensor("b", &[3], dt::FLOAT);
    b.float_data = vec![1.0, 2.0, 3.0];
    let mut zp = tensor("zp", &[], dt::UINT8);
    zp.int32_data = vec![200];
    let mut shape = tensor("shape", &[2], dt::INT64);
    shape.int64_data = vec![-1, 3];
    let mut d = tensor("d", &[1], dt::DOUBLE);
    d.double_data = vec![0.125];
    let mut u = tensor("u", &[2], dt::UINT32);
    u.uint64_data = vec![0, 4_000_000_000];
    let mut h = tensor("h", &[2], dt::FLOAT16);
    h.int32_data = vec![0x3c00, 0xc000];
    vec![
        raw("w", &[2, 3], dt::INT8, vec![0x80, 0xff, 0, 1, 2, 0x7f]),
        raw("s", &[], dt::FLOAT, 0.5f32.to_le_bytes().to_vec()),
        raw("i4", &[3], dt::INT4, vec![0x8f, 0x07]),
        b,
        zp,
        shape,
        d,
        u,
        h,
    ]
}

/// A small model with every feature the reader handles.
fn sample() -> ModelProto {
    use tensor_shape_proto::dimension::Value as D;
    let mut c1 = node("", "Constant", "", &[], &["c1"]);
    c1.attribute = vec![AttributeProto {
        ints: vec![1, -1],
        ..attr("value_ints", AttributeType::Ints)
    }];
    let mut c2 = node("k", "Constant", "ai.onnx", &[], &["c2"]);
    let mut ct = tensor("", &[1, 2], dt::FLOAT);
    ct.float_data = vec![-1.0, 4.0];
    c2.attribute = vec![AttributeProto {
        t: Some(ct),
        ..attr("value", AttributeType::Tensor)
    }];
    let mut q = node(
        "",
        "Quant",
        "qonnx.custom_op.general",
        &["y", "s", "zp", ""],
        &["q"],
    );
    q.attribute = quant_attrs();
    let graph = GraphProto {
        name: s("g"),
        node: vec![
            c1,
            node("mm", "MatMul", "ai.onnx", &["x", "w"], &["y"]),
            q,
            c2,
            node("", "Reshape", "", &["q", "c1"], &["out"]),
        ],
        initializer: initializers(),
        input: vec![
            value(
                "x",
                dt::FLOAT,
                Some(vec![D::DimParam("N".into()), D::DimValue(2)]),
            ),
            value("w", dt::INT8, Some(vec![D::DimValue(2), D::DimValue(3)])),
        ],
        output: vec![value("out", dt::FLOAT, None)],
        value_info: vec![value("y", dt::FLOAT, Some(vec![]))],
        doc_string: None,
    };
    let mut unknown = value("out", dt::FLOAT, None);
    if let Some(TypeProto {
        value: Some(type_proto::Value::TensorType(t)),
        ..
    }) = &mut unknown.r#type
    {
        t.shape = Some(TensorShapeProto {
            dim: vec![tensor_shape_proto::Dimension::default()],
        });
    }
    let graph = GraphProto {
        output: vec![unknown],
        ..graph
    };
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![
            OperatorSetIdProto {
                domain: s("ai.onnx"),
                version: Some(13),
            },
            OperatorSetIdProto {
                domain: s("qonnx.custom_op.general"),
                version: Some(1),
            },
        ],
        producer_name: s("half-gen test"),
        producer_version: s("1"),
        graph: Some(graph),
        ..ModelProto::default()
    }
}

fn read(tag: &str, m: &ModelProto) -> crate::Result<OnnxModel> {
    let f = TempFile::new(tag, &m.encode_to_vec());
    read_model(&f.0)
}

#[test]
fn reads_back_every_field() {
    let m = read("sample", &sample()).expect("the sample reads");
    assert_eq!((m.ir_version, m.producer.as_str()), (8, "half-gen test"));
    assert_eq!(m.producer_version, "1");
    assert_eq!(
        (m.opset(""), m.opset("qonnx.custom_op.general")),
        (Some(13), Some(1))
    );
    let g = &m.graph;
    assert_eq!(g.name, "g");
    let ops: Vec<_> = g
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.op_type.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("mm", "MatMul"),
            ("Quant_2", "Quant"),
            ("Reshape_4", "Reshape")
        ]
    );
    assert_eq!(g.nodes[0].domain, "");
    assert_eq!(g.nodes[0].inputs, ["x", "w"]);
    assert_eq!(g.nodes[1].domain, "qonnx.custom_op.general");
    assert_eq!(g.nodes[1].inputs, ["y", "s", "zp", ""]);
    assert_eq!(
        (g.nodes[1].input(2), g.nodes[1].input(3)),
        (Some("zp"), None)
    );
    assert_eq!(g.nodes[2].outputs, ["out"]);
    assert_eq!(
        g.inputs,
        [ValueInfo {
            name: "x".into(),
            elem_type: dt::FLOAT,
            shape: Some(vec![Dim::Symbolic("N".into()), Dim::Fixed(2)]),
        }]
    );
    assert_eq!(g.outputs[0].shape, Some(vec![Dim::Unknown]));
    assert_eq!(g.info("y").and_then(|v| v.shape.clone()), Some(vec![]));
    assert_eq!(g.info("x").map(|v| v.elem_type), Some(dt::FLOAT));
}

#[test]
fn decodes_every_tensor_encoding() {
    let m = read("tensors", &sample()).expect("the sample reads");
    let t = |name: &str| m.graph.constant(name).expect(name).clone();
    let w = t("w");
    assert_eq!((w.dims.clone(), w.elem_type), (vec![2, 3], dt::INT8));
    assert_eq!(w.data, TensorData::Int(vec![-128, -1, 0, 1, 2, 127]));
    assert_eq!(w.to_i64(), Some(vec![-128, -1, 0, 1, 2, 127]));
    assert_eq!((t("s").dims.len(), t("s").scalar_f64()), (0, Some(0.5)));
    assert_eq!(t("s").to_i64(), None);
    assert_eq!(t("i4").data, TensorData::Int(vec![-1, -8, 7]));
    assert_eq!(t("b").data, TensorData::Float(vec![1.0, 2.0, 3.0]));
    assert_eq!(t("b").to_i64(), Some(vec![1, 2, 3]));
    assert_eq!(
        (t("zp").elem_type, t("zp").scalar_i64()),
        (dt::UINT8, Some(200))
    );
    assert_eq!(t("shape").data, TensorData::Int(vec![-1, 3]));
    assert_eq!(t("d").data, TensorData::Double(vec![0.125]));
    assert_eq!(t("u").data, TensorData::Int(vec![0, 4_000_000_000]));
    assert_eq!(t("h").data, TensorData::Float(vec![1.0, -2.0]));
    // the Constants, now initializers
    let c1 = t("c1");
    assert_eq!(
        (c1.dims, c1.elem_type, c1.data),
        (vec![2], dt::INT64, TensorData::Int(vec![1, -1]))
    );
    let c2 = t("c2");
    assert_eq!((c2.to_f64(), c2.dims), (vec![-1.0, 4.0], vec![1, 2]));
    assert_eq!(m.graph.initializers.len(), 11);
}

#[test]
fn decodes_every_attribute_kind() {
    let m = read("attrs", &sample()).expect("the sample reads");
    let q = &m.graph.nodes[1];
    assert_eq!(q.int("signed"), Some(1));
    assert_eq!(q.float("alpha"), Some(0.25));
    assert_eq!(q.string("rounding_mode"), Some("ROUND"));
    assert_eq!(q.ints("ks"), Some(&[3, -1][..]));
    assert_eq!(q.floats("fs"), Some(&[1.5, -2.0][..]));
    assert_eq!(
        q.strings("ss"),
        Some(&["a".to_string(), "bc".to_string()][..])
    );
    assert_eq!(
        q.tensor("t").map(|t| t.data.clone()),
        Some(TensorData::Int(vec![7, -7]))
    );
    assert_eq!(q.int("old"), Some(5));
    assert_eq!(q.attr("g"), Some(&Attr::Other(AttributeType::Graph as i32)));
    assert_eq!(q.attr("g").map(Attr::kind).as_deref(), Some("GRAPH"));
    // the wrong kind, or absent: None
    assert_eq!((q.int("alpha"), q.float("missing")), (None, None));
}

/// The message of reading `m`, which must fail.
fn refusal(tag: &str, m: &ModelProto) -> String {
    match read(tag, m) {
        Err(e @ Error::Import(_)) => e.to_string(),
        other => panic!("expected an import error, got {other:?}"),
    }
}

/// The sample with initializer `t` added.
fn with_initializer(t: TensorProto) -> ModelProto {
    let mut m = sample();
    if let Some(g) = &mut m.graph {
        g.initializer.push(t);
    }
    m
}

#[test]
fn refuses_truncated_and_foreign_files() {
    let bytes = sample().encode_to_vec();
    let f = TempFile::new("truncated", &bytes[..bytes.len() - 1]);
    let e = read_model(&f.0).expect_err("truncated").to_string();
    assert!(
        e.starts_with(&format!("{}: not an ONNX model: ", f.0.display())),
        "{e}"
    );
    let f = TempFile::new("empty", b"");
    let e = read_model(&f.0).expect_err("empty").to_string();
    assert!(e.ends_with("not an ONNX model: it has no graph"), "{e}");
    let dir = std::env::temp_dir();
    let e = read_model(&dir).expect_err("a directory").to_string();
    assert!(e.ends_with("is a directory, not an ONNX model file"), "{e}");
    let e = read_model(&dir.join("half-gen-no-such.onnx")).expect_err("missing");
    assert!(matches!(e, Error::Import(_)) && e.exit_code() == 2, "{e}");
}

#[test]
fn refuses_external_data() {
    let mut t = tensor("ext", &[4], dt::FLOAT);
    t.data_location = Some(DataLocation::External as i32);
    t.external_data = vec![StringStringEntryProto {
        key: s("location"),
        value: s("weights.bin"),
    }];
    let e = refusal("external", &with_initializer(t));
    assert!(
        e.contains("initializer `ext`: its data is in an external file (`weights.bin`)"),
        "{e}"
    );
}

#[test]
fn refuses_counts_that_disagree_with_dims() {
    let e = refusal(
        "rawcount",
        &with_initializer(raw("r", &[2, 3], dt::INT8, vec![0; 5])),
    );
    assert!(e.ends_with("initializer `r`: its dimensions hold 6 elements but raw_data holds 5 bytes (INT8, 1 byte each)"), "{e}");
    let mut f = tensor("f", &[3], dt::FLOAT);
    f.float_data = vec![1.0, 2.0];
    let e = refusal("floatcount", &with_initializer(f));
    assert!(
        e.contains("its dimensions hold 3 elements but float_data holds 2 values"),
        "{e}"
    );
    let mut u8s = tensor("u", &[1], dt::UINT8);
    u8s.int32_data = vec![256];
    let e = refusal("u8range", &with_initializer(u8s));
    assert!(
        e.contains("int32_data value 256 is out of the range of UINT8"),
        "{e}"
    );
    // far too many elements: refused before any allocation
    let e = refusal(
        "huge",
        &with_initializer(raw("h", &[1 << 40, 1 << 40], dt::INT8, vec![])),
    );
    assert!(e.contains("above half-gen's limit of 67,108,864"), "{e}");
    let e = refusal(
        "negative",
        &with_initializer(raw("n", &[-1], dt::INT8, vec![])),
    );
    assert!(e.contains("dimension -1 of [-1] is negative"), "{e}");
    let e = refusal("string", &with_initializer(tensor("t", &[0], dt::STRING)));
    assert!(
        e.contains("initializer `t`: string tensors are not supported"),
        "{e}"
    );
    let e = refusal("twice", &with_initializer(raw("w", &[], dt::INT8, vec![0])));
    assert!(e.ends_with("initializer `w` is defined twice"), "{e}");
}

#[test]
fn refuses_bad_constants_naming_the_node() {
    let mut m = sample();
    if let Some(g) = &mut m.graph {
        g.node[3].attribute.push(AttributeProto {
            f: Some(1.0),
            ..attr("value_float", AttributeType::Float)
        });
    }
    let e = refusal("constant", &m);
    assert!(e.contains(": node `k` (Constant): a Constant has exactly one value attribute, not [\"value\", \"value_float\"]"), "{e}");
}
