//! Output directories: half-gen writes a tree of files into a directory it shares with the
//! user (the Vitis project run_hls.tcl creates in `hls/`, notes, even the input model), so it
//! keeps a manifest of the files it wrote ([`MANIFEST`]) and replaces or removes only those.
//!
//! A write ([`write_tree`]) locks the directory (a second half-gen writing it at the same time
//! fails instead of silently losing its result), refuses to overwrite any file it did not
//! write (even with `force`, which only allows adding files to a directory half-gen did not
//! create), stages the new files in a temporary directory inside the target (removed on
//! failure and on Ctrl-C), then moves them into place, removes the files of its previous write
//! that the new one no longer has, and rewrites the manifest.

use crate::error::{Error, Result};
use crate::interrupt;
use std::collections::BTreeMap;
use std::os::fd::AsRawFd;
use std::path::{Component, Path};

/// The manifest's file name: the files half-gen wrote in the directory, one a line: the
/// FNV-1a 64 hash of what it wrote (16 hex digits), a space, the relative path.
pub const MANIFEST: &str = ".half-gen";

/// The manifest's first line.
const HEADER: &str =
    "# Files half-gen wrote here; it replaces or removes only these. Everything else is yours.";

/// The marker older half-gen versions wrote (the whole directory was theirs).
const LEGACY_MARKER: &str = "written by half-gen; safe to delete";

/// The longest file name component half-gen writes (file systems allow 255 bytes).
const MAX_COMPONENT: usize = 200;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What the directory's manifest says half-gen owns.
enum Owned {
    /// No manifest: the directory is the user's (or new and empty).
    Nothing,
    /// A manifest: each relative path with the hash of what half-gen wrote there.
    Files(BTreeMap<String, u64>),
    /// An older half-gen's marker: it wrote the whole tree, so what it would write now is its.
    Legacy,
}

/// The content hash the manifest records.
fn digest(bytes: &[u8]) -> u64 {
    crate::hash::fnv1a64(bytes)
}

fn read_manifest(dir: &Path) -> Result<Owned> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Owned::Nothing),
        Err(e) => return Err(io(&path)(e)),
    };
    if text.trim() == LEGACY_MARKER {
        return Ok(Owned::Legacy);
    }
    Ok(Owned::Files(
        text.lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (h, rel) = l.split_once(' ')?;
                let h = u64::from_str_radix(h, 16).ok()?;
                check_relative(rel).is_ok().then(|| (rel.to_string(), h))
            })
            .collect(),
    ))
}

/// Why a path cannot be one of the files of a tree half-gen writes.
#[derive(Debug, thiserror::Error)]
enum NotPlainRelative {
    /// Empty, absolute, or holding a newline (the manifest is one path a line).
    #[error("`{0}` is not a relative path")]
    NotRelative(String),
    /// A component longer than [`MAX_COMPONENT`] bytes.
    #[error("`{0}` is longer than {max} bytes", max = MAX_COMPONENT)]
    LongComponent(String),
    /// A `..`, `.` or root component.
    #[error("`{0}` is not a plain relative path")]
    NotPlain(String),
}

/// A relative path of plain components (no `..`, no root, short names, no newline).
fn check_relative(rel: &str) -> std::result::Result<(), NotPlainRelative> {
    let p = Path::new(rel);
    if rel.is_empty() || rel.contains('\n') || p.is_absolute() {
        return Err(NotPlainRelative::NotRelative(rel.to_string()));
    }
    for c in p.components() {
        match c {
            Component::Normal(n) if n.len() <= MAX_COMPONENT => {}
            Component::Normal(n) => {
                return Err(NotPlainRelative::LongComponent(
                    n.to_string_lossy().into_owned(),
                ));
            }
            _ => return Err(NotPlainRelative::NotPlain(rel.to_string())),
        }
    }
    Ok(())
}

/// An exclusive, non-blocking lock on the directory itself, released when dropped (also when
/// the process dies): the open directory is held only for its lock.
struct DirLock {
    _dir: std::fs::File,
}

impl DirLock {
    fn take(dir: &Path) -> Result<DirLock> {
        let f = std::fs::File::open(dir).map_err(io(dir))?;
        // SAFETY: flock takes a file descriptor we own and an operation; it touches no memory.
        let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if r != 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::WouldBlock {
                return Err(Error::OutputRefused(format!(
                    "{} is being written by another half-gen right now; wait for it or choose another -o",
                    dir.display()
                )));
            }
            return Err(io(dir)(e));
        }
        Ok(DirLock { _dir: f })
    }
}

