//! `half-gen build`: the Vitis Tcl script (run by tclsh with stub commands), determinism,
//! output rules (only its own files replaced, the Vitis project and the user's files kept, one
//! writer at a time, no temporary files left), and weights-file errors.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_half-gen"))
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("half-gen-build-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn build(model: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    bin()
        .arg("build")
        .arg(model)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// Every file under `dir`, relative path and bytes, sorted.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn tcl_script_runs_under_stub_vitis_commands() {
    let dir = temp("tcl");
    let out = dir.join("b");
    let o = build(
        Path::new("models/resnet8.yaml"),
        &out,
        &["--board", "zcu104", "--clock-mhz", "250"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stub = r#"
set calls {}
foreach p {open_project set_top add_files open_solution set_part create_clock config_dataflow
           csim_design csynth_design cosim_design export_design} {
  proc $p args "lappend ::calls \[list $p {*}\$args\]"
}
proc exit args {}
source run_hls.tcl
foreach c $::calls { puts $c }
"#;
    let run = Command::new("tclsh")
        .current_dir(out.join("hls"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(stub.as_bytes())?;
            c.wait_with_output()
        })
        .expect("tclsh runs (scripts/install-tools.sh installs it)");
    assert!(run.status.success());
    let text = String::from_utf8(run.stdout).unwrap();
    let calls: Vec<&str> = text.lines().collect();
    let find = |cmd: &str| {
        calls
            .iter()
            .filter(|l| l.starts_with(cmd))
            .copied()
            .collect::<Vec<_>>()
    };
    assert_eq!(find("set_top"), vec!["set_top resnet8"]);
    assert_eq!(find("set_part"), vec!["set_part xczu7ev-ffvc1156-2-e"]);
    assert_eq!(
        find("create_clock"),
        vec!["create_clock -period 4.000 -name default"]
    );
    assert!(find("open_solution")[0].contains("-flow_target vivado"));
    for c in [
        "csim_design",
        "csynth_design",
        "export_design -format ip_catalog",
    ] {
        assert_eq!(find(c).len(), 1, "{c} in {calls:?}");
    }
    assert!(
        find("cosim_design").is_empty(),
        "cosim only with HALF_COSIM"
    );
    let adds = find("add_files");
    assert!(adds.len() >= 4);
    for a in adds {
        let words: Vec<&str> = a.split_whitespace().collect();
        let file = words
            .iter()
            .rev()
            .find(|w| w.contains('.') && !w.starts_with('-'))
            .unwrap();
        assert!(
            out.join("hls").join(file).is_file(),
            "{file} added but missing"
        );
        if file.ends_with(".cpp") {
            assert!(a.contains("-std=c++14"), "{a}");
        }
    }
}

#[test]
fn two_builds_are_byte_identical() {
    let dir = temp("det");
    for m in ["resnet8", "ds_cnn"] {
        let (a, b) = (dir.join(format!("{m}a")), dir.join(format!("{m}b")));
        assert!(
            build(Path::new(&format!("models/{m}.yaml")), &a, &[])
                .status
                .success()
        );
        assert!(
            build(Path::new(&format!("models/{m}.yaml")), &b, &[])
                .status
                .success()
        );
        let (ta, tb) = (tree(&a), tree(&b));
        assert!(ta.len() > 20);
        assert_eq!(ta, tb, "{m}: builds differ");
    }
}

#[test]
fn never_clobbers_a_foreign_directory() {
    let dir = temp("clobber");
    let out = dir.join("mine");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("precious.txt"), "user data").unwrap();
    let o = build(Path::new("models/tfc_w1a1.yaml"), &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("was not written by half-gen"));
    assert_eq!(
        std::fs::read_to_string(out.join("precious.txt")).unwrap(),
        "user data"
    );
    // A directory half-gen wrote is replaced without --force.
    let ours = dir.join("ours");
    assert!(
        build(Path::new("models/tfc_w1a1.yaml"), &ours, &[])
            .status
            .success()
    );
    assert!(
        build(
            Path::new("models/tfc_w1a1.yaml"),
            &ours,
            &["--board", "zcu104"]
        )
        .status
        .success()
    );
    // --force adds half-gen's files to the foreign one and keeps the user's.
    assert!(
        build(Path::new("models/tfc_w1a1.yaml"), &out, &["--force"])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read_to_string(out.join("precious.txt")).unwrap(),
        "user data"
    );
    assert!(out.join("hls/run_hls.tcl").is_file());
    // A plain file in the way is refused too, with or without --force, and never deleted.
    let f = dir.join("file");
    std::fs::write(&f, "x").unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let o = build(Path::new("models/tfc_w1a1.yaml"), &f, extra);
        assert_eq!(o.status.code(), Some(2));
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            e.contains("is a file, not a directory") && !e.contains("--force"),
            "{e}"
        );
    }
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "x");
}

