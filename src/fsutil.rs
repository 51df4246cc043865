//! Reading input files, and atomic file and directory output.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An input file read for parsing: its text, its name as the user gave it (for messages),
/// its stem (the default model or space name) and its directory (for relative paths).
pub struct Source {
    /// The file's text.
    pub text: String,
    /// The path as given.
    pub file: String,
    /// The file name without its extension (`default_stem` when it has none).
    pub stem: String,
    /// The directory it is in.
    pub dir: PathBuf,
}

/// Reads `path` into a [`Source`].
pub fn read_source(path: &Path, default_stem: &str) -> Result<Source> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    Ok(Source {
        text,
        file: path.display().to_string(),
        stem: path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| default_stem.into()),
        dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
    })
}

/// `path` made absolute against the current directory (no symlinks resolved), for commands
/// that run tools in a subdirectory of what the user named: a relative path given on the
/// command line means the caller's directory, never the tool's.
pub fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(io(path))
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
