//! Child processes that cannot escape: each runs in its own process group, its descendants are
//! tracked (half-gen is their subreaper, so an orphan comes back to it), and the whole tree is
//! killed when the child ends, times out, or half-gen is interrupted. Output is read with a
//! size cap: only the last bytes are kept, however much a child prints.
//!
//! Process ids are reused by the system, so every tracked process is remembered with its start
//! time and signalled only while the same process holds the id; the child itself is not reaped
//! until its tree has been killed (its id, which is also its process group's, stays reserved).
//! Once half-gen is interrupted, no new child starts.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::{Duration, Instant};

/// Tracked processes: pid -> start time (clock ticks after boot, `/proc/<pid>/stat` field 22).
type Known = BTreeMap<i32, u64>;

/// The live child trees: each root's pid (it leads its own process group) and every
/// descendant seen so far, by registration.
struct Trees {
    next: u64,
    live: BTreeMap<u64, (i32, Known)>,
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

/// Once, before the first child starts: half-gen becomes the subreaper of its descendants (so
/// an orphaned grandchild comes back to it and can be killed) and the interruption handler
/// learns to kill the registered trees.
fn prepare() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        become_subreaper();
        crate::interrupt::at_signal(kill_registered);
    });
}

/// A registered tree; deregistered when dropped.
struct Registered(u64);

impl Registered {
    /// Spawns `cmd` and registers it under one lock, so [`Registered::members`] never mistakes a child
    /// being spawned for a leftover, and an interruption either sees the child or comes
    /// first, in which case nothing is spawned (an error of kind `Interrupted`).
    fn spawn(cmd: &mut Command) -> std::io::Result<(Child, Registered)> {
        prepare();
        let mut t = trees();
        if crate::interrupt::interrupted() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "half-gen was interrupted",
            ));
        }
        let child = cmd.spawn()?;
        t.next += 1;
        let id = t.next;
        t.live.insert(id, (child.id() as i32, Known::new()));
        Ok((child, Registered(id)))
    }

    /// Records the tree's current descendants.
    fn sample(&self, root: i32) {
        let now = procs();
        let d = descendants_in(&now, root);
        if let Some((_, known)) = trees().live.get_mut(&self.0) {
            known.extend(d.into_iter().filter_map(|p| Some((p, now.get(&p)?.start))));
        }
    }

    /// Every process of the tree seen so far and still alive, those alive now, and this
    /// process's children that no other live tree accounts for and that started after the
    /// root: orphans whose parent exited, come back to half-gen as their subreaper.
    fn members(&self, root: i32) -> Known {
        let t = trees();
        let me = std::process::id() as i32;
        let now = procs();
        let alive = |p: &i32, start: &u64| now.get(p).is_some_and(|x| x.start == *start);
        let mut out: Known = t
            .live
            .get(&self.0)
            .map(|x| {
                x.1.iter()
                    .filter(|(p, s)| alive(p, s))
                    .map(|(&p, &s)| (p, s))
                    .collect()
            })
            .unwrap_or_default();
        let born = now.get(&root).map_or(0, |x| x.start);
        out.extend(
            descendants_in(&now, root)
                .into_iter()
                .filter_map(|p| Some((p, now.get(&p)?.start))),
        );
        let others: BTreeSet<i32> = t
            .live
            .iter()
            .filter(|(id, _)| **id != self.0)
            .flat_map(|(_, (r, k))| std::iter::once(*r).chain(k.keys().copied()))
            .collect();
        out.extend(
            now.iter()
                .filter(|&(&pid, x)| {
                    x.ppid == me && pid != root && x.start >= born && !others.contains(&pid)
                })
                .map(|(&pid, x)| (pid, x.start)),
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

/// A live process as `/proc` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Proc {
    /// The parent's pid.
    ppid: i32,
    /// Start time, clock ticks after boot: with the pid, it names one process.
    start: u64,
}

/// Every process's parent and start time, from `/proc/<pid>/stat` (empty where there is no
/// `/proc`).
fn procs() -> BTreeMap<i32, Proc> {
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
        // `pid (comm) state ppid ... starttime ...`: comm may hold spaces and parentheses,
        // so read after the last `)`, where state is field 0, ppid 1 and starttime 19.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
        let num = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        if let (Some(ppid), Some(start)) = (num(1), num(19)) {
            out.insert(
                pid,
                Proc {
                    ppid: ppid as i32,
                    start,
                },
            );
        }
    }
    out
}

/// The descendants of `root` now alive (not `root` itself).
pub fn descendants(root: i32) -> BTreeSet<i32> {
    descendants_in(&procs(), root)
}