/// Names of the entries of `dir` that look like half-gen's temporary files.
fn leftovers(dir: &Path) -> Vec<String> {
    tree(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.contains(".half-gen-") || p.contains(".tmp-") || p.contains(".old-"))
        .collect()
}

#[test]
fn a_rebuild_keeps_the_vitis_project_and_the_users_files() {
    let dir = temp("keep");
    let out = dir.join("b1");
    let m = Path::new("models/tfc_w1a1.yaml");
    assert!(build(m, &out, &[]).status.success());
    // What run_hls.tcl creates (open_project -reset tfc_w1a1_prj), and a note of the user's.
    let prj = out.join("hls/tfc_w1a1_prj/solution1");
    std::fs::create_dir_all(&prj).unwrap();
    std::fs::write(prj.join("csynth.rpt"), "report").unwrap();
    std::fs::write(out.join("hls/notes.md"), "mine").unwrap();
    let o = build(m, &out, &["--board", "zcu104"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(prj.join("csynth.rpt")).unwrap(),
        "report"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("hls/notes.md")).unwrap(),
        "mine"
    );
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    // A file of half-gen's that the user changed stops the build (nothing changes); --force
    // replaces it.
    std::fs::write(out.join("hls/run_hls.tcl"), "my own script").unwrap();
    let before = tree(&out);
    let o = build(m, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("was changed since half-gen wrote it"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(tree(&out), before);
    assert!(build(m, &out, &["--force"]).status.success());
    assert_ne!(
        std::fs::read_to_string(out.join("hls/run_hls.tcl")).unwrap(),
        "my own script"
    );
    assert_eq!(
        std::fs::read_to_string(prj.join("csynth.rpt")).unwrap(),
        "report"
    );
}

#[test]
fn building_into_the_models_own_directory_keeps_the_model() {
    let dir = temp("proj");
    let proj = dir.join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let model = proj.join("m.yaml");
    std::fs::copy("models/tfc_w1a1.yaml", &model).unwrap();
    for _ in 0..2 {
        let o = build(&model, &proj, &["--force"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            std::fs::read(&model).unwrap(),
            std::fs::read("models/tfc_w1a1.yaml").unwrap()
        );
    }
    // `-o .` from inside the project, as a user types it.
    let o = bin()
        .current_dir(&proj)
        .args(["build", "m.yaml", "-o", ".", "--force"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(model.is_file() && proj.join("hls/run_hls.tcl").is_file());
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[test]
fn a_second_writer_fails_instead_of_overwriting() {
    // While one half-gen holds the output directory, another build into it fails (exit 2)
    // and leaves it as it was; once the first is done, the build goes through.
    let dir = temp("lock");
    let out = dir.join("b");
    std::fs::create_dir_all(&out).unwrap();
    let f = std::fs::File::open(&out).unwrap();
    // SAFETY: flock on a descriptor we own; it touches no memory.
    assert_eq!(
        unsafe {
            libc::flock(
                std::os::fd::AsRawFd::as_raw_fd(&f),
                libc::LOCK_EX | libc::LOCK_NB,
            )
        },
        0
    );
    let o = build(Path::new("models/tfc_w1a1.yaml"), &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("being written by another half-gen"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(tree(&out).is_empty());
    drop(f);
    assert!(
        build(Path::new("models/tfc_w1a1.yaml"), &out, &[])
            .status
            .success()
    );
    // Two builds started at once into one new directory: each either wrote it whole or
    // failed with that message; never two exits 0 with one result lost.
    for round in 0..3 {
        let out = dir.join(format!("race{round}"));
        let kids: Vec<_> = ["pynq-z2", "zcu104"]
            .iter()
            .map(|b| {
                bin()
                    .args(["build", "models/resnet8.yaml", "--board", b, "-o"])
                    .arg(&out)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<_> = kids
            .into_iter()
            .map(|k| k.wait_with_output().unwrap())
            .collect();
        for o in &outs {
            let e = String::from_utf8_lossy(&o.stderr);
            assert!(o.status.success() || e.contains("another half-gen"), "{e}");
        }
        let est = std::fs::read_to_string(out.join("report/estimate.json")).unwrap();
        let done: Vec<&str> = outs
            .iter()
            .zip(["pynq-z2", "zcu104"])
            .filter(|(o, _)| o.status.success())
            .map(|(_, b)| b)
            .collect();
        assert!(
            done.iter()
                .any(|b| est.contains(&format!("\"board\": \"{b}\""))),
            "the directory holds the result of a build that succeeded: {done:?}"
        );
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    }
}

#[test]
fn csim_reports_a_mismatch_and_exits_1() {
    let dir = temp("mismatch");
    let out = dir.join("b");
    assert!(
        build(Path::new("models/tfc_w1a1.yaml"), &out, &["--frames", "3"])
            .status
            .success()
    );
    // Corrupt one expected value of frame 1: element 4 of the 10 outputs.
    let exp = out.join("hls/tb/expected.txt");
    let text = std::fs::read_to_string(&exp).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut vals: Vec<i64> = lines[1].split(' ').map(|v| v.parse().unwrap()).collect();
    let was = vals[4];
    vals[4] += 1;
    lines[1] = vals
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    std::fs::write(&exp, lines.join("\n") + "\n").unwrap();
    let o = bin().arg("csim").arg(&out).output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("csim FAILED: 3 frames, 1 mismatches"),
        "{stdout}"
    );
    let first = format!(
        "first mismatch: frame 1, output index 4, expected {}, got {was}",
        was + 1
    );
    assert!(stdout.contains(&first), "{stdout}");
    // Relative to the caller's directory, as the README types it.
    let o = bin()
        .current_dir(&dir)
        .args(["csim", "b", "--frames", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Fewer frames than the build wrote is an error, never a pass on fewer frames.
    for (file, keep) in [("input.txt", 2), ("expected.txt", 1)] {
        let p = out.join("hls/tb").join(file);
        let all = std::fs::read_to_string(&p).unwrap();
        let cut: Vec<&str> = all.lines().take(keep).collect();
        std::fs::write(&p, cut.join("\n") + "\n").unwrap();
        let o = bin().arg("csim").arg(&out).output().unwrap();
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {e}");
        assert!(
            e.contains(&format!("hold {keep} complete frames; 3 expected")),
            "{e}"
        );
        std::fs::write(&p, all).unwrap();
    }
    let o = bin()
        .arg("csim")
        .arg(&out)
        .args(["--frames", "0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--frames must be in 1.."));
}

#[test]
fn custom_board_file_is_used() {
    let dir = temp("board");
    let b = dir.join("tiny.yaml");
    std::fs::write(
        &b,
        "name: tiny\npart: xc7z007sclg400-1\nfamily: xc7\nlut: 14400\nff: 28800\nbram18: 100\nuram: 0\ndsp: 66\ndsp_kind: DSP48E1\nclock_mhz: 125\n",
    )
    .unwrap();
    let o = bin()
        .args(["estimate", "models/tfc_w1a1.yaml", "--json", "--board"])
        .arg(&b)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["part"], "xc7z007sclg400-1");
    assert_eq!(v["clock_mhz"], 125.0);
    assert_eq!(v["available"]["lut"], 14400);
    assert!(v["total"]["lut"].as_u64().unwrap() <= v["budget"]["lut"].as_u64().unwrap());
}
