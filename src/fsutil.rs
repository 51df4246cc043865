//! Atomic file and directory output.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A sibling path of `path` for temporary output: `.<name>.tmp-<pid>`.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `bytes` to `path` atomically: a temporary sibling, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let tmp = temp_sibling(path);
    std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// The file that marks a directory as written by half-gen.
pub const MARKER: &str = ".half-gen";

/// Writes a whole directory tree atomically: the files go into a temporary sibling, which then
/// replaces `dir`. An existing `dir` is replaced only when half-gen wrote it (it holds
/// [`MARKER`]) or `force` is set; otherwise this is a usage error and nothing is touched.
pub fn write_tree(dir: &Path, files: &[(String, Vec<u8>)], force: bool) -> Result<()> {
    if dir.exists() {
        let ours = dir.join(MARKER).is_file();
        if !dir.is_dir() || (!ours && !force) {
            return Err(Error::Usage(format!(
                "{} exists and was not written by half-gen; choose another -o or pass --force",
                dir.display()
            )));
        }
    }
    let tmp = temp_sibling(dir);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let mut all: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    all.push((MARKER, b"written by half-gen; safe to delete\n"));
    for (rel, bytes) in all {
        let p = tmp.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&p, bytes).map_err(io(&p))?;
    }
    if dir.exists() {
        let old = dir.with_file_name(format!(
            ".{}.old-{}",
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            std::process::id()
        ));
        std::fs::rename(dir, &old).map_err(io(dir))?;
        std::fs::rename(&tmp, dir).map_err(io(dir))?;
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    } else {
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::rename(&tmp, dir).map_err(io(dir))?;
    }
    Ok(())
}
