//! The `estimate --json` output for ResNet-8 on PYNQ-Z2 is pinned byte for byte; a deliberate
//! model change regenerates it with `UPDATE_SNAPSHOTS=1 cargo test --test estimate_snapshot`.

use std::process::Command;

#[test]
fn resnet8_pynq_z2_json_snapshot() {
    let out = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args([
            "estimate",
            "models/resnet8.yaml",
            "--board",
            "pynq-z2",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&got).expect("exactly one JSON object");
    for key in [
        "model",
        "board",
        "part",
        "clock_mhz",
        "layers",
        "total",
        "budget",
        "available",
        "cycles_per_frame",
        "bottleneck",
        "fps",
        "latency_cycles",
        "latency_us",
        "bound_cycles_per_frame",
        "efficiency",
    ] {
        assert!(v.get(key).is_some(), "missing key {key}");
    }
    for key in [
        "name",
        "op",
        "out_shape",
        "macs",
        "pe",
        "simd",
        "mult",
        "mem",
        "cycles",
        "latency_cycles",
        "lut",
        "ff",
        "bram18",
        "uram",
        "dsp",
    ] {
        assert!(v["layers"][0].get(key).is_some(), "missing layer key {key}");
    }
    let path = "tests/snapshots/resnet8_pynq-z2.json";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    let want = std::fs::read_to_string(path).expect("snapshot exists");
    assert_eq!(
        got, want,
        "estimate JSON changed; rerun with UPDATE_SNAPSHOTS=1 if intended"
    );
}
