//! `half-gen import MODEL.onnx -o DIR`: the ONNX model as a model file, a weights file and a
//! sidecar of scales and per-node fates (docs/import.md), checked to load before anything is
//! written, then written as every output directory is (`outdir::write_tree`: only half-gen's
//! own files are ever replaced).

use crate::error::{Error, Result};
use crate::import::{self, Imported, Options};
use std::path::{Path, PathBuf};

/// What an import wrote.
#[derive(Debug)]
pub struct Report {
    /// The import.
    pub imported: Imported,
    /// The directory written.
    pub dir: PathBuf,
    /// The model file written.
    pub model: PathBuf,
    /// Layers of the model.
    pub layers: usize,
}

/// Imports `path` into `dir` (default: the current directory's `NAME/`).
pub fn import(path: &Path, dir: Option<&Path>, opts: &Options, force: bool) -> Result<Report> {
    let imported = import::import(path, opts)?;
    let files = imported.files()?;
    check_loads(path, &files)?;
    let name = imported.emitted.name.clone();
    let dir = dir.map_or_else(|| PathBuf::from(&name), Path::to_path_buf);
    crate::outdir::write_tree(&dir, &files, force)?;
    Ok(Report {
        layers: imported.emitted.layers.len(),
        model: dir.join(format!("{name}.yaml")),
        imported,
        dir,
    })
}

/// Loads the files of an import from a temporary directory (graph, weights, calibration):
/// an import that half-gen itself could not load is a bug, reported before anything is
/// written.
fn check_loads(source: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    let (guard, yaml) = write_temp(files)?;
    let loaded = super::estimate::load(&yaml);
    drop(guard);
    loaded.map(|_| ()).map_err(|e| {
        Error::Internal(format!(
            "the model imported from {} does not load: {e}",
            source.display()
        ))
    })
}

/// Writes `files` into a fresh temporary directory; returns its guard and the model file.
fn write_temp(files: &[(String, Vec<u8>)]) -> Result<(crate::interrupt::TempPath, PathBuf)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "half-gen-import-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let guard = crate::interrupt::TempPath::new(dir.clone());
    let io = |e: std::io::Error| Error::Io {
        path: dir.clone(),
        source: e,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let mut model = dir.clone();
    for (name, bytes) in files {
        let p = dir.join(name);
        std::fs::write(&p, bytes).map_err(io)?;
        if name.ends_with(".yaml") {
            model = p;
        }
    }
    Ok((guard, model))
}

/// The model file behind `path`: `path` itself, or for an `.onnx` file its import in a
/// temporary directory (removed when the returned guard drops, and on Ctrl-C): `estimate`,
/// `build` and `eval` of an ONNX model.
pub fn source(path: &Path) -> Result<(Option<crate::interrupt::TempPath>, PathBuf)> {
    if !import::is_onnx(path) {
        return Ok((None, path.to_path_buf()));
    }
    let imported = import::import(path, &Options::default())?;
    for n in &imported.emitted.notes {
        eprintln!("note: {n}");
    }
    let (guard, model) = write_temp(&imported.files()?)?;
    Ok((Some(guard), model))
}
