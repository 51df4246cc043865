//! `half-gen search` keeps its evaluators under control: their whole process tree (even a
//! `setsid` escapee) is killed when they end, time out or half-gen is interrupted; their output
//! is capped; a result file that is not a small regular file fails the candidate instead of
//! hanging the search; `{model}` and `{out}` are required and absolute; Ctrl-C saves the work
//! done and `--resume` continues it.

mod search_common;

use search_common::*;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Generous bound for runs that must not hang (debug builds on a loaded 2-core machine).
const HANG: Duration = Duration::from_secs(120);

/// A running half-gen whose output goes to files (a pipe nobody reads while the test polls
/// would fill and block it).
struct Spawned {
    child: Child,
    out: std::path::PathBuf,
    err: std::path::PathBuf,
}

fn spawn(args: &[&str], cwd: &Path) -> Spawned {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let (out, err) = (cwd.join(format!(".out-{n}")), cwd.join(format!(".err-{n}")));
    let child = Command::new(env!("CARGO_BIN_EXE_half-gen"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out).unwrap())
        .stderr(fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    Spawned { child, out, err }
}

/// Waits for `s` at most [`HANG`] (killing it and failing past that).
fn finish(mut s: Spawned) -> Run {
    let t = Instant::now();
    while s.child.try_wait().unwrap().is_none() {
        if t.elapsed() > HANG {
            let _ = s.child.kill();
            let _ = s.child.wait();
            panic!("half-gen still running after {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = s.child.wait().unwrap();
    let r = Run {
        code: status.code(),
        stdout: fs::read_to_string(&s.out).unwrap_or_default(),
        stderr: fs::read_to_string(&s.err).unwrap_or_default(),
    };
    assert!(!r.stderr.contains("panicked"), "panic:\n{}", r.stderr);
    r
}

fn bounded(args: &[&str], cwd: &Path) -> Run {
    finish(spawn(args, cwd))
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// The pids an evaluator wrote to `file`, one a line.
fn pids(file: &Path) -> Vec<i32> {
    fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Polls `cond` every 20 ms for at most [`HANG`].
fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let t = Instant::now();
    while !cond() {
        assert!(t.elapsed() < HANG, "waited {HANG:?} for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sigint(s: &Spawned) {
    // SAFETY: kill has no memory-safety preconditions; the pid is our live child.
    unsafe {
        libc::kill(s.child.id() as i32, libc::SIGINT);
    }
}

fn search_args<'a>(space: &'a str, ev: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["search", space, "--evaluator", ev];
    a.extend_from_slice(extra);
    a
}

#[test]
fn evaluator_trees_are_killed_when_they_end_and_at_the_timeout() {
    let d = tmp();
    let p = space(&d, SMALL);
    let sp = p.to_str().unwrap();
    let log = d.join("pids");
    // A background child holding the output pipe, and a setsid escapee: the search neither
    // waits for them nor leaves them running.
    let ev = format!(
        "sleep 30 & echo $! >> {l}; setsid sleep 30 & echo $! >> {l}; echo '{{\"accuracy\": 1}}' > {{out}}; : {{model}}",
        l = log.display()
    );
    let t = Instant::now();
    let r = bounded(
        &search_args(
            sp,
            &ev,
            &["--timeout", "2", "--evaluations", "2", "-o", "bg"],
        ),
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        t.elapsed() < Duration::from_secs(25),
        "the search waited for the background children: {:?}",
        t.elapsed()
    );
    let recs = records(&d.join("bg"));
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r["status"] == "ok"), "{recs:?}");
    let left = pids(&log);
    assert_eq!(left.len(), 4);
    for pid in left {
        assert!(!alive(pid), "evaluator process {pid} survived its run");
    }
    // At the timeout, the whole tree goes, the setsid child too.
    let log = d.join("pids2");
    let ev = format!(
        "setsid sleep 60 & echo $! >> {l}; sleep 60 & echo $! >> {l}; wait; : {{model}} {{out}}",
        l = log.display()
    );
    let r = bounded(
        &search_args(
            sp,
            &ev,
            &["--timeout", "1", "--evaluations", "2", "-o", "to"],
        ),
        &d,
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    for rec in records(&d.join("to")) {
        assert_eq!(rec["status"], "evaluator-timeout");
    }
    let left = pids(&log);
    assert_eq!(left.len(), 4);
    for pid in left {
        assert!(!alive(pid), "process {pid} survived the timeout");
    }
}

#[test]
fn a_result_file_that_is_not_a_small_regular_file_fails_the_candidate() {
    let d = tmp();
    let p = space(&d, SMALL);
    let sp = p.to_str().unwrap();
    // A FIFO would block a plain read forever.
    let r = bounded(
        &search_args(
            sp,
            "mkfifo {out}; : {model}",
            &["--evaluations", "2", "-o", "fifo"],
        ),
        &d,
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    for rec in records(&d.join("fifo")) {
        assert_eq!(rec["status"], "evaluator-failed");
        let why = rec["reason"].as_str().unwrap();
        assert!(
            why.contains("`{out}` is a FIFO, not a regular file"),
            "{why}"
        );
    }
    // Over 1 MiB: refused without being read whole.
    let r = bounded(
        &search_args(
            sp,
            "head -c 2000000 /dev/zero > {out}; : {model}",
            &["--evaluations", "1", "-o", "huge"],
        ),
        &d,
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let why = records(&d.join("huge"))[0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        why.contains("`{out}` holds 2000000 bytes; a result file may hold at most 1048576 bytes"),
        "{why}"
    );
}

/// Peak resident memory of a running process, kB (0 when it is gone).
fn peak_kb(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn evaluator_output_is_read_with_a_cap() {
    let d = tmp();
    let p = space(&d, SMALL);
    let sp = p.to_str().unwrap();
    // 200 MB on stdout and on stderr: kept to their last 64 KiB each.
    let ev = "head -c 200000000 /dev/zero; head -c 200000000 /dev/zero >&2; echo '{\"accuracy\": 0.5}' > {out}; : {model}";
    let mut child = spawn(
        &search_args(sp, ev, &["--evaluations", "1", "-o", "loud"]),
        &d,
    );
    let (pid, t, mut peak) = (child.child.id(), Instant::now(), 0);
    while child.child.try_wait().unwrap().is_none() && t.elapsed() < HANG {
        peak = peak.max(peak_kb(pid));
        std::thread::sleep(Duration::from_millis(10));
    }
    let r = finish(child);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let recs = records(&d.join("loud"));
    assert_eq!(recs[0]["accuracy"], 0.5);
    assert!(
        peak < 150_000,
        "half-gen's peak memory {peak} kB: the output was not capped"
    );
}

#[test]
fn evaluator_commands_need_model_and_out() {
    let d = tmp();
    let p = space(&d, SMALL);
    let sp = p.to_str().unwrap();
    for (ev, phrase) in [
        ("", "--evaluator: the command is empty"),
        ("   ", "--evaluator: the command is empty"),
        (
            "{modle} {out}",
            "--evaluator: the command has no `{model}` (the candidate's model file); `{modle}` is not a placeholder: did you mean `{model}`?",
        ),
        (
            "python train.py {model} {output}",
            "--evaluator: the command has no `{out}` (the JSON file it writes {\"accuracy\": x} to); `{output}` is not a placeholder: did you mean `{out}`?",
        ),
        ("python train.py {model}", "the command has no `{out}`"),
    ] {
        let r = bounded(&search_args(sp, ev, &["-o", "never"]), &d);
        assert_eq!(r.code, Some(2), "{ev:?}: {}", r.stderr);
        assert!(r.stderr.contains(phrase), "{ev:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(!d.join("never").exists());
    }
}

#[test]
fn relative_paths_work_from_any_directory() {
    let d = tmp();
    fs::create_dir_all(d.join("spaces")).unwrap();
    let p = space(&d, SMALL);
    fs::rename(&p, d.join("spaces/s.yaml")).unwrap();
    // The evaluator changes directory: {model} and {out} must still name the files.
    let ev = "cd / && grep -q '^layers:' {model} && echo '{\"accuracy\": 0.75}' > {out}";
    let r = bounded(
        &search_args(
            "spaces/s.yaml",
            ev,
            &["--evaluations", "3", "-o", "search/x"],
        ),
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let out = d.join("search/x");
    let recs = records(&out);
    assert_eq!(recs.len(), 3);
    for rec in &recs {
        assert_eq!(rec["status"], "ok", "{rec}");
        let h = rec["hash"].as_str().unwrap();
        assert!(out.join("evals").join(h).join("result.json").is_file());
    }
    assert!(out.join("pareto.json").is_file());
    // A relative --resume from the same directory finds every record.
    let r = bounded(
        &search_args(
            "spaces/s.yaml",
            ev,
            &["--evaluations", "3", "-o", "search/x", "--resume"],
        ),
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("(0 evaluated now, 3 from earlier runs)"),
        "{}",
        r.stdout
    );
}

#[test]
fn reasons_are_in_history_and_in_the_summaries() {
    let d = tmp();
    let p = space(&d, SMALL);
    let sp = p.to_str().unwrap();
    let mixed = "n=$(wc -c < {model}); [ $((n % 2)) -eq 0 ] || { echo odd >&2; exit 4; }; echo '{\"accuracy\": 1}' > {out}";
    let r = bounded(
        &search_args(sp, mixed, &["--evaluations", "12", "-o", "mixed", "--json"]),
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let f = &v["failures"];
    let failed = records(&d.join("mixed"))
        .iter()
        .filter(|r| r["status"] == "evaluator-failed")
        .count();
    assert!(failed > 0 && failed < 12, "{failed}");
    assert_eq!(f["evaluator_runs"], 12);
    assert_eq!(f["evaluator_failures"], failed);
    assert_eq!(f["statuses"][0]["status"], "evaluator-failed");
    assert_eq!(f["statuses"][0]["count"], failed);
    assert_eq!(
        f["reasons"][0]["reason"],
        "the evaluator exited with code 4; output: odd"
    );
    let history = fs::read_to_string(d.join("mixed/history.jsonl")).unwrap();
    for line in history.lines() {
        let h: serde_json::Value = serde_json::from_str(line).unwrap();
        match h["status"].as_str().unwrap() {
            "ok" => assert!(h.get("reason").is_none(), "{line}"),
            _ => assert_eq!(h["reason"], "the evaluator exited with code 4; output: odd"),
        }
    }
    // The text summary lists them too.
    let r = bounded(
        &search_args(sp, mixed, &["--evaluations", "12", "-o", "text"]),
        &d,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "not feasible: {failed} evaluator-failed (1 distinct reason); most frequent:\n  {failed} x evaluator-failed: the evaluator exited with code 4; output: odd\n"
        )),
        "{}",
        r.stdout
    );
}

/// 6 x 2 x 7 x 7 x 6 x 2 x 7 x 7 = 345,744 architectures, quick to fold: a proxy search of
/// all of them runs for minutes.
const LARGE: &str = "  - {name: c0, op: conv, channels: {choice: [2, 4, 6, 8, 10, 12]}, kernel: {choice: [1, 3]}, padding: same, weight_bits: {choice: [2, 3, 4, 5, 6, 7, 8]}, activation: relu, output: {bits: {choice: [2, 3, 4, 5, 6, 7, 8]}}}
  - {name: c1, op: conv, channels: {choice: [2, 4, 6, 8, 10, 12]}, kernel: {choice: [1, 3]}, padding: same, weight_bits: {choice: [2, 3, 4, 5, 6, 7, 8]}, activation: relu, output: {bits: {choice: [2, 3, 4, 5, 6, 7, 8]}}}
  - {name: gap, op: avgpool, global: true, output: {bits: 8}}
  - {name: fc, op: dense, units: 4, weight_bits: 8, output: {bits: 16, signed: true}}
";

fn strs(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

fn lines(path: &Path) -> usize {
    fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[test]
fn ctrl_c_saves_a_proxy_search_and_resume_continues_it() {
    let d = tmp();
    let p = space(&d, LARGE);
    let sp = p.to_str().unwrap();
    let args = |e: usize, resume: bool| -> Vec<String> {
        let mut a: Vec<String> = ["search", sp, "-o", "big", "--seed", "3", "--evaluations"]
            .map(String::from)
            .to_vec();
        a.push(e.to_string());
        if resume {
            a.push("--resume".into());
        }
        a
    };
    let child = spawn(&strs(&args(1_000_000, false)), &d);
    // The logs are first saved 2 s in; interrupt once they exist.
    wait_for("results.jsonl", || lines(&d.join("big/results.jsonl")) > 0);
    sigint(&child);
    let r = finish(child);
    assert_eq!(r.code, Some(130), "{}", r.stderr);
    assert!(
        r.stderr.contains("error: interrupted: stopped after")
            && r.stderr
                .contains("run the same command with --resume to continue"),
        "{}",
        r.stderr
    );
    let out = d.join("big");
    let n = records(&out).len();
    assert!(n > 0);
    assert_eq!(
        lines(&out.join("history.jsonl")),
        n,
        "history of every record"
    );
    let pj: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("pareto.json")).unwrap()).unwrap();
    assert_eq!(
        pj["evaluated"], n,
        "the front's files cover what was evaluated"
    );
    assert!(!pj["front"].as_array().unwrap().is_empty());
    // The resumed search replays every saved record for free and evaluates the rest.
    let r = bounded(&strs(&args(n + 50, true)), &d);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout
            .contains(&format!("(50 evaluated now, {n} from earlier runs)")),
        "{}",
        r.stdout
    );
    let hashes = history_hashes(&out);
    assert_eq!(hashes.len(), n + 50);
    let mut uniq = hashes.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), n + 50, "nothing evaluated twice");
}

#[test]
fn ctrl_c_kills_the_evaluators_and_keeps_what_they_finished() {
    let d = tmp();
    let p = space(&d, SMALL);
    let sp = p.to_str().unwrap();
    let (count, log, fast) = (d.join("count"), d.join("pids"), d.join("fast"));
    // Three quick evaluations, then slow ones (until `fast` exists) that leave a background
    // child and a setsid escapee.
    let ev = format!(
        "c=$(cat {c} 2>/dev/null || echo 0); echo $((c + 1)) > {c}; \
         if [ $c -ge 3 ] && [ ! -e {f} ]; then \
           echo $$ >> {l}; sleep 60 & echo $! >> {l}; setsid sleep 60 & echo $! >> {l}; wait; fi; \
         echo '{{\"accuracy\": 0.5}}' > {{out}}; : {{model}}",
        c = count.display(),
        f = fast.display(),
        l = log.display()
    );
    let args = |e: &'static str| -> Vec<&str> {
        vec![
            "search",
            sp,
            "--evaluator",
            &ev,
            "--jobs",
            "1",
            "--evaluations",
            e,
            "-o",
            "ev",
        ]
    };
    let child = spawn(&args("8"), &d);
    wait_for("the slow evaluator", || pids(&log).len() == 3);
    sigint(&child);
    let r = finish(child);
    assert_eq!(r.code, Some(130), "{}", r.stderr);
    assert!(r.stderr.contains("--resume"), "{}", r.stderr);
    for pid in pids(&log) {
        assert!(!alive(pid), "evaluator process {pid} survived Ctrl-C");
    }
    // The three finished evaluations are saved; the killed one is not recorded at all.
    let recs = records(&d.join("ev"));
    assert_eq!(recs.len(), 3, "{recs:?}");
    assert!(recs.iter().all(|r| r["status"] == "ok"));
    assert_eq!(lines(&d.join("ev/history.jsonl")), 3);
    assert!(d.join("ev/pareto.json").is_file());
    // Resumed, the interrupted candidate is evaluated again and the others are not.
    fs::write(&fast, "").unwrap();
    let mut a = args("8");
    a.push("--resume");
    let r = bounded(&a, &d);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("(5 evaluated now, 3 from earlier runs)"),
        "{}",
        r.stdout
    );
    assert_eq!(fs::read_to_string(&count).unwrap().trim(), "9");
}
