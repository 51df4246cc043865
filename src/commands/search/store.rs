//! The search directory: `search.json` (what the results depend on), `results.jsonl` (one
//! record per evaluated architecture: the cache that makes `--resume` never evaluate an
//! architecture twice) and `history.jsonl` (every evaluation in order). Both logs are
//! rewritten atomically after a batch once [`SAVE_EVERY`] has passed since the last save, at
//! the end, and when Ctrl-C stops the search (everything that finished is saved). A search
//! killed outright (SIGKILL, a second Ctrl-C) loses at most that long of proxy evaluations
//! plus the batch in flight (with an evaluator, at most the evaluations in flight: it saves
//! after each one). Rewriting after every batch would cost time quadratic in the evaluations:
//! thousands of proxy evaluations a second fill the logs fast.

use super::evaluate::{Record, Status};
use crate::board::Board;
use crate::error::{Error, Result};
use crate::fold::Caps;
use crate::fsutil;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Everything an evaluation's result depends on; a search resumes only with the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    /// FNV-1a 64 of the space file's text.
    pub space_fingerprint: String,
    /// The board.
    pub board: Board,
    /// Utilisation caps.
    pub caps: Caps,
    /// Clock override, MHz.
    pub clock_mhz: Option<f64>,
    /// `--min-fps`.
    pub min_fps: Option<f64>,
    /// The proxy, without an evaluator.
    pub proxy: Option<String>,
    /// The evaluator command.
    pub evaluator: Option<String>,
    /// `--data` for NASWOT.
    pub data: Option<String>,
}

/// One line of history.jsonl.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryLine {
    /// Which invocation of `search` on this directory (1, 2, ... with `--resume`).
    pub run: u32,
    /// Generation (0 = the initial population).
    pub generation: usize,
    /// Architecture hash.
    pub hash: String,
    /// Verdict.
    pub status: Status,
    /// Wall time of the evaluation, seconds.
    pub seconds: f64,
    /// Why the candidate failed or is infeasible (absent when it is feasible).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The directory's state.
#[derive(Debug)]
pub struct Store {
    /// The directory.
    pub dir: PathBuf,
    /// Every record, in evaluation order.
    pub records: Vec<Record>,
    index: HashMap<String, usize>,
    /// Every evaluation, in order.
    pub history: Vec<HistoryLine>,
    /// This invocation's run number.
    pub run: u32,
    /// When the logs were last written.
    saved: std::time::Instant,
}

/// The longest a search with a proxy goes between two saves of its logs.
pub const SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: e,
            });
        }
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                Error::CannotResume(format!(
                    "{}:{}: not a record this version of half-gen wrote ({e})",
                    path.display(),
                    i + 1
                ))
            })
        })
        .collect()
}

fn jsonl<T: Serialize>(items: &[T]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for it in items {
        let line = serde_json::to_string(it).map_err(|e| Error::Serialization(e.to_string()))?;
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// The first setting that differs, for the "cannot resume" message.
fn difference(old: &Setup, new: &Setup) -> String {
    if old.space_fingerprint != new.space_fingerprint {
        "the space file changed".into()
    } else if old.board != new.board {
        format!("board {} (now {})", old.board.name, new.board.name)
    } else if old.caps != new.caps || old.clock_mhz != new.clock_mhz {
        "--max-util or --clock-mhz differ".into()
    } else if old.min_fps != new.min_fps {
        format!("--min-fps {:?} (now {:?})", old.min_fps, new.min_fps)
    } else if old.evaluator != new.evaluator {
        format!("evaluator {:?} (now {:?})", old.evaluator, new.evaluator)
    } else {
        format!(
            "proxy {:?} / data {:?} (now {:?} / {:?})",
            old.proxy, old.data, new.proxy, new.data
        )
    }
}

impl Store {
    /// Opens `dir` for a search with `setup`: resumes it (`resume`), or starts it afresh. An
    /// existing directory half-gen did not write is replaced only with `force`, and one that
    /// holds a search only with `resume` (continue) or `force` (start over).
    pub fn open(dir: &Path, setup: &Setup, resume: bool, force: bool) -> Result<Store> {
        let settings = dir.join("search.json");
        let results = dir.join("results.jsonl");
        let history = dir.join("history.jsonl");
        let mut store = Store {
            dir: dir.to_path_buf(),
            records: Vec::new(),
            index: HashMap::new(),
            history: Vec::new(),
            run: 1,
            saved: std::time::Instant::now(),
        };
        let ours = crate::outdir::is_ours(dir);
        if dir.exists() && !dir.is_dir() {
            return Err(Error::OutputRefused(format!(
                "{} is a file, not a directory; choose another -o",
                dir.display()
            )));
        }
        if resume && ours && results.is_file() {
            let text = std::fs::read_to_string(&settings).map_err(|e| Error::Io {
                path: settings.clone(),
                source: e,
            })?;
            let old: Setup = serde_json::from_str(&text).map_err(|e| {
                Error::CannotResume(format!(
                    "{}: not a half-gen search setup ({e})",
                    settings.display()
                ))
            })?;
            if old != *setup {
                return Err(Error::CannotResume(format!(
                    "cannot resume {}: it was searched with other settings ({}); use another -o or --force to start over",
                    dir.display(),
                    difference(&old, setup)
                )));
            }
            for r in read_jsonl::<Record>(&results)? {
                if !store.index.contains_key(&r.hash) {
                    store.index.insert(r.hash.clone(), store.records.len());
                    store.records.push(r);
                }
            }
            store.history = read_jsonl(&history)?;
            store.run = store.history.iter().map(|h| h.run).max().unwrap_or(0) + 1;
            return Ok(store);
        }
        if ours && results.is_file() && !force {
            return Err(Error::OutputRefused(format!(
                "{} holds a previous search; pass --resume to continue it or --force to start over",
                dir.display()
            )));
        }
        // Starting (over): the setup, and empty logs, so a search interrupted before its
        // first save never resumes another setup's records.
        let json =
            serde_json::to_string_pretty(setup).map_err(|e| Error::Serialization(e.to_string()))?;
        let files = [
            ("search.json".to_string(), (json + "\n").into_bytes()),
            ("results.jsonl".to_string(), Vec::new()),
            ("history.jsonl".to_string(), Vec::new()),
        ];
        crate::outdir::write_tree(dir, &files, force)?;
        Ok(store)
    }

    /// The record of architecture `hash`, when it was evaluated.
    pub fn get(&self, hash: &str) -> Option<&Record> {
        self.index.get(hash).map(|&i| &self.records[i])
    }

    /// Adds a fresh evaluation.
    pub fn insert(&mut self, r: Record, h: HistoryLine) {
        if self.index.contains_key(&r.hash) {
            return;
        }
        self.index.insert(r.hash.clone(), self.records.len());
        self.records.push(r);
        self.history.push(h);
    }

    /// [`Store::save`] when [`SAVE_EVERY`] has passed since the last save.
    pub fn save_if_due(&mut self) -> Result<()> {
        if self.saved.elapsed() < SAVE_EVERY {
            return Ok(());
        }
        self.save()?;
        self.saved = std::time::Instant::now();
        Ok(())
    }

    /// Rewrites results.jsonl and history.jsonl atomically.
    pub fn save(&self) -> Result<()> {
        fsutil::write_atomic(&self.dir.join("results.jsonl"), &jsonl(&self.records)?)?;
        fsutil::write_atomic(&self.dir.join("history.jsonl"), &jsonl(&self.history)?)
    }
}
