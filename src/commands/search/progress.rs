//! The search's progress bar (indicatif on standard error): evaluations done, evaluations per
//! second and the current front size. Hidden when standard error is not a terminal or when
//! asked (`--json`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar, or nothing.
#[derive(Debug, Clone)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar for about `len` evaluations, shown when `show` and standard error is a terminal.
    pub fn new(show: bool, len: u64) -> Progress {
        if !show || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} evaluations, {per_sec}, front {msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message("0");
        Progress(Some(bar))
    }

    /// One more evaluation.
    pub fn inc(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }

    /// The current front size.
    pub fn front(&self, n: usize) {
        if let Some(b) = &self.0 {
            b.set_message(n.to_string());
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