/// Writes `files` (relative paths and contents) into `dir` (see the module comment). `force`
/// allows writing into an existing, non-empty directory half-gen did not write.
pub fn write_tree(dir: &Path, files: &[(String, Vec<u8>)], force: bool) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::OutputRefused(format!(
            "{} is a file, not a directory; choose another -o",
            dir.display()
        )));
    }
    for (rel, _) in files {
        check_relative(rel).map_err(|m| {
            Error::OutputRefused(format!("cannot write {m} into {}", dir.display()))
        })?;
    }
    let created = !dir.exists();
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let result = write_locked(dir, files, force);
    if result.is_err() && created {
        // Only if still empty: nothing of anyone's is removed.
        let _ = std::fs::remove_dir(dir);
    }
    result
}

fn write_locked(dir: &Path, files: &[(String, Vec<u8>)], force: bool) -> Result<()> {
    let _lock = DirLock::take(dir)?;
    let owned = read_manifest(dir)?;
    let empty = std::fs::read_dir(dir).map_err(io(dir))?.next().is_none();
    if matches!(owned, Owned::Nothing) && !empty && !force {
        return Err(Error::OutputRefused(format!(
            "{} exists and was not written by half-gen; choose another -o, or pass --force to add half-gen's files to it (it never touches the others)",
            dir.display()
        )));
    }
    let new: BTreeMap<String, u64> = files.iter().map(|(p, b)| (p.clone(), digest(b))).collect();
    let ours = |rel: &str| match &owned {
        Owned::Nothing => Mine::No,
        Owned::Files(set) => match set.get(rel) {
            None => Mine::No,
            Some(&h) if std::fs::read(dir.join(rel)).is_ok_and(|b| digest(&b) == h) => Mine::Yes,
            Some(_) => Mine::Edited,
        },
        Owned::Legacy => {
            if new.contains_key(rel) {
                Mine::Yes
            } else {
                Mine::No
            }
        }
    };
    check_collisions(dir, files, &ours, force)?;
    let staging =
        interrupt::TempPath::new(dir.join(format!(".half-gen-staging-{}", std::process::id())));
    {
        let _hold = interrupt::hold();
        for (rel, bytes) in files {
            let p = staging.path().join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&p, bytes).map_err(io(&p))?;
        }
    }
    let old: BTreeMap<String, u64> = match owned {
        Owned::Files(set) => set,
        _ => BTreeMap::new(),
    };
    commit(dir, staging.path(), &old, &new)
}

/// Whether a file that exists where half-gen writes is its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mine {
    /// Not written by half-gen.
    No,
    /// Written by half-gen and unchanged since.
    Yes,
    /// Written by half-gen, then changed (by the user, most likely).
    Edited,
}

/// Fails on a file half-gen would write over that is not its own, or a path blocked by a
/// file or directory of the user's.
fn check_collisions(
    dir: &Path,
    files: &[(String, Vec<u8>)],
    ours: &dyn Fn(&str) -> Mine,
    force: bool,
) -> Result<()> {
    for (rel, _) in files {
        let p = dir.join(rel);
        let taken = match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() || m.file_type().is_symlink() => true,
            Ok(_) => match ours(rel) {
                Mine::No => true,
                Mine::Yes => false,
                Mine::Edited if force => false,
                Mine::Edited => {
                    return Err(Error::OutputRefused(format!(
                        "{} was changed since half-gen wrote it; move your version away, or pass --force to replace it",
                        p.display()
                    )));
                }
            },
            Err(_) => false,
        };
        let blocked = Path::new(rel)
            .ancestors()
            .skip(1)
            .filter(|a| !a.as_os_str().is_empty())
            .any(|a| std::fs::symlink_metadata(dir.join(a)).is_ok_and(|m| !m.is_dir()));
        if taken || blocked {
            return Err(Error::OutputRefused(format!(
                "{} exists and half-gen did not write it; half-gen never replaces your files: move it away or choose another -o",
                p.display()
            )));
        }
    }
    Ok(())
}

/// Moves the staged files into place under the interruption lock: the manifest first lists
/// the old and the new files (so a crash midway leaves nothing of half-gen's unlisted), then
/// the files move, the old ones the new write lacks are removed, and the manifest is final.
fn commit(
    dir: &Path,
    staging: &Path,
    old: &BTreeMap<String, u64>,
    new: &BTreeMap<String, u64>,
) -> Result<()> {
    let _hold = interrupt::hold();
    let mut all = old.clone();
    all.extend(new.iter().map(|(k, v)| (k.clone(), *v)));
    write_manifest(dir, &all)?;
    for rel in new.keys() {
        let (from, to) = (staging.join(rel), dir.join(rel));
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::rename(&from, &to).map_err(io(&to))?;
    }
    for (rel, &h) in old.iter().filter(|(k, _)| !new.contains_key(*k)) {
        let p = dir.join(rel);
        // A stale file of half-gen's goes, unless the user changed it since.
        let unchanged = std::fs::read(&p).is_ok_and(|b| digest(&b) == h);
        if unchanged && std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&p).map_err(io(&p))?;
        }
        // Directories the removed file leaves empty go too (never one that holds anything).
        for a in Path::new(rel).ancestors().skip(1) {
            if a.as_os_str().is_empty() || std::fs::remove_dir(dir.join(a)).is_err() {
                break;
            }
        }
    }
    let _ = std::fs::remove_dir_all(staging);
    write_manifest(dir, new)
}

