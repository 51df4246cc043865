//! The fabric multipliers of the Verilog library against the integer product, exhaustively,
//! through Verilator (hls/rtl/tests/arith/): half_mul.v (partial products added by
//! half_shift_sum.v), every weight and activation of four shapes (8 x 8 bits with unsigned and
//! signed activations, 5 x 3 signed, 9 x 4), and half_const_mul.v (constant scales as
//! shift-adds), every 12-bit input times twelve constants. The units that use them are checked
//! in context by the cosim tests; this covers the range ends (-128 x -128, -256 x 15, the
//! 32-bit constants) random data may miss.

use std::path::PathBuf;
use std::process::Command;

/// Builds `top` from `sources` (under hls/rtl/) and its C++ testbench with Verilator
/// (`-Wall`: lint-clean), runs it and returns its report; panics when the build or the run
/// fails.
fn verilate_and_run(top: &str, sources: &[&str], tb: &str) -> String {
    let rtl = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("hls/rtl");
    let dir = std::env::temp_dir().join(format!("half-gen-rtl-arith-{top}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let build = Command::new("verilator")
        .args([
            "--cc",
            "--exe",
            "--build",
            "-Wall",
            "--top-module",
            top,
            "-Mdir",
        ])
        .arg(&dir)
        .args(sources.iter().map(|s| rtl.join(s)))
        .arg(rtl.join(tb))
        .output()
        .expect("verilator (Debian package verilator; scripts/install-tools.sh installs it)");
    let log = String::from_utf8_lossy(&build.stderr).to_string();
    if !build.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        panic!("verilator: {log}");
    }
    let run = Command::new(dir.join(format!("V{top}"))).output().unwrap();
    let report = String::from_utf8_lossy(&run.stdout).to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(run.status.success(), "{top} mismatches:\n{report}");
    report
}

#[test]
fn half_mul_is_exact_for_every_operand_pair() {
    let report = verilate_and_run(
        "mul_top",
        &["tests/arith/mul_top.v", "half_mul.v", "half_shift_sum.v"],
        "tests/arith/tb_mul.cpp",
    );
    for (shape, count) in [
        ("8x8u", 65536),
        ("8x8s", 65536),
        ("5x3s", 256),
        ("9x4u", 8192),
    ] {
        assert!(
            report.contains(&format!("{shape}: {count} of {count} products exact")),
            "{report}"
        );
    }
}

/// `half_const_mul` (the requantisers' and adds' constant scales as shift-adds, scale style
/// `lut`) against the product wrapped to its width, for every 12-bit signed input and twelve
/// constants: typical scales (181, 237, 163, 255), a negative one, powers of two, 0, 1, the
/// 32-bit extremes and a long alternating pattern, full width and cut short.
#[test]
fn half_const_mul_is_exact_for_every_input() {
    let report = verilate_and_run(
        "const_top",
        &["tests/arith/const_top.v", "half_const_mul.v"],
        "tests/arith/tb_const.cpp",
    );
    for c in [
        "181",
        "181/14",
        "237",
        "163",
        "-77",
        "255",
        "1",
        "64",
        "0",
        "2^31-1",
        "-2^31",
        "0x55555555",
    ] {
        assert!(
            report.contains(&format!("x{c}: 4096 of 4096 products exact")),
            "{report}"
        );
    }
}
