//! The user's accuracy evaluator: `sh -c CMD` with `{model}` and `{out}` replaced by the
//! candidate's model file and the JSON file it must write (`{"accuracy": x}`). It runs through
//! [`crate::child::run`]: its own process group, its whole tree killed when it ends, times out
//! or half-gen is interrupted, its output read with a size cap. The result file is read
//! without blocking and only when it is a regular file of at most [`RESULT_CAP`] bytes.

use crate::child;
use crate::error::{Error, Result};
use crate::interrupt;
use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Characters of the command's output kept in a failure message.
const TAIL_CHARS: usize = 1500;

/// Largest result file read, bytes (1 MiB).
pub const RESULT_CAP: u64 = 1 << 20;

/// The placeholders a command must contain, with what they stand for.
const PLACEHOLDERS: [(&str, &str); 2] = [
    ("model", "the candidate's model file"),
    ("out", "the JSON file it writes {\"accuracy\": x} to"),
];

/// How an evaluation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The accuracy the command wrote.
    Accuracy(f64),
    /// It failed (exit code, missing or bad output), with a message ending in its output tail.
    Failed(String),
    /// It ran out of time and was killed.
    TimedOut(String),
    /// half-gen was interrupted before or while it ran: no verdict (it runs again on resume).
    Interrupted,
}

/// An evaluator command.
#[derive(Debug, Clone)]
pub struct Evaluator {
    /// The command template, with `{model}` and `{out}`.
    pub command: String,
    /// Wall-time limit per candidate.
    pub timeout: Option<Duration>,
}

/// `s` quoted for `sh`: single quotes, with `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The last [`TAIL_CHARS`] characters of `bytes`, trimmed, on whole lines when possible.
fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim_end();
    let start = s.char_indices().rev().nth(TAIL_CHARS).map_or(0, |(i, _)| i);
    let t = &s[start..];
    let t = match (start > 0, t.find('\n')) {
        (true, Some(i)) => &t[i + 1..],
        _ => t,
    };
    t.to_string()
}

/// The `{name}` tokens of a command (names of letters, digits, `_` and `-`).
fn tokens(cmd: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = cmd;
    while let Some(i) = rest.find('{') {
        rest = &rest[i + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        if end > 0 && rest[end..].starts_with('}') {
            out.push(&rest[..end]);
        }
    }
    out
}

/// Levenshtein distance of two short ASCII-insensitive strings.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (
        a.to_lowercase().chars().collect(),
        b.to_lowercase().chars().collect(),
    );
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The unknown token closest to placeholder `name`, when one looks like a misspelling of it.
fn closest<'a>(name: &str, unknown: &[&'a str]) -> Option<&'a str> {
    let near = |t: &str| {
        let (t, n) = (t.to_lowercase(), name.to_lowercase());
        distance(&t, &n) <= 2 || t.starts_with(&n) || n.starts_with(&t)
    };
    unknown
        .iter()
        .copied()
        .filter(|t| near(t))
        .min_by_key(|t| (distance(t, name), *t))
}

/// Checks an evaluator command: not blank, with both `{model}` and `{out}`.
pub fn check_command(cmd: &str) -> Result<()> {
    if cmd.trim().is_empty() {
        return Err(Error::InvalidOption(
            "--evaluator: the command is empty; give a shell command with {model} (the candidate's model file) and {out} (the JSON file it writes {\"accuracy\": x} to)".into(),
        ));
    }
    let found = tokens(cmd);
    let unknown: Vec<&str> = found
        .iter()
        .copied()
        .filter(|t| PLACEHOLDERS.iter().all(|(p, _)| p != t))
        .collect();
    for (name, what) in PLACEHOLDERS {
        if found.contains(&name) {
            continue;
        }
        let hint = match closest(name, &unknown) {
            Some(t) => format!("; `{{{t}}}` is not a placeholder: did you mean `{{{name}}}`?"),
            None => String::new(),
        };
        return Err(Error::InvalidOption(format!(
            "--evaluator: the command has no `{{{name}}}` ({what}){hint}"
        )));
    }
    Ok(())
}

/// Why an evaluator's result file gave no accuracy (the candidate fails with this reason).
#[derive(Debug, thiserror::Error)]
pub enum BadResultFile {
    /// The command succeeded but wrote no file.
    #[error("the evaluator exited with code 0 but wrote no `{{out}}` file")]
    Missing,
    /// The file could not be opened.
    #[error("cannot open `{{out}}`: {0}")]
    Open(std::io::Error),
    /// Its metadata could not be read.
    #[error("cannot inspect `{{out}}`: {0}")]
    Inspect(std::io::Error),
    /// It is not a regular file: `a FIFO`, `a directory`, `a device`, `a socket` or `not a
    /// file`.
    #[error(
        "`{{out}}` is {0}, not a regular file: the evaluator must write {{\"accuracy\": x}} into a file"
    )]
    NotRegular(&'static str),
    /// It holds more than [`RESULT_CAP`] bytes (this many, or more).
    #[error("`{{out}}` holds {0} bytes; a result file may hold at most {cap} bytes", cap = RESULT_CAP)]
    TooLarge(u64),
    /// Reading it failed.
    #[error("cannot read `{{out}}`: {0}")]
    Read(std::io::Error),
    /// It does not hold `{"accuracy": <finite number>}`; the tail of what it holds.
    #[error("`{{out}}` does not hold {{\"accuracy\": <number>}}: {0}")]
    NoAccuracy(String),
}

