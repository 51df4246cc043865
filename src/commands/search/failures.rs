//! Why candidates failed: counts per status and the most frequent reasons, for the summary
//! (docs/search-space.md section 5.3).

use super::evaluate::{Record, Status};
use serde::Serialize;
use std::collections::HashMap;

/// Reasons listed in a summary.
pub const TOP_REASONS: usize = 3;

/// Characters of a reason shown in a summary.
pub const REASON_CHARS: usize = 200;

/// The statuses of candidates that are not feasible, in the order summaries list them.
const ORDER: [Status; 5] = [
    Status::EvaluatorFailed,
    Status::EvaluatorTimeout,
    Status::Invalid,
    Status::NoFit,
    Status::MinFps,
];

/// Candidates of one status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCount {
    /// The status.
    pub status: Status,
    /// How many candidates have it.
    pub count: usize,
}

/// One reason and how many candidates share it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    /// The status of those candidates.
    pub status: Status,
    /// The reason on one line (see [`one_line`]).
    pub reason: String,
    /// How many candidates give it.
    pub count: usize,
}

/// What failed in a set of candidates.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Failures {
    /// Candidates that are not feasible, per status (statuses with none left out).
    pub statuses: Vec<StatusCount>,
    /// The [`TOP_REASONS`] most frequent reasons, most frequent first.
    pub reasons: Vec<ReasonCount>,
    /// Distinct reasons in all.
    pub distinct_reasons: usize,
    /// Candidates given to the evaluator (0 with a proxy).
    pub evaluator_runs: usize,
    /// Of which the evaluator failed or ran out of time.
    pub evaluator_failures: usize,
}

impl Failures {
    /// True when the evaluator ran and failed for every candidate it was given.
    pub fn evaluator_always_failed(&self) -> bool {
        self.evaluator_runs > 0 && self.evaluator_failures == self.evaluator_runs
    }
}

/// A reason on one line of at most [`REASON_CHARS`] characters: its first line, and its last
/// when there are several (a traceback ends with the error), the middle cut when too long.
pub fn one_line(reason: &str) -> String {
    let lines: Vec<&str> = reason
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = match lines.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] => format!("{first} … {last}"),
    };
    let chars: Vec<char> = joined.chars().collect();
    if chars.len() <= REASON_CHARS {
        return joined;
    }
    let head = REASON_CHARS * 3 / 5;
    let tail = REASON_CHARS - head - 3;
    let mut out: String = chars[..head].iter().collect();
    out.push_str(" … ");
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Counts the failures among `records`; `evaluator` tells whether accuracies came from an
/// evaluator (then every feasible candidate was one of its runs).
pub fn tally(records: &[Record], evaluator: bool) -> Failures {
    let rank = |s: Status| ORDER.iter().position(|&o| o == s).unwrap_or(ORDER.len());
    let mut per: HashMap<(Status, String), usize> = HashMap::new();
    let mut counts = [0usize; ORDER.len()];
    for r in records.iter().filter(|r| !r.feasible()) {
        if let Some(c) = counts.get_mut(rank(r.status)) {
            *c += 1;
        }
        let why = one_line(r.reason.as_deref().unwrap_or("no reason recorded"));
        *per.entry((r.status, why)).or_default() += 1;
    }
    let mut reasons: Vec<ReasonCount> = per
        .into_iter()
        .map(|((status, reason), count)| ReasonCount {
            status,
            reason,
            count,
        })
        .collect();
    reasons.sort_by(|a, b| {
        (b.count, rank(a.status), &a.reason).cmp(&(a.count, rank(b.status), &b.reason))
    });
    let distinct_reasons = reasons.len();
    reasons.truncate(TOP_REASONS);
    let failed = |s: Status| matches!(s, Status::EvaluatorFailed | Status::EvaluatorTimeout);
    let runs = |s: Status| s == Status::Ok || failed(s);
    Failures {
        statuses: ORDER
            .iter()
            .zip(counts)
            .filter(|(_, c)| *c > 0)
            .map(|(&status, count)| StatusCount { status, count })
            .collect(),
        reasons,
        distinct_reasons,
        evaluator_runs: if evaluator {
            records.iter().filter(|r| runs(r.status)).count()
        } else {
            0
        },
        evaluator_failures: records.iter().filter(|r| failed(r.status)).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(status: Status, reason: Option<&str>) -> Record {
        Record {
            hash: String::new(),
            arch: Vec::new(),
            status,
            violation: 0.0,
            reason: reason.map(str::to_string),
            params: None,
            macs: None,
            hw: None,
            accuracy: None,
        }
    }

    #[test]
    fn reasons_are_counted_and_ranked() {
        let recs = vec![
            rec(Status::Ok, None),
            rec(
                Status::EvaluatorFailed,
                Some("exited with code 3; output: a\nb\nc"),
            ),
            rec(
                Status::EvaluatorFailed,
                Some("exited with code 3; output: a\nx\nc"),
            ),
            rec(Status::EvaluatorTimeout, Some("timed out after 1 s")),
            rec(Status::NoFit, Some("does not fit")),
        ];
        let f = tally(&recs, true);
        assert_eq!(f.evaluator_runs, 4);
        assert_eq!(f.evaluator_failures, 3);
        assert!(!f.evaluator_always_failed());
        assert_eq!(f.statuses.len(), 3);
        assert_eq!(f.statuses[0].count, 2);
        assert_eq!(f.distinct_reasons, 3);
        assert_eq!(f.reasons[0].reason, "exited with code 3; output: a … c");
        assert_eq!(f.reasons[0].count, 2);
        assert_eq!(f.reasons[1].status, Status::EvaluatorTimeout);
        assert!(tally(&recs[1..3], true).evaluator_always_failed());
        assert_eq!(tally(&recs, false).evaluator_runs, 0);
    }

    #[test]
    fn status_names_are_their_json_names() {
        for s in ORDER.iter().chain([&Status::Ok]) {
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
    }

    #[test]
    fn long_reasons_are_cut_in_the_middle() {
        let long = format!("start {} end", "x".repeat(1000));
        let l = one_line(&long);
        assert_eq!(l.chars().count(), REASON_CHARS);
        assert!(l.starts_with("start ") && l.ends_with(" end"));
    }
}
