//! Child processes that cannot escape: each runs in its own process group, its descendants are
//! tracked (half-gen is their subreaper, so an orphan comes back to it), and the whole tree is
//! killed when the child ends, times out, or half-gen is interrupted. Output is read with a
//! size cap: only the last bytes are kept, however much a child prints.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

/// The live child trees: each root's pid (it leads its own process group) and every
/// descendant seen so far, by registration.
struct Trees {
    next: u64,
    live: BTreeMap<u64, (i32, BTreeSet<i32>)>,
}

static TREES: Mutex<Trees> = Mutex::new(Trees {
    next: 0,
    live: BTreeMap::new(),
});

fn trees() -> MutexGuard<'static, Trees> {
    TREES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Kills every registered tree (the interruption handler calls this).
pub fn kill_registered() {
    for (root, known) in trees().live.values() {
        kill_tree(*root, known);
    }
}

/// A registered tree; deregistered when dropped.
struct Registered(u64);

impl Registered {
    /// Spawns `cmd` and registers it under one lock, so [`orphans`] never mistakes a child
    /// being spawned for a leftover.
    fn spawn(cmd: &mut Command) -> std::io::Result<(std::process::Child, Registered)> {
        let mut t = trees();
        let child = cmd.spawn()?;
        t.next += 1;
        let id = t.next;
        t.live.insert(id, (child.id() as i32, BTreeSet::new()));
        Ok((child, Registered(id)))
    }

    /// Records the tree's current descendants.
    fn sample(&self, root: i32) {
        let d = descendants(root);
        if let Some((_, known)) = trees().live.get_mut(&self.0) {
            known.extend(d);
        }
    }

    /// Every process of the tree seen so far or alive now, and this process's children that
    /// no other live tree accounts for: orphans whose parent exited, come back to half-gen
    /// as their subreaper.
    fn members(&self, root: i32) -> BTreeSet<i32> {
        let t = trees();
        let me = std::process::id() as i32;
        let parents = parents();
        let mut out = t.live.get(&self.0).map(|x| x.1.clone()).unwrap_or_default();
        out.extend(descendants_in(&parents, root));
        let others: BTreeSet<i32> = t
            .live
            .iter()
            .filter(|(id, _)| **id != self.0)
            .flat_map(|(_, (r, k))| std::iter::once(*r).chain(k.iter().copied()))
            .collect();
        out.extend(
            parents
                .iter()
                .filter(|&(&pid, &ppid)| ppid == me && pid != root && !others.contains(&pid))
                .map(|(&pid, _)| pid),
        );
        out
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        trees().live.remove(&self.0);
    }
}

/// Bytes of each output stream kept by [`run`] (the end of the stream).
pub const OUTPUT_CAP: usize = 64 * 1024;

/// How long [`run`] waits for the output pipes to close once the tree is dead.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// Makes this process the subreaper of its descendants (Linux; elsewhere nothing happens).
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer and touches no memory.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// Every process's parent, from `/proc/<pid>/stat` (empty where there is no `/proc`).
fn parents() -> BTreeMap<i32, i32> {
    let mut out = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so read after
        // the last `)`.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<i32>().ok());
        if let Some(ppid) = ppid {
            out.insert(pid, ppid);
        }
    }
    out
}

/// The descendants of `root` now alive (not `root` itself).
pub fn descendants(root: i32) -> BTreeSet<i32> {
    descendants_in(&parents(), root)
}

fn descendants_in(parents: &BTreeMap<i32, i32>, root: i32) -> BTreeSet<i32> {
    let mut out = BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (&pid, &ppid) in parents {
            if ppid == p && out.insert(pid) {
                frontier.push(pid);
            }
        }
    }
    out
}

fn signal(pid: i32, sig: i32) {
    if pid > 1 {
        // SAFETY: kill has no memory-safety preconditions; pid > 1 never names every process.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// Kills `root`'s process group, its live descendants and `known` (descendants seen before,
/// which may have left the group with `setsid`): every member is stopped first so none can
/// fork away while the tree is gathered, then killed.
pub fn kill_tree(root: i32, known: &BTreeSet<i32>) {
    let mut all: BTreeSet<i32> = known.clone();
    all.insert(root);
    for _ in 0..8 {
        signal(-root, libc::SIGSTOP);
        let mut grew = false;
        for p in all.clone() {
            for d in descendants(p) {
                grew |= all.insert(d);
            }
        }
        for &p in &all {
            signal(p, libc::SIGSTOP);
        }
        if !grew {
            break;
        }
    }
    signal(-root, libc::SIGKILL);
    for &p in &all {
        signal(p, libc::SIGKILL);
    }
}

/// Reaps the orphans in `pids` that are this process's children (killed leftovers), so no
/// zombie stays behind. Never waits for anything else.
fn reap(pids: &BTreeSet<i32>) {
    let me = std::process::id() as i32;
    let parents = parents();
    for &p in pids {
        if parents.get(&p) == Some(&me) {
            let mut status = 0;
            // SAFETY: waitpid on a pid that is our child writes only to `status`.
            unsafe {
                libc::waitpid(p, &mut status, 0);
            }
        }
    }
}

/// The end of an output stream and its full length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tail {
    /// The last [`OUTPUT_CAP`] bytes (all of them when fewer were written).
    pub bytes: Vec<u8>,
    /// Bytes written in all.
    pub total: u64,
}

fn read_capped(mut r: impl Read) -> Tail {
    let mut buf = vec![0u8; 16 * 1024];
    let mut keep: Vec<u8> = Vec::new();
    let mut total = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                total += n as u64;
                keep.extend_from_slice(&buf[..n]);
                if keep.len() > 2 * OUTPUT_CAP {
                    keep.drain(..keep.len() - OUTPUT_CAP);
                }
            }
        }
    }
    if keep.len() > OUTPUT_CAP {
        keep.drain(..keep.len() - OUTPUT_CAP);
    }
    Tail { bytes: keep, total }
}

