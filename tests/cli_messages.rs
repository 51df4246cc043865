//! Messages for input a newcomer gets wrong (issue 12, item 8), names that reach generated
//! Tcl, C++ and Verilog (item 6), and what Ctrl-C leaves behind: one clear line, exit code 2,
//! never the internals of a library, never a temporary file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("half-gen-msg-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs half-gen in `cwd`.
fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

/// Exit code 2 and one line `error: ...` holding every phrase of `has` and none of `lacks`.
fn fails(o: &Output, has: &[&str], lacks: &[&str]) {
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    for p in has {
        assert!(e.contains(p), "`{p}` missing from: {e}");
    }
    for p in lacks {
        assert!(!e.contains(p), "`{p}` in: {e}");
    }
}

const LAYER: &str = "  - {name: a, op: conv, channels: 2, kernel: 2}\n";

#[test]
fn yaml_mistakes_are_named_in_the_users_terms() {
    let d = dir("yaml");
    let input = "input: {shape: [4, 4, 2], bits: 8}\n";
    let cases: [(&str, String, &[&str], &[&str]); 5] = [
        (
            "top.yaml",
            format!("{input}layers:\n{LAYER}bogus: 1\n"),
            &["top.yaml:4:1: unknown field `bogus`"],
            &["layer `a`"],
        ),
        (
            "after.yaml",
            format!("layers:\n{LAYER}input:\n  shape: [4, 4, 2]\n  bits: 8\n  bogus: 1\n"),
            &["after.yaml:6:3: unknown field `bogus`"],
            &["layer `a`"],
        ),
        (
            "multi.yaml",
            format!("{input}layers:\n{LAYER}---\nname: other\n"),
            &["more than one YAML document"],
            &["from_str", "layer `a`"],
        ),
        (
            "dup.yaml",
            format!("{input}{input}layers:\n{LAYER}"),
            &["dup.yaml:2:1: duplicate key `input`"],
            &["DuplicateKeyPolicy", "Options"],
        ),
        (
            "empty_weights.yaml",
            format!("{input}weights: ''\nlayers:\n{LAYER}"),
            &["empty_weights.yaml:2:10: `weights` is empty"],
            &["Invalid argument"],
        ),
    ];
    for (file, text, has, lacks) in cases {
        std::fs::write(d.join(file), text).unwrap();
        fails(&run(&d, &["estimate", file]), has, lacks);
    }
    std::fs::create_dir_all(d.join("wdir")).unwrap();
    std::fs::write(
        d.join("wd.yaml"),
        format!("{input}weights: wdir\nlayers:\n{LAYER}"),
    )
    .unwrap();
    fails(
        &run(&d, &["estimate", "wd.yaml"]),
        &["wd.yaml:2:10: ", "is a directory, not a .npz file"],
        &[],
    );
}

