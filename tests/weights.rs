//! Weights files: hand-checked arithmetic with user weights, and one clear error (exit code 2,
//! naming the layer and the array) per kind of bad array.

use npyz::WriterBuilder;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("half-gen-weights-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

enum Arr<'a> {
    I(&'a [u64], Vec<i64>),
    U8(&'a [u64], Vec<u8>),
    F(&'a [u64], Vec<f64>),
}

fn write_npz(path: &Path, arrays: &[(&str, Arr)]) {
    let mut npz = npyz::npz::NpzWriter::create(path).unwrap();
    for (name, a) in arrays {
        match a {
            Arr::I(shape, v) => {
                let mut w = npz
                    .array::<i64>(name, Default::default())
                    .unwrap()
                    .default_dtype()
                    .shape(shape)
                    .begin_nd()
                    .unwrap();
                w.extend(v.iter().copied()).unwrap();
                w.finish().unwrap();
            }
            Arr::U8(shape, v) => {
                let mut w = npz
                    .array::<u8>(name, Default::default())
                    .unwrap()
                    .default_dtype()
                    .shape(shape)
                    .begin_nd()
                    .unwrap();
                w.extend(v.iter().copied()).unwrap();
                w.finish().unwrap();
            }
            Arr::F(shape, v) => {
                let mut w = npz
                    .array::<f64>(name, Default::default())
                    .unwrap()
                    .default_dtype()
                    .shape(shape)
                    .begin_nd()
                    .unwrap();
                w.extend(v.iter().copied()).unwrap();
                w.finish().unwrap();
            }
        }
    }
}

/// A 3x3x1 input, a 2x2 conv with 2 channels (valid), then a dense layer of 2 units.
const MODEL: &str = "name: tiny\ninput: {shape: [3, 3, 1], bits: 4, signed: false}\nweights: w.npz\nlayers:\n  - {name: c0, op: conv, channels: 2, kernel: 2, weight_bits: 4, activation: relu, output: {bits: 8}}\n  - {name: fc, op: dense, units: 2, weight_bits: 2, bias: false, output: {bits: 16, signed: true}, requant: {scale: 1, shift: 0}}\n";

fn good(d: &Path) -> Vec<(&'static str, Arr<'static>)> {
    let _ = d;
    vec![
        // c0.weight [kh, kw, cin, cout]: channel 0 sums the window, channel 1 is (x00 - x11).
        (
            "c0.weight",
            Arr::I(&[2, 2, 1, 2], vec![1, 1, 1, 0, 1, 0, 1, -1]),
        ),
        ("c0.bias", Arr::I(&[2], vec![0, 3])),
        ("c0.scale", Arr::I(&[], vec![1])),
        ("c0.shift", Arr::I(&[], vec![1])),
        // fc.weight [in=8, out=2]: unit 0 = +sum of channel 0 values, unit 1 = -sum of channel 1.
        (
            "fc.weight",
            Arr::I(
                &[8, 2],
                vec![1, 0, 0, -1, 1, 0, 0, -1, 1, 0, 0, -1, 1, 0, 0, -1],
            ),
        ),
    ]
}

fn eval_json(model: &Path, data: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args(["eval"])
        .arg(model)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(model.with_file_name("preds.npy"))
        .output()
        .unwrap()
}

#[test]
fn user_weights_give_hand_computed_outputs() {
    let d = dir("good");
    std::fs::write(d.join("m.yaml"), MODEL).unwrap();
    write_npz(&d.join("w.npz"), &good(&d));
    // x = [[1,2,3],[4,5,6],[7,8,9]], label 0.
    write_npz(
        &d.join("data.npz"),
        &[
            ("x", Arr::U8(&[1, 3, 3, 1], vec![1, 2, 3, 4, 5, 6, 7, 8, 9])),
            ("y", Arr::I(&[1], vec![0])),
        ],
    );
    let o = eval_json(&d.join("m.yaml"), &d.join("data.npz"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("top-1 accuracy: 100.00 % (1/1)"));
    // c0 ch0 = (window sum + 1) >> 1: windows 12, 16, 24, 28 -> 6, 8, 12, 14.
    // c0 ch1 = (x00 - x11 + 3 + 1) >> 1 = (-4 + 4) >> 1 = 0 for every window.
    // fc unit 0 = 6 + 8 + 12 + 14 = 40; unit 1 = -(0) = 0.
    let (shape, preds) = half_gen::weights::read_npy_i64(&d.join("preds.npy")).unwrap();
    assert_eq!(shape, vec![1, 2]);
    assert_eq!(preds, vec![40, 0]);
}

fn expect_error(tag: &str, arrays: Vec<(&str, Arr)>, model: &str, needles: &[&str]) {
    let d = dir(tag);
    std::fs::write(d.join("m.yaml"), model).unwrap();
    write_npz(&d.join("w.npz"), &arrays);
    let o = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args(["eval"])
        .arg(d.join("m.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{tag}: {err}");
    assert_eq!(err.lines().count(), 1, "{tag}: one message: {err}");
    for n in needles {
        assert!(err.contains(n), "{tag}: `{n}` missing from: {err}");
    }
}

fn replace(
    mut a: Vec<(&'static str, Arr<'static>)>,
    name: &str,
    new: Option<Arr<'static>>,
) -> Vec<(&'static str, Arr<'static>)> {
    let i = a.iter().position(|(n, _)| *n == name).unwrap();
    match new {
        Some(v) => a[i].1 = v,
        None => {
            a.remove(i);
        }
    }
    a
}

#[test]
fn bad_weight_arrays_are_named() {
    let d = dir("bad");
    let g = || good(&d);
    expect_error(
        "shape",
        replace(g(), "c0.weight", Some(Arr::I(&[2, 2, 2], vec![0; 8]))),
        MODEL,
        &[
            "w.npz",
            "layer `c0`",
            "`c0.weight`",
            "shape [2, 2, 2], expected [2, 2, 1, 2]",
        ],
    );
    expect_error(
        "dtype",
        replace(g(), "fc.weight", Some(Arr::F(&[8, 2], vec![0.5; 16]))),
        MODEL,
        &["layer `fc`", "`fc.weight`", "not an integer type"],
    );
    expect_error(
        "range",
        replace(
            g(),
            "c0.weight",
            Some(Arr::I(&[2, 2, 1, 2], vec![1, 1, 1, 0, 1, 0, 1, -9])),
        ),
        MODEL,
        &["`c0.weight`", "element 7 is -9, outside [-8, 7]"],
    );
    expect_error(
        "missing",
        replace(g(), "fc.weight", None),
        MODEL,
        &["`fc.weight`", "missing"],
    );
    let mut extra = g();
    extra.push(("c1.weight", Arr::I(&[1], vec![0])));
    expect_error(
        "extra",
        extra,
        MODEL,
        &["`c1.weight`", "not a parameter of any layer"],
    );
    expect_error(
        "bias",
        replace(g(), "c0.bias", Some(Arr::I(&[2], vec![0, 1000]))),
        MODEL,
        &["`c0.bias`", "element 1 is 1000, outside [-480, 420]"],
    );
    expect_error(
        "shift",
        replace(g(), "c0.shift", None),
        MODEL,
        &["`c0.shift`", "come together"],
    );
    let mut twice = g();
    twice.push(("fc.scale", Arr::I(&[], vec![1])));
    twice.push(("fc.shift", Arr::I(&[], vec![0])));
    expect_error(
        "twice",
        twice,
        MODEL,
        &["layer `fc`", "already gives this layer a `requant`"],
    );
    let bip = MODEL.replace("weight_bits: 2", "weight_bits: 1");
    expect_error("bipolar", g(), &bip, &["`fc.weight`", "outside {-1, +1}"]);
}

#[test]
fn malformed_archives_and_arrays_are_refused() {
    let d = dir("archive");
    let g = || good(&d);
    // A per-channel requantisation given as a matrix.
    expect_error(
        "scale2d",
        replace(g(), "c0.scale", Some(Arr::I(&[2, 1], vec![1, 1]))),
        MODEL,
        &["`c0.scale`", "shape [2, 1]; expected a scalar or a list"],
    );
    expect_error(
        "scale4",
        replace(g(), "c0.scale", Some(Arr::I(&[2, 2], vec![1, 1, 1, 1]))),
        MODEL,
        &[
            "`c0.scale`",
            "shape [2, 2], 4 elements, more than the 2 expected",
        ],
    );
    // A member written twice: which copy counts would depend on the reader.
    let mut twice = g();
    twice.push(("c0.bias", Arr::I(&[2], vec![5, 5])));
    expect_error(
        "dup",
        twice,
        MODEL,
        &["w.npz", "holds `c0.bias.npy` more than once"],
    );
    // A weight array whose header declares far more elements than the layer has.
    expect_error(
        "huge",
        replace(g(), "c0.weight", Some(Arr::I(&[2, 2, 1, 20], vec![0; 80]))),
        MODEL,
        &[
            "`c0.weight`",
            "declares shape [2, 2, 1, 20], 80 elements, more than the 8",
        ],
    );
}

/// An .npz whose `x.npy` header declares `shape` int8 elements but holds only `bytes` of data.
fn lying_npz(path: &Path, shape: &str, bytes: usize) {
    use std::io::Write;
    let mut header = format!("{{'descr': '|i1', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    npy.extend(std::iter::repeat_n(1u8, bytes));
    let mut npz = npyz::npz::NpzWriter::create(path).unwrap();
    let zip = npz.zip_writer();
    zip.start_file("x.npy", Default::default()).unwrap();
    zip.write_all(&npy).unwrap();
}

#[test]
fn data_sets_are_checked_before_they_are_read() {
    let d = dir("data");
    std::fs::write(d.join("m.yaml"), MODEL).unwrap();
    write_npz(&d.join("w.npz"), &good(&d));
    let eval = |data: &str| {
        Command::new(env!("CARGO_BIN_EXE_half-gen"))
            .args(["eval", "m.yaml", "--data", data])
            .current_dir(&d)
            .output()
            .unwrap()
    };
    // 2,000,000,000 frames declared, 1.9 MB present: refused from the header.
    lying_npz(&d.join("lie.npz"), "(2000000000, 3, 3, 1)", 1_900_000);
    let o = eval("lie.npz");
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("18,000,000,000 elements, more than the 67,108,864"),
        "{e}"
    );
    // Labels outside the model's outputs (2 here) are an error, not a wrong accuracy.
    for (labels, bad) in [(vec![99], "label 0 is 99"), (vec![1, -1], "label 1 is -1")] {
        let n = labels.len() as u64;
        let (xs, ys) = ([n, 3, 3, 1], [n]);
        write_npz(
            &d.join("labels.npz"),
            &[
                ("x", Arr::U8(&xs, vec![1; 9 * n as usize])),
                ("y", Arr::I(&ys, labels)),
            ],
        );
        let o = eval("labels.npz");
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(
            e.contains(bad) && e.contains("the model has 2 outputs"),
            "{e}"
        );
    }
}

/// tiny's conv with thresholds instead of a scale and shift: 2-bit signed levels from
/// `-1` (`bias`) up, two thresholds per channel.
const THRESHOLD_MODEL: &str = "name: tiny\ninput: {shape: [3, 3, 1], bits: 4, signed: false}\nweights: w.npz\nlayers:\n  - {name: c0, op: conv, channels: 2, kernel: 2, weight_bits: 4, output: {bits: 2, signed: true}, requant: {thresholds: 2, bias: -1}}\n  - {name: fc, op: dense, units: 2, weight_bits: 2, bias: false, output: {bits: 16, signed: true}, requant: {scale: 1, shift: 0}}\n";

fn threshold_arrays(thresholds: Arr<'static>) -> Vec<(&'static str, Arr<'static>)> {
    let mut a = replace(good(Path::new(".")), "c0.scale", None);
    a = replace(a, "c0.shift", None);
    a.push(("c0.thresholds", thresholds));
    a
}

#[test]
fn thresholds_give_hand_computed_outputs() {
    let d = dir("thresholds");
    std::fs::write(d.join("m.yaml"), THRESHOLD_MODEL).unwrap();
    // Channel 0 (window sums 12, 16, 24, 28): thresholds 16 and 25 give levels -1, 0, 0, 1
    // (acc >= t counts: 12 reaches none, 16 reaches the first, 24 too, 28 both).
    // Channel 1 (x00 - x11 + 3 = -1 everywhere): thresholds -1 and -1 give -1 + 2 = 1.
    write_npz(
        &d.join("w.npz"),
        &threshold_arrays(Arr::I(&[2, 2], vec![16, 25, -1, -1])),
    );
    write_npz(
        &d.join("data.npz"),
        &[("x", Arr::U8(&[1, 3, 3, 1], vec![1, 2, 3, 4, 5, 6, 7, 8, 9]))],
    );
    let o = eval_json(&d.join("m.yaml"), &d.join("data.npz"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // fc unit 0 = the sum of channel 0's levels, -1 + 0 + 0 + 1 = 0; unit 1 = -(1 * 4) = -4.
    let (shape, preds) = half_gen::weights::read_npy_i64(&d.join("preds.npy")).unwrap();
    assert_eq!(shape, vec![1, 2]);
    assert_eq!(preds, vec![0, -4]);
    // One shared row: the same thresholds for both channels (channel 1: -1 reaches none).
    write_npz(
        &d.join("w.npz"),
        &threshold_arrays(Arr::I(&[1, 2], vec![16, 25])),
    );
    let o = eval_json(&d.join("m.yaml"), &d.join("data.npz"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_, preds) = half_gen::weights::read_npy_i64(&d.join("preds.npy")).unwrap();
    assert_eq!(preds, vec![0, 4]);
}

#[test]
fn bad_threshold_arrays_are_named() {
    let cases: [(&str, Arr<'static>, &str); 3] = [
        (
            "thr-shape",
            Arr::I(&[4], vec![0; 4]),
            "shape [4]; expected [1, 2] (shared) or [2, 2]",
        ),
        (
            "thr-order",
            Arr::I(&[2, 2], vec![1, 2, 5, 4]),
            "row 1 decreases at element 0: thresholds must be sorted",
        ),
        (
            "thr-float",
            Arr::F(&[2, 2], vec![0.5, 1.0, 2.0, 3.0]),
            "c0.thresholds",
        ),
    ];
    for (tag, arr, needle) in cases {
        expect_error(tag, threshold_arrays(arr), THRESHOLD_MODEL, &[needle, "c0"]);
    }
    // Thresholds for a layer that requantises by scale and shift.
    let mut a = good(Path::new("."));
    a.push(("c0.thresholds", Arr::I(&[1, 2], vec![0, 1])));
    expect_error(
        "thr-linear",
        a,
        MODEL,
        &["c0.thresholds", "no `requant: {thresholds: N}`"],
    );
}
