//! The user's accuracy evaluator: `sh -c CMD` with `{model}` and `{out}` replaced by the
//! candidate's model file and the JSON file it must write (`{"accuracy": x}`), in its own
//! process group so a timeout ends the whole command (a training script and its children).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Characters of the command's output kept in a failure message.
const TAIL_CHARS: usize = 1500;

/// How an evaluation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The accuracy the command wrote.
    Accuracy(f64),
    /// It failed (exit code, missing or bad output), with a message ending in its stderr tail.
    Failed(String),
    /// It ran out of time and was killed.
    TimedOut(String),
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

fn reader(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

impl Evaluator {
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
        let child = Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => return Outcome::Failed(format!("cannot run `sh -c {cmd}`: {e}")),
        };
        let (Some(so), Some(se)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Outcome::Failed("cannot capture the command's output".into());
        };
        let (so, se) = (reader(so), reader(se));
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Ok(s),
                Ok(None) => {}
                Err(e) => break Err(e.to_string()),
            }
            if let Some(t) = self.timeout
                && start.elapsed() >= t
            {
                // SAFETY: `kill` has no memory-safety preconditions; the negative pid names the
                // process group the child leads (`process_group(0)` above).
                unsafe {
                    libc::kill(-(child.id() as i32), libc::SIGKILL);
                }
                let _ = child.wait();
                let err = se.join().unwrap_or_default();
                let _ = so.join();
                return Outcome::TimedOut(format!(
                    "timed out after {} s{}",
                    t.as_secs_f64(),
                    with_tail(&err)
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        };
        let err = se.join().unwrap_or_default();
        let out_bytes = so.join().unwrap_or_default();
        let log = if err.is_empty() { out_bytes } else { err };
        let status = match status {
            Ok(s) => s,
            Err(e) => return Outcome::Failed(format!("waiting for the command: {e}")),
        };
        if !status.success() {
            let how = match status.code() {
                Some(c) => format!("exited with code {c}"),
                None => "was killed by a signal".to_string(),
            };
            return Outcome::Failed(format!("the evaluator {how}{}", with_tail(&log)));
        }
        let text = match std::fs::read_to_string(out) {
            Ok(t) => t,
            Err(e) => {
                return Outcome::Failed(format!(
                    "the evaluator wrote no {} ({e}){}",
                    out.display(),
                    with_tail(&log)
                ));
            }
        };
        let acc = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("accuracy").and_then(serde_json::Value::as_f64))
            .filter(|a| a.is_finite());
        match acc {
            Some(a) => Outcome::Accuracy(a),
            None => Outcome::Failed(format!(
                "{} does not hold {{\"accuracy\": <number>}}: {}",
                out.display(),
                tail(text.as_bytes())
            )),
        }
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
}
