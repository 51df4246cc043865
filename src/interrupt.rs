//! Interruption (Ctrl-C, SIGTERM, SIGHUP) and what must not outlive half-gen: temporary paths
//! are removed and child process trees killed before the process ends, and a long command (the
//! search) may instead stop cleanly and save its work.
//!
//! [`install`] starts one thread that waits for the signals. On the first one it records it
//! ([`interrupted`]) and runs the hooks registered with [`at_signal`] (`crate::child` kills
//! every child process tree there). Unless a
//! [`Cooperative`] guard is alive, it then removes every registered temporary path and exits
//! with 130 (128 + SIGINT, the shell's convention). A second signal always exits that way.
//!
//! Registration and removal share one lock, and writers hold it while they write into a
//! temporary path ([`hold`]), so a path is never recreated after it was removed: the exit waits
//! for the write in progress, and the writer then blocks until the process has ended.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The exit code after an interruption.
pub const EXIT_CODE: u8 = crate::error::EXIT_INTERRUPTED;

/// What the handler cleans up.
#[derive(Default)]
struct State {
    /// Identifier of the next registration.
    next: u64,
    /// Temporary paths, removed on interruption.
    temps: BTreeMap<u64, PathBuf>,
    /// Live [`Cooperative`] guards.
    cooperative: usize,
}

static STATE: Mutex<State> = Mutex::new(State {
    next: 0,
    temps: BTreeMap::new(),
    cooperative: 0,
});
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// True once a signal has arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// What runs first when a signal arrives (registered by the modules that start processes).
static HOOKS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

/// Runs `hook` first when a signal arrives, before the temporary paths go: `crate::child`
/// registers the killing of its process trees. Register each hook once.
pub fn at_signal(hook: fn()) {
    HOOKS.lock().unwrap_or_else(|e| e.into_inner()).push(hook);
}

/// Starts the signal thread. Call once, from `main`.
pub fn install() -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("half-gen-signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                on_signal();
            }
        })?;
    Ok(())
}

/// The handler: record, kill the children, and (unless cooperating) clean up and exit.
fn on_signal() {
    let again = INTERRUPTED.swap(true, Ordering::SeqCst);
    let st = state();
    for hook in HOOKS.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        hook();
    }
    if st.cooperative > 0 && !again {
        eprintln!("half-gen: interrupted; stopping (press Ctrl-C again to stop at once)");
        return;
    }
    for path in st.temps.values() {
        remove_path(path);
    }
    eprintln!("half-gen: interrupted");
    // The lock stays held: a writer cannot recreate a removed path before the process ends.
    std::process::exit(i32::from(EXIT_CODE));
}

/// Removes a file or a directory tree, ignoring errors (it may be gone already).
fn remove_path(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = std::fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// A temporary path: removed when dropped and on interruption.
#[derive(Debug)]
pub struct TempPath {
    id: u64,
    path: PathBuf,
}

impl TempPath {
    /// Registers `path` (which need not exist yet).
    pub fn new(path: PathBuf) -> TempPath {
        let mut st = state();
        st.next += 1;
        let id = st.next;
        st.temps.insert(id, path.clone());
        TempPath { id, path }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let mut st = state();
        remove_path(&self.path);
        st.temps.remove(&self.id);
    }
}

/// Held while writing into temporary paths: the handler waits for it to be released.
pub struct Hold {
    _guard: MutexGuard<'static, State>,
}

/// Takes the lock the handler needs; do not register or drop a [`TempPath`] while holding it.
pub fn hold() -> Hold {
    Hold { _guard: state() }
}

/// While alive, the first signal only records the interruption and kills the children: the
/// command checks [`interrupted`], saves its work and returns [`crate::Error::Interrupted`].
pub struct Cooperative(());

/// Starts cooperating (see [`Cooperative`]).
pub fn cooperate() -> Cooperative {
    state().cooperative += 1;
    Cooperative(())
}

impl Drop for Cooperative {
    fn drop(&mut self) {
        let mut st = state();
        st.cooperative = st.cooperative.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_paths_are_removed_when_dropped() {
        let dir = std::env::temp_dir().join(format!("half-gen-temp-{}", std::process::id()));
        {
            let t = TempPath::new(dir.clone());
            std::fs::create_dir_all(t.path().join("a")).unwrap();
            std::fs::write(t.path().join("a/b"), b"x").unwrap();
        }
        assert!(!dir.exists());
        assert!(!state().temps.values().any(|p| *p == dir));
    }
}
