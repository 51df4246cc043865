//! The fabric multiplier of the Verilog library (hls/rtl/half_mul.v, partial products added by
//! half_shift_sum.v) against the integer product, exhaustively: every weight and activation of
//! four shapes (8 x 8 bits with unsigned and signed activations, 5 x 3 signed, 9 x 4) through
//! Verilator (hls/rtl/tests/arith/). The matrix units that use it are checked in context by the
//! cosim tests; this covers the range ends (-128 x -128, -256 x 15) random data may miss.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn half_mul_is_exact_for_every_operand_pair() {
    let rtl = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("hls/rtl");
    let dir = std::env::temp_dir().join(format!("half-gen-rtl-arith-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let build = Command::new("verilator")
        .args([
            "--cc",
            "--exe",
            "--build",
            "-Wall",
            "--top-module",
            "mul_top",
            "-Mdir",
        ])
        .arg(&dir)
        .arg(rtl.join("tests/arith/mul_top.v"))
        .arg(rtl.join("half_mul.v"))
        .arg(rtl.join("half_shift_sum.v"))
        .arg(rtl.join("tests/arith/tb_mul.cpp"))
        .output()
        .expect("verilator (Debian package verilator; scripts/install-tools.sh installs it)");
    assert!(
        build.status.success(),
        "verilator: {}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new(dir.join("Vmul_top")).output().unwrap();
    let report = String::from_utf8_lossy(&run.stdout).to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(run.status.success(), "half_mul mismatches:\n{report}");
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