#[test]
fn near_misses_get_a_suggestion_and_pins_name_the_broken_field() {
    let d = dir("near");
    for b in ["PYNQ-Z2", "pynqz2", "Pynq_Z2"] {
        fails(
            &run(&d, &["estimate", "x.yaml", "--board", b]),
            &["unknown board", "(did you mean `pynq-z2`?)"],
            &[],
        );
    }
    std::fs::write(
        d.join("m.yaml"),
        "input: {shape: [8, 8, 3], bits: 8}\nlayers:\n  - {name: c1, op: conv, channels: 16, kernel: 3}\n",
    )
    .unwrap();
    for (pin, has, lacks) in [
        (
            "c1: {pe: 5}",
            "pe 5 does not divide the 16 output channels, as the network's output layer needs",
            "simd",
        ),
        (
            "c1: {pe: 4, simd: 28}",
            "simd 28 is not between 1 and the fan-in 27",
            "pe 4",
        ),
        (
            "c1: {pe: 17}",
            "pe 17 is not between 1 and the 16 output channels",
            "simd",
        ),
        ("c1: {mem: uram}", "mem uram: UltraRAM cannot hold", "pe"),
    ] {
        std::fs::write(d.join("f.yaml"), pin).unwrap();
        fails(
            &run(&d, &["estimate", "m.yaml", "--folding", "f.yaml"]),
            &["f.yaml:1:5: layer `c1`: no legal fold matches the pin", has],
            &[lacks],
        );
    }
    // Padded lanes: PE 5 on 16 channels is legal but on the output layer; SIMD that does not
    // divide the fan-in is not with a bipolar operand.
    std::fs::write(
        d.join("m2.yaml"),
        "input: {shape: [8, 8, 3], bits: 1}\nlayers:\n  - {name: c1, op: conv, channels: 16, \
         kernel: 3, weight_bits: 1}\n  - {name: c2, op: conv, channels: 4, kernel: 1}\n",
    )
    .unwrap();
    std::fs::write(d.join("f.yaml"), "c1: {pe: 5}").unwrap();
    let r = run(&d, &["estimate", "m2.yaml", "--folding", "f.yaml"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    std::fs::write(d.join("f.yaml"), "c1: {simd: 5}").unwrap();
    fails(
        &run(&d, &["estimate", "m2.yaml", "--folding", "f.yaml"]),
        &[
            "f.yaml:1:5: layer `c1`: no legal fold matches the pin",
            "simd 5 does not divide the fan-in 27, as a bipolar operand needs",
        ],
        &["output channels"],
    );
}

#[test]
fn names_that_reach_generated_code_are_checked() {
    let d = dir("names");
    // A board whose part would run a command when run_hls.tcl is sourced.
    let board =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/boards/pynq-z2.yaml"))
            .unwrap()
            .replace("xc7z020clg400-1", "'xc7z020\"; exec touch pwned; #'");
    assert!(board.contains("exec touch"));
    std::fs::write(d.join("evil.yaml"), board).unwrap();
    std::fs::write(
        d.join("m.yaml"),
        "input: {shape: [8, 8, 3], bits: 8}\nlayers:\n  - {name: c1, op: conv, channels: 4, kernel: 3}\n",
    )
    .unwrap();
    fails(
        &run(&d, &["build", "m.yaml", "--board", "evil.yaml", "-o", "b"]),
        &["evil.yaml: board `part` must be 1 to 64 letters, digits"],
        &[],
    );
    assert!(!d.join("b").exists() && !d.join("pwned").exists());
    // A layer name too long for a file name: refused while reading the model; nothing left.
    let long = "l".repeat(300);
    std::fs::write(
        d.join("long.yaml"),
        format!("input: {{shape: [8, 8, 3], bits: 8}}\nlayers:\n  - {{name: {long}, op: conv, channels: 4, kernel: 3}}\n"),
    )
    .unwrap();
    fails(
        &run(&d, &["build", "long.yaml", "-o", "b"]),
        &["long.yaml:3:12: ", "at most 64 characters"],
        &[],
    );
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn ctrl_c_during_a_build_leaves_no_temporary_file() {
    // SIGINT at many points of a build (while folding, writing, committing): the output is
    // either untouched or complete, and nothing temporary survives.
    let d = dir("ctrlc");
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/cnv_w2a2.yaml");
    let mut interrupted = 0;
    for (i, delay_ms) in [50u64, 200, 400, 600, 800, 1000, 1200, 1400]
        .iter()
        .enumerate()
    {
        let out = format!("b{}", i % 2);
        let child = Command::new(env!("CARGO_BIN_EXE_half-gen"))
            .args(["build", model, "-o", &out])
            .current_dir(&d)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(*delay_ms));
        // SAFETY: kill has no memory-safety preconditions; the pid is our live child.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGINT);
        }
        let o = child.wait_with_output().unwrap();
        if o.status.code() == Some(130) {
            interrupted += 1;
        } else {
            assert_eq!(o.status.code(), Some(0));
        }
        let mut stack = vec![d.clone()];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                assert!(
                    !name.contains("staging") && !name.contains("-tmp-"),
                    "{} left after SIGINT at {delay_ms} ms",
                    e.path().display()
                );
                if e.path().is_dir() {
                    stack.push(e.path());
                }
            }
        }
        // Whatever is there is whole: every file the manifest lists exists.
        let manifest = d.join(&out).join(".half-gen");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                let rel = line.split_once(' ').unwrap().1;
                assert!(d.join(&out).join(rel).is_file(), "{rel} listed but missing");
            }
        }
    }
    assert!(interrupted >= 3, "only {interrupted} runs were interrupted");
}
