//! Reading input files (with a size cap) and atomic file output; directories of output are
//! in [`crate::outdir`].

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

/// The largest input file half-gen reads (models, spaces, boards, foldings): far above any
/// real one, and checked while reading, so `/dev/zero` is refused too.
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// Reads a text input file of at most [`MAX_INPUT_BYTES`].
pub fn read_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(io(path))?;
    if f.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::BadInputFile(format!(
            "{} is a directory, not a file",
            path.display()
        )));
    }
    let mut bytes = Vec::new();
    f.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::BadInputFile(format!(
            "{}: the file is larger than half-gen's limit of {} bytes for an input file",
            path.display(),
            crate::limits::group(MAX_INPUT_BYTES)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::BadInputFile(format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Reads `path` into a [`Source`].
pub fn read_source(path: &Path, default_stem: &str) -> Result<Source> {
    let text = read_text(path)?;
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

/// A sibling path of `path` for temporary output: `.half-gen-tmp-<pid>-<n>` (short, so any
/// name that fits the directory fits).
pub fn temp_sibling(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    path.with_file_name(format!(".half-gen-tmp-{}-{n}", std::process::id()))
}

/// Writes `bytes` to `path` atomically: a temporary sibling (registered for interruption and
/// written under [`crate::interrupt::hold`], so Ctrl-C never leaves it behind), then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    if path.is_dir() {
        return Err(Error::OutputRefused(format!(
            "{} is a directory; give a file name",
            path.display()
        )));
    }
    let tmp = crate::interrupt::TempPath::new(temp_sibling(path));
    let _hold = crate::interrupt::hold();
    std::fs::write(tmp.path(), bytes).map_err(io(tmp.path()))?;
    std::fs::rename(tmp.path(), path).map_err(io(path))
}