fn write_manifest(dir: &Path, files: &BTreeMap<String, u64>) -> Result<()> {
    let mut text = format!("{HEADER}\n");
    for (f, h) in files {
        text.push_str(&format!("{h:016x} {f}\n"));
    }
    let path = dir.join(MANIFEST);
    let tmp = dir.join(format!(".half-gen-manifest-{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))
}

/// True when half-gen's manifest (or an older half-gen's marker) is in `dir`.
pub fn is_ours(dir: &Path) -> bool {
    dir.join(MANIFEST).is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("half-gen-outdir-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn f(rel: &str, text: &str) -> (String, Vec<u8>) {
        (rel.to_string(), text.as_bytes().to_vec())
    }

    #[test]
    fn a_rewrite_replaces_only_its_own_files() {
        let d = tmp("own");
        write_tree(&d, &[f("a/x.txt", "1"), f("a/old.txt", "o")], false).unwrap();
        std::fs::create_dir_all(d.join("a/user_prj")).unwrap();
        std::fs::write(d.join("a/user_prj/keep"), "mine").unwrap();
        std::fs::write(d.join("notes.md"), "mine").unwrap();
        write_tree(&d, &[f("a/x.txt", "2"), f("b/y.txt", "3")], false).unwrap();
        assert_eq!(std::fs::read_to_string(d.join("a/x.txt")).unwrap(), "2");
        assert!(
            !d.join("a/old.txt").exists(),
            "a stale file of its own is removed"
        );
        assert_eq!(
            std::fs::read_to_string(d.join("a/user_prj/keep")).unwrap(),
            "mine"
        );
        assert_eq!(std::fs::read_to_string(d.join("notes.md")).unwrap(), "mine");
        let names: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains("staging")), "{names:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn user_files_are_never_overwritten_even_with_force() {
        let d = tmp("user");
        std::fs::create_dir_all(d.join("report")).unwrap();
        std::fs::write(d.join("m.yaml"), "model").unwrap();
        let e = write_tree(&d, &[f("report/e.json", "{}")], false).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        write_tree(&d, &[f("report/e.json", "{}")], true).unwrap();
        assert_eq!(std::fs::read_to_string(d.join("m.yaml")).unwrap(), "model");
        let e = write_tree(&d, &[f("m.yaml", "ours")], true).unwrap_err();
        assert!(e.to_string().contains("never replaces your files"), "{e}");
        assert_eq!(std::fs::read_to_string(d.join("m.yaml")).unwrap(), "model");
        // A file of half-gen's the user edited: refused, replaced only with --force.
        std::fs::write(d.join("report/e.json"), "edited").unwrap();
        let e = write_tree(&d, &[f("report/e.json", "[]")], false).unwrap_err();
        assert!(
            e.to_string().contains("changed since half-gen wrote it"),
            "{e}"
        );
        // Nor is an edited stale file removed.
        write_tree(&d, &[f("report/other.json", "1")], true).unwrap();
        assert_eq!(
            std::fs::read_to_string(d.join("report/e.json")).unwrap(),
            "edited"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_file_in_the_way_and_a_concurrent_writer_fail() {
        let d = tmp("busy");
        std::fs::write(&d, "a file").unwrap();
        let e = write_tree(&d, &[f("x", "1")], true).unwrap_err();
        assert!(e.to_string().contains("is a file, not a directory"), "{e}");
        std::fs::remove_file(&d).unwrap();
        std::fs::create_dir_all(&d).unwrap();
        let lock = DirLock::take(&d).unwrap();
        let e = write_tree(&d, &[f("x", "1")], false).unwrap_err();
        assert!(e.to_string().contains("another half-gen"), "{e}");
        drop(lock);
        write_tree(&d, &[f("x", "1")], false).unwrap();
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failed_write_into_a_new_directory_leaves_nothing() {
        let d = tmp("fail");
        let long = format!("{}.h", "x".repeat(300));
        assert!(write_tree(&d, &[f(&long, "1")], false).is_err());
        assert!(!d.exists());
    }
}