/// How a child run ended.
#[derive(Debug)]
pub struct Finished {
    /// The exit status; None when the time limit ran out and the tree was killed.
    pub status: Option<ExitStatus>,
    /// Standard output.
    pub stdout: Tail,
    /// Standard error.
    pub stderr: Tail,
    /// Wall time.
    pub elapsed: Duration,
    /// Processes the child left running when it ended (killed).
    pub leftovers: usize,
}

/// Runs `cmd` in its own process group with standard input closed and both outputs captured
/// (capped), until it exits or `timeout` passes. Whatever it leaves running when it ends is
/// killed; on a timeout, the whole tree is. Registered for interruption while it runs.
pub fn run(cmd: &mut Command, timeout: Option<Duration>) -> std::io::Result<Finished> {
    let start = Instant::now();
    let (mut child, reg) = Registered::spawn(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0),
    )?;
    let root = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    for (k, pipe) in [
        (
            0,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            1,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ] {
        let tx = tx.clone();
        if let Some(p) = pipe {
            std::thread::spawn(move || {
                let _ = tx.send((k, read_capped(p)));
            });
        }
    }
    drop(tx);
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        reg.sample(root);
        if timeout.is_some_and(|t| start.elapsed() >= t) {
            break None;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    let known = reg.members(root);
    let leftovers = known.len();
    kill_tree(root, &known);
    let status = match status {
        Some(s) => Some(s),
        None => {
            child.wait()?;
            None
        }
    };
    reap(&known);
    drop(reg);
    let (mut stdout, mut stderr) = (Tail::default(), Tail::default());
    let deadline = Instant::now() + PIPE_GRACE;
    while let Ok((k, t)) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if k == 0 {
            stdout = t;
        } else {
            stderr = t;
        }
    }
    Ok(Finished {
        status,
        stdout,
        stderr,
        elapsed: start.elapsed(),
        leftovers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Option<f64>) -> Finished {
        become_subreaper();
        run(
            Command::new("sh").arg("-c").arg(script),
            timeout.map(Duration::from_secs_f64),
        )
        .unwrap()
    }

    #[test]
    fn output_is_capped_at_its_end() {
        let f = sh("head -c 1000000 /dev/zero | tr '\\0' a; echo END", None);
        assert!(f.status.unwrap().success());
        assert_eq!(f.stdout.total, 1_000_004);
        assert!(f.stdout.bytes.len() <= OUTPUT_CAP);
        assert!(f.stdout.bytes.ends_with(b"END\n"));
    }

    #[test]
    fn a_background_child_holding_the_pipe_does_not_hold_the_run() {
        let f = sh("sleep 30 & echo started", Some(20.0));
        assert!(f.status.unwrap().success());
        assert!(f.elapsed < Duration::from_secs(10), "{:?}", f.elapsed);
        assert!(f.leftovers >= 1);
    }

    #[test]
    fn an_orphan_that_left_the_group_is_killed_when_the_command_ends() {
        let marker = std::env::temp_dir().join(format!("half-gen-orphan-{}", std::process::id()));
        let script = format!("setsid sh -c 'sleep 2; touch {}' &", marker.display());
        let f = sh(&script, None);
        assert!(f.status.unwrap().success());
        std::thread::sleep(Duration::from_secs(3));
        assert!(!marker.exists(), "the orphan survived its command");
    }

    #[test]
    fn a_timeout_kills_the_tree_even_a_setsid_child() {
        let marker = std::env::temp_dir().join(format!("half-gen-setsid-{}", std::process::id()));
        let script = format!(
            "setsid sh -c 'sleep 3; touch {}' & sleep 30",
            marker.display()
        );
        let f = sh(&script, Some(0.5));
        assert!(f.status.is_none());
        assert!(f.elapsed < Duration::from_secs(5), "{:?}", f.elapsed);
        std::thread::sleep(Duration::from_secs(4));
        assert!(!marker.exists(), "the setsid child survived the kill");
    }
}
