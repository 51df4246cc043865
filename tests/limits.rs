//! Inputs past half-gen's limits (docs/model-format.md, "Limits") and designs far too large
//! for the board: each is turned away with exit code 2 (1 when the design does not fit), one
//! message naming the limit and the value, and a peak memory (measured with `wait4`) far below
//! 1 GB; none is left to exhaust the machine.

use std::path::{Path, PathBuf};
use std::process::Command;

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("half-gen-limits-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// What one run of half-gen did.
struct Measured {
    code: Option<i32>,
    stderr: String,
    /// Peak resident memory, kB.
    max_rss_kb: i64,
}

/// Runs half-gen with `args` in `cwd` and measures its peak memory.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also reports its resource use"
)]
fn run(args: &[&str], cwd: &Path) -> Measured {
    let err = cwd.join(".stderr");
    let child = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child writes only to `status` and `usage`.
    let r = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(r, child.id() as i32);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Measured {
        code,
        stderr: std::fs::read_to_string(&err).unwrap(),
        max_rss_kb: usage.ru_maxrss,
    }
}

/// Exit `code`, one error line holding every phrase, and well under 1 GB.
fn turned_away(m: &Measured, code: i32, phrases: &[&str]) {
    assert_eq!(m.code, Some(code), "{}", m.stderr);
    assert!(m.stderr.starts_with("error: "), "{}", m.stderr);
    for p in phrases {
        assert!(m.stderr.contains(p), "`{p}` missing from: {}", m.stderr);
    }
    assert!(!m.stderr.contains("panicked"), "{}", m.stderr);
    assert!(
        m.max_rss_kb < 256 * 1024,
        "peak memory {} kB for a rejected input",
        m.max_rss_kb
    );
}

fn model(d: &Path, name: &str, text: &str) -> String {
    std::fs::write(d.join(name), text).unwrap();
    name.to_string()
}

#[test]
fn oversized_tensors_and_networks_are_turned_away_before_any_large_allocation() {
    let d = dir("tensors");
    let cases: [(&str, &str, &[&str]); 4] = [
        (
            "pad.yaml",
            "input: {shape: [1, 1, 1], bits: 8}\nlayers:\n  - {name: p, op: maxpool, kernel: 1, padding: 65535}\n",
            &[
                "pad.yaml:3:5: layer `p`",
                "17,179,607,041",
                "limit of 16,777,216",
            ],
        ),
        (
            "big_input.yaml",
            "input: {shape: [4096, 4096, 3], bits: 8}\nlayers:\n  - {name: c, op: conv, channels: 4, kernel: 3}\n",
            &["big_input.yaml:1:16", "50,331,648", "limit of 16,777,216"],
        ),
        (
            "wide.yaml",
            "input: {shape: [8, 8, 3], bits: 8}\nlayers:\n  - {name: c, op: conv, channels: 1048577, kernel: 3}\n",
            &["layer `c`", "37,748,772", "limit of 16,777,216"],
        ),
        (
            "kernel.yaml",
            "input: {shape: [8, 8, 3], bits: 8}\nlayers:\n  - {name: c, op: conv, channels: 4, kernel: 100000, padding: 65535}\n",
            &["`kernel` is 100,000", "limit of 4,096"],
        ),
    ];
    for (file, text, phrases) in cases {
        let f = model(&d, file, text);
        turned_away(&run(&["estimate", &f], &d), 2, phrases);
    }
}