/// What kind of file other than a regular one `ft` is.
fn irregular_kind(ft: std::fs::FileType) -> &'static str {
    if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// Reads the accuracy from the result file without blocking: it must be a regular file of at
/// most [`RESULT_CAP`] bytes holding `{"accuracy": <finite number>}`.
pub fn read_result(out: &Path) -> std::result::Result<f64, BadResultFile> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(out);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(BadResultFile::Missing),
        Err(e) => return Err(BadResultFile::Open(e)),
    };
    let meta = file.metadata().map_err(BadResultFile::Inspect)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(BadResultFile::NotRegular(irregular_kind(ft)));
    }
    if meta.len() > RESULT_CAP {
        return Err(BadResultFile::TooLarge(meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(RESULT_CAP + 1)
        .read_to_end(&mut bytes)
        .map_err(BadResultFile::Read)?;
    if bytes.len() as u64 > RESULT_CAP {
        return Err(BadResultFile::TooLarge(bytes.len() as u64));
    }
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("accuracy").and_then(serde_json::Value::as_f64))
        .filter(|a| a.is_finite())
        .ok_or_else(|| BadResultFile::NoAccuracy(tail(&bytes)))
}

impl Evaluator {
    /// An evaluator running `command` (checked with [`check_command`]) for at most `timeout`.
    pub fn new(command: String, timeout: Option<Duration>) -> Result<Evaluator> {
        check_command(&command)?;
        Ok(Evaluator { command, timeout })
    }

    /// The command line for one candidate.
    pub fn command_for(&self, model: &Path, out: &Path) -> String {
        self.command
            .replace("{model}", &shell_quote(&model.display().to_string()))
            .replace("{out}", &shell_quote(&out.display().to_string()))
    }

    /// Runs the command for `model`, reading the accuracy from `out`.
    pub fn run(&self, model: &Path, out: &Path) -> Outcome {
        let _ = std::fs::remove_file(out);
        let cmd = self.command_for(model, out);
        let finished = match child::run(Command::new("sh").arg("-c").arg(&cmd), self.timeout) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Outcome::Interrupted,
            Err(e) => return Outcome::Failed(format!("cannot run the evaluator with sh -c: {e}")),
        };
        let log = if finished.stderr.bytes.is_empty() {
            &finished.stdout.bytes
        } else {
            &finished.stderr.bytes
        };
        let outcome = match finished.status {
            None => Outcome::TimedOut(format!(
                "timed out after {} s{}",
                self.timeout.map_or(0.0, |t| t.as_secs_f64()),
                with_tail(log)
            )),
            Some(s) if !s.success() => {
                let how = match s.code() {
                    Some(c) => format!("exited with code {c}"),
                    None => "was killed by a signal".to_string(),
                };
                Outcome::Failed(format!("the evaluator {how}{}", with_tail(log)))
            }
            Some(_) => match read_result(out) {
                Ok(a) => Outcome::Accuracy(a),
                Err(why) => Outcome::Failed(format!("{why}{}", with_tail(log))),
            },
        };
        // A run the interruption killed has no verdict; one that finished in time keeps it.
        if interrupt::interrupted() && !matches!(outcome, Outcome::Accuracy(_)) {
            return Outcome::Interrupted;
        }
        outcome
    }
}

fn with_tail(log: &[u8]) -> String {
    let t = tail(log);
    if t.is_empty() {
        String::new()
    } else {
        format!("; output: {t}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }

    #[test]
    fn tails_keep_the_end() {
        let long = "x\n".repeat(2000);
        assert!(tail(long.as_bytes()).len() <= TAIL_CHARS);
        assert_eq!(tail(b"short\n"), "short");
    }

    #[test]
    fn commands_need_both_placeholders() {
        assert!(check_command("python t.py {model} {out}").is_ok());
        assert!(check_command("echo ${HOME} {model} > {out}").is_ok());
        let msg = |c: &str| check_command(c).unwrap_err().to_string();
        assert!(msg("  ").contains("the command is empty"));
        let m = msg("python t.py {modle} {out}");
        assert!(
            m.contains("no `{model}`") && m.contains("did you mean `{model}`"),
            "{m}"
        );
        assert!(m.contains("`{modle}`"), "{m}");
        let m = msg("python t.py {model} {output}");
        assert!(m.contains("no `{out}`") && m.contains("`{output}`"), "{m}");
        let m = msg("python t.py {model} ${HOME}");
        assert!(
            m.contains("no `{out}`") && !m.contains("did you mean"),
            "{m}"
        );
        assert_eq!(tokens("a {b} {c d} {} {e_f-1}x"), vec!["b", "e_f-1"]);
    }

    #[test]
    fn result_files_must_be_small_regular_files() {
        let dir = std::env::temp_dir().join(format!("half-gen-result-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("r.json");
        std::fs::write(&f, b"{\"accuracy\": 0.25}").unwrap();
        assert_eq!(read_result(&f).ok(), Some(0.25));
        let why = |p: &Path| read_result(p).unwrap_err().to_string();
        std::fs::write(&f, vec![b' '; RESULT_CAP as usize + 1]).unwrap();
        assert!(why(&f).contains("at most 1048576 bytes"));
        assert!(why(&dir).contains("is a directory"));
        assert!(why(&dir.join("none")).contains("wrote no"));
        std::fs::write(&f, b"{\"acc\": 1}").unwrap();
        assert_eq!(
            why(&f),
            "`{out}` does not hold {\"accuracy\": <number>}: {\"acc\": 1}"
        );
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(
            why(&fifo),
            "`{out}` is a FIFO, not a regular file: the evaluator must write {\"accuracy\": x} into a file"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
