//! The host stand-ins for the Vitis headers (hls/include/host) through their self-checking
//! test, hls/tests/host_shim_test.cpp, built with g++ as `half-gen csim` builds a testbench:
//! the arithmetic checks pass, reading an empty stream stops the program naming the stream,
//! and so does a process polling a stream no process fills (C simulation runs the processes
//! one after another, so such a process would otherwise spin for ever).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the test binary with `args`, failing the test (not hanging it) when it runs past a
/// minute: a broken guard would leave `--poll-empty` spinning.
fn run(exe: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the test binary starts");
    let start = Instant::now();
    while child.try_wait().expect("waits").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("host_shim_test {args:?} still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("its output")
}

fn shim_binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join("host_shim_test");
    let out = Command::new("g++")
        .current_dir(root)
        .args(["-std=c++14", "-O2", "-Wall", "-Wextra", "-Werror"])
        .args([
            "-I",
            "hls/include/host",
            "hls/tests/host_shim_test.cpp",
            "-o",
        ])
        .arg(&exe)
        .output()
        .expect("g++ runs (scripts/install-tools.sh installs it)");
    assert!(
        out.status.success(),
        "g++ failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

#[test]
fn the_shim_checks_pass_and_a_stuck_stream_stops_the_program() {
    let exe = shim_binary();
    let all = run(&exe, &[]);
    let stdout = String::from_utf8_lossy(&all.stdout);
    assert!(all.status.success(), "{stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");

    // Each stuck mode stops the program with its message, before it could print a value.
    for (mode, message) in [
        ("--read-empty", "hls::stream 'probe' read while empty"),
        (
            "--poll-empty",
            "hls::stream 'probe' polled while empty 100000000 times with no word moved",
        ),
    ] {
        let stuck = run(&exe, &[mode]);
        assert!(!stuck.status.success(), "{mode}");
        let err = String::from_utf8_lossy(&stuck.stderr);
        assert!(err.contains(message), "{mode}: {err}");
        assert!(
            !String::from_utf8_lossy(&stuck.stdout).contains("returned"),
            "{mode}"
        );
    }
}