/// A VGG-16 (13 convolutions, 3 dense layers) for `hw x hw` inputs.
fn vgg16(hw: u32, fc: u32, classes: u32) -> String {
    let mut y = format!("input: {{shape: [{hw}, {hw}, 3], bits: 8}}\nlayers:\n");
    let mut i = 0;
    for block in [
        &[64, 64][..],
        &[128, 128],
        &[256, 256, 256],
        &[512, 512, 512],
        &[512, 512, 512],
    ] {
        for c in block {
            y += &format!(
                "  - {{name: c{i}, op: conv, channels: {c}, kernel: 3, padding: same, activation: relu, output: {{bits: 8}}}}\n"
            );
            i += 1;
        }
        y += &format!("  - {{name: p{i}, op: maxpool, kernel: 2}}\n");
        i += 1;
    }
    y += &format!(
        "  - {{name: fc0, op: dense, units: {fc}, activation: relu, output: {{bits: 8}}}}\n"
    );
    y += &format!(
        "  - {{name: fc1, op: dense, units: {fc}, activation: relu, output: {{bits: 8}}}}\n"
    );
    y += &format!(
        "  - {{name: out, op: dense, units: {classes}, output: {{bits: 16, signed: true}}}}\n"
    );
    y
}

#[test]
fn networks_far_too_large_for_the_board_are_turned_away_before_their_weights() {
    let d = dir("vgg");
    // VGG-16 for CIFAR (15 M weights): does not fit pynq-z2 by far; the answer comes from
    // the fit check, before 15 M weights are generated and the network calibrated.
    let f = model(&d, "vgg16_cifar.yaml", &vgg16(32, 512, 10));
    for cmd in ["estimate", "build"] {
        let m = run(&[cmd, &f, "--board", "pynq-z2"], &d);
        turned_away(
            &m,
            1,
            &["does not fit", "lut + bram18: together the layers need"],
        );
    }
    // VGG-16 for ImageNet: past the limit on multiply-accumulates per frame.
    let f = model(&d, "vgg16.yaml", &vgg16(224, 4096, 1000));
    turned_away(
        &run(&["estimate", &f], &d),
        2,
        &["multiply-accumulates per frame", "limit of 8,589,934,592"],
    );
    // 10,000 layers: past the layer limit.
    let mut deep = String::from("input: {shape: [4, 4, 4], bits: 8}\nlayers:\n");
    for i in 0..10_000 {
        deep += &format!("  - {{name: l{i}, op: maxpool, kernel: 1}}\n");
    }
    let f = model(&d, "deep.yaml", &deep);
    turned_away(
        &run(&["estimate", &f], &d),
        2,
        &["the number of layers is 10,000", "limit of 4,096"],
    );
}

#[test]
fn frame_counts_are_bounded() {
    let d = dir("frames");
    let f = model(
        &d,
        "m.yaml",
        "input: {shape: [64, 64, 3], bits: 8}\nlayers:\n  - {name: c, op: conv, channels: 4, kernel: 3}\n",
    );
    turned_away(
        &run(&["eval", &f, "--frames", "100000000"], &d),
        2,
        &["--frames must be in 1..=1000000, got 100000000"],
    );
    turned_away(
        &run(&["eval", &f, "--frames", "0"], &d),
        2,
        &["--frames must be in 1..="],
    );
    turned_away(
        &run(&["build", &f, "--frames", "1000000000", "-o", "b"], &d),
        2,
        &["--frames must be in 1..=10000, got 1000000000"],
    );
    turned_away(
        &run(&["build", &f, "--frames", "10000", "-o", "b"], &d),
        2,
        &["test-vector values is 276,640,000", "limit of 16,777,216"],
    );
    assert!(!d.join("b").exists(), "a refused build writes nothing");
}

#[test]
fn unbounded_input_files_are_refused() {
    let d = dir("files");
    turned_away(
        &run(&["estimate", "/dev/zero"], &d),
        2,
        &["larger than half-gen's limit of 16,777,216 bytes"],
    );
    // Within the byte limit but past the YAML reader's: a plain message, not its internals.
    let big = format!(
        "input: {{shape: [4, 4, 2], bits: 8}}\nlayers:\n  - {{name: a, op: maxpool, kernel: [{}]}}\n",
        vec!["1"; 260_000].join(",")
    );
    let f = model(&d, "budget.yaml", &big);
    let m = run(&["estimate", &f], &d);
    turned_away(&m, 2, &["too large for half-gen's YAML reader", "250,000"]);
    assert!(!m.stderr.contains("Nodes {"), "{}", m.stderr);
}
