//! Packed DSP products (`mult: packed`: two 8-bit or three 4-bit products per DSP slice) and
//! SIMD spanning kernel positions (a regrouping converter after the window generator), pinned
//! on a small network whose weights sit at the extremes of their ranges (-128 and 127, -8 and
//! 7, mixed signs in neighbouring PEs, so every lane borrows from the one below it): the HLS
//! C++ (cycle simulation, every stream bounded; C simulation's loop counts) and the Verilog
//! (Verilator) are bit-exact against the reference and on the estimate's cycles and latency.

use npyz::WriterBuilder;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_half-gen"))
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("half-gen-packed-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Layers: c0 (8-bit weights on the 8-bit input, Cin 3: two lanes, PE 5 leaves a one-lane
/// slice; SIMD 9 regroups three-channel words), c1 (8-bit on 8-bit, SIMD 15 over Cin 5),
/// c2 (4-bit weights on c1's signed 8-bit output: 12-bit lanes, two a slice), fc (4-bit on
/// 4-bit: three 8-bit lanes, PE 7 leaves a one-lane slice).
const MODEL: &str = "name: packed
input: {shape: [6, 6, 3], bits: 8}
weights: packed.npz
output: fc
layers:
  - {name: c0, op: conv, channels: 5, kernel: 3, padding: same, weight_bits: 8, bias: false, activation: relu, output: {bits: 8}}
  - {name: c1, op: conv, channels: 6, kernel: 3, padding: same, weight_bits: 8, bias: false, output: {bits: 8, signed: true}}
  - {name: c2, op: conv, channels: 4, kernel: 1, weight_bits: 4, bias: false, activation: relu, output: {bits: 4}}
  - {name: fc, op: dense, units: 7, weight_bits: 4, bias: false, output: {bits: 16, signed: true}}
";

const FOLDING: &str = "c0: {pe: 5, simd: 9, mult: packed}
c1: {pe: 6, simd: 15, mult: packed}
c2: {pe: 4, simd: 3, mult: packed}
fc: {pe: 7, simd: 8, mult: packed}
";

/// Weights cycling through the extremes of a `bits`-bit signed range and small values, shifted
/// per output channel so neighbouring PEs (lanes of one slice) differ in sign.
fn extreme_weights(count: usize, channels: usize, bits: u32) -> Vec<i64> {
    let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
    let pattern = [lo, hi, -1, lo, 1, hi, 0, lo + 1];
    (0..count)
        .map(|i| pattern[(i / channels + 3 * (i % channels)) % pattern.len()])
        .collect()
}

fn write_weights(path: &Path) {
    let mut npz = npyz::npz::NpzWriter::create(path).unwrap();
    let arrays: [(&str, Vec<u64>, u32); 4] = [
        ("c0.weight", vec![3, 3, 3, 5], 8),
        ("c1.weight", vec![3, 3, 5, 6], 8),
        ("c2.weight", vec![1, 1, 6, 4], 4),
        ("fc.weight", vec![144, 7], 4),
    ];
    for (name, shape, bits) in arrays {
        let count: u64 = shape.iter().product();
        let channels = *shape.last().unwrap() as usize;
        let mut w = npz
            .array::<i64>(name, Default::default())
            .unwrap()
            .default_dtype()
            .shape(&shape)
            .begin_nd()
            .unwrap();
        w.extend(extreme_weights(count as usize, channels, bits))
            .unwrap();
        w.finish().unwrap();
    }
}

fn run(args: &[&str], dir: &Path) -> (Option<i32>, serde_json::Value) {
    let o = bin().args(args).arg(dir).arg("--json").output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let v = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{args:?}: {text}{}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), v)
}

#[test]
fn packed_products_and_regrouped_windows_are_exact_in_both_backends() {
    let dir = temp("net");
    std::fs::write(dir.join("packed.yaml"), MODEL).unwrap();
    std::fs::write(dir.join("folding.yaml"), FOLDING).unwrap();
    write_weights(&dir.join("packed.npz"));
    let out = dir.join("build");
    let o = bin()
        .arg("build")
        .arg(dir.join("packed.yaml"))
        .args(["--board", "pynq-z2", "--frames", "6", "--folding"])
        .arg(dir.join("folding.yaml"))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let top = std::fs::read_to_string(out.join("rtl/packed_top.v")).unwrap();
    assert_eq!(
        top.matches(".PACK(2)").count(),
        3,
        "c0, c1, c2 pack two lanes"
    );
    assert_eq!(top.matches(".PACK(3)").count(), 1, "fc packs three lanes");
    assert_eq!(top.matches(" dwc_regroup_").count(), 2, "c0 and c1 regroup");
    let hls = std::fs::read_to_string(out.join("hls/src/layers/fc.h")).unwrap();
    assert!(hls.contains("half::MulPacked<3, 8>"), "{hls}");

    let (code, r) = run(&["csim", "--cycles"], &out);
    assert_eq!(code, Some(0), "{r}");
    assert!(r["passed"] == true && r["mismatches"] == 0, "{r}");
    assert!(r["cycles_error_pct"].as_f64().unwrap().abs() <= 1.0, "{r}");
    assert!(r["latency_error_pct"].as_f64().unwrap().abs() <= 1.0, "{r}");

    // C simulation: every process's loop iterations are its estimated unit's cycles (the
    // regrouping converters included).
    let (code, r) = run(&["csim"], &out);
    assert_eq!(code, Some(0), "{r}");
    let counts = r["iterations"].as_array().unwrap();
    assert_eq!(counts.len(), 12, "{r}");
    assert!(counts.iter().all(|c| c["agrees"] == true), "{r}");

    let (code, r) = run(&["cosim"], &out);
    assert_eq!(code, Some(0), "{r}");
    assert!(r["passed"] == true && r["mismatches"] == 0, "{r}");
    assert!(r["cycles_error_pct"].as_f64().unwrap().abs() <= 1.0, "{r}");
    assert!(r["latency_error_pct"].as_f64().unwrap().abs() <= 1.0, "{r}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_packed_pin_on_a_depthwise_layer_is_refused() {
    let dir = temp("dw");
    let model = "name: dwp
input: {shape: [6, 6, 4], bits: 8}
layers:
  - {name: d, op: dwconv, kernel: 3, padding: same, weight_bits: 8, output: {bits: 8}}
";
    std::fs::write(dir.join("m.yaml"), model).unwrap();
    std::fs::write(dir.join("f.yaml"), "d: {mult: packed}\n").unwrap();
    let o = bin()
        .arg("estimate")
        .arg(dir.join("m.yaml"))
        .arg("--folding")
        .arg(dir.join("f.yaml"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("mult packed"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