fn descendants_in(procs: &BTreeMap<i32, Proc>, root: i32) -> BTreeSet<i32> {
    let mut out = BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (&pid, x) in procs {
            if x.ppid == p && out.insert(pid) {
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

/// Kills `root`'s process group, its live descendants and those of `known` (descendants seen
/// before, which may have left the group with `setsid`) still holding the same start time:
/// every member is stopped first so none can fork away while the tree is gathered, then
/// killed. `root` must not have been reaped yet (its pid names its group).
fn kill_tree(root: i32, known: &Known) {
    let now = procs();
    let mut all: Known = known
        .iter()
        .filter(|(p, s)| now.get(p).is_some_and(|x| x.start == **s))
        .map(|(&p, &s)| (p, s))
        .collect();
    if let Some(x) = now.get(&root) {
        all.insert(root, x.start);
    }
    for _ in 0..8 {
        signal(-root, libc::SIGSTOP);
        for &p in all.keys() {
            signal(p, libc::SIGSTOP);
        }
        let now = procs();
        let mut grew = false;
        for p in all.keys().copied().collect::<Vec<_>>() {
            for d in descendants_in(&now, p) {
                if let Some(x) = now.get(&d) {
                    grew |= all.insert(d, x.start).is_none();
                }
            }
        }
        if !grew {
            break;
        }
    }
    signal(-root, libc::SIGKILL);
    for &p in all.keys() {
        signal(p, libc::SIGKILL);
    }
}

/// Reaps the processes in `pids` that are this process's children (killed leftovers), so no
/// zombie stays behind. Never waits for anything else.
fn reap(pids: &Known) {
    let me = std::process::id() as i32;
    let now = procs();
    for (p, start) in pids {
        if now
            .get(p)
            .is_some_and(|x| x.ppid == me && x.start == *start)
        {
            let mut status = 0;
            // SAFETY: waitpid on a pid that is our child writes only to `status`.
            unsafe {
                libc::waitpid(*p, &mut status, 0);
            }
        }
    }
}

/// Whether `child` has exited, without reaping it (on Linux), so its pid and process group
/// id stay reserved until [`run`] has killed what it left behind.
fn has_exited(child: &mut Child) -> std::io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: siginfo_t is plain data; all zeroes is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid writes only to `info`; WNOWAIT leaves the child waitable.
        let r = unsafe {
            libc::waitid(
                libc::P_PID,
                child.id() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: after a successful waitid the pid field is set (0 when nothing exited).
        Ok(unsafe { info.si_pid() } != 0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        child.try_wait().map(|s| s.is_some())
    }
}

/// The end of an output stream and its full length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tail {
    /// The last bytes up to the run's cap ([`OUTPUT_CAP`] for [`run`]; all of them when fewer
    /// were written).
    pub bytes: Vec<u8>,
    /// Bytes written in all.
    pub total: u64,
}

fn read_capped(mut r: impl Read, cap: usize) -> Tail {
    let mut buf = vec![0u8; 16 * 1024];
    let mut keep: Vec<u8> = Vec::new();
    let mut total = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                total += n as u64;
                keep.extend_from_slice(&buf[..n]);
                if keep.len() > 2 * cap {
                    keep.drain(..keep.len() - cap);
                }
            }
        }
    }
    if keep.len() > cap {
        keep.drain(..keep.len() - cap);
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
/// killed; on a timeout, the whole tree is. Registered for interruption while it runs; after
/// an interruption nothing is started (an error of kind `Interrupted`).
pub fn run(cmd: &mut Command, timeout: Option<Duration>) -> std::io::Result<Finished> {
    run_capped(cmd, timeout, OUTPUT_CAP)
}

/// [`run`], keeping the last `cap` bytes of each output stream (a testbench whose whole
/// output is read back needs more than [`OUTPUT_CAP`]).
pub fn run_capped(
    cmd: &mut Command,
    timeout: Option<Duration>,
    cap: usize,
) -> std::io::Result<Finished> {
    let start = Instant::now();
    let (mut child, reg) = Registered::spawn(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0),
    )?;
    let root = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    let pipes: [Option<Box<dyn Read + Send>>; 2] = [
        child.stdout.take().map(|p| Box::new(p) as _),
        child.stderr.take().map(|p| Box::new(p) as _),
    ];
    for (k, pipe) in pipes.into_iter().enumerate() {
        let tx = tx.clone();
        if let Some(p) = pipe {
            std::thread::spawn(move || {
                let _ = tx.send((k, read_capped(p, cap)));
            });
        }
    }
    drop(tx);
    let mut pause = Duration::from_millis(1);
    let ended = loop {
        match has_exited(&mut child) {
            Ok(true) => break Ok(true),
            Ok(false) => {}
            Err(e) => break Err(e),
        }
        reg.sample(root);
        if timeout.is_some_and(|t| start.elapsed() >= t) {
            break Ok(false);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    };
    // The child is not reaped yet: its pid, and its group's, still name it.
    let known = reg.members(root);
    let leftovers = known.len();
    kill_tree(root, &known);
    drop(reg);
    let status = child.wait()?;
    reap(&known);
    let status = if ended? { Some(status) } else { None };
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
    fn a_larger_cap_keeps_more() {
        become_subreaper();
        let script = "head -c 1000000 /dev/zero | tr '\\0' a; echo END";
        let f = run_capped(Command::new("sh").arg("-c").arg(script), None, 1 << 20).unwrap();
        assert!(f.status.unwrap().success());
        assert_eq!(f.stdout.total, 1_000_004);
        assert_eq!(f.stdout.bytes.len(), 1_000_004);
        let f = run_capped(Command::new("sh").arg("-c").arg(script), None, 1000).unwrap();
        assert_eq!(f.stdout.bytes.len(), 1000);
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
