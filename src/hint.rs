//! Messages every input reader shares: "did you mean" hints, and serde-saphyr's YAML errors
//! in the user's terms (never the library's API names or debug output).

use serde_saphyr::budget::BudgetBreach;

/// Levenshtein edit distance between two short strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate within a third of the word (case and the separators `-`, `_` and
/// spaces ignored first: `PYNQ-Z2` and `pynqz2` both mean `pynq-z2`), if any.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let plain = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let w = plain(word);
    let best = candidates
        .map(|c| {
            let loose = edit_distance(&w, &plain(c));
            let strict = edit_distance(word, c);
            (loose, strict, c)
        })
        .min();
    match best {
        Some((0, s, c)) if s > 0 => Some(c),
        Some((d, s, c)) if s > 0 && d <= (word.len().max(3)) / 3 + 1 => Some(c),
        _ => None,
    }
}

/// `" (did you mean `x`?)"` for [`closest`], else "".
pub fn hint<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    closest(word, candidates).map_or(String::new(), |c| format!(" (did you mean `{c}`?)"))
}

/// A serde-saphyr error's message without the source snippet or trailing position, with the
/// errors that would otherwise show the library's internals (several documents, a repeated
/// key, the reader's size budget) in plain words.
pub fn yaml_message(e: &serde_saphyr::Error) -> String {
    match e.without_snippet() {
        serde_saphyr::Error::MultipleDocuments { .. } => {
            "the file holds more than one YAML document (a second `---`); half-gen reads one".into()
        }
        serde_saphyr::Error::DuplicateMappingKey { key, .. } => match key {
            Some(k) => format!("duplicate key `{k}`"),
            None => "duplicate key".into(),
        },
        serde_saphyr::Error::Budget { breach, .. } => budget_message(breach),
        other => {
            let full = other.to_string();
            let mut msg = full.lines().next().unwrap_or("").trim();
            if let Some(i) = msg.rfind(" at line ") {
                msg = &msg[..i];
            }
            msg = msg.strip_prefix("error: ").unwrap_or(msg);
            // A `line L column C: ` prefix: the position is reported separately.
            match msg.split_once(": ") {
                Some((head, rest)) if head.starts_with("line ") => rest.to_string(),
                _ => msg.to_string(),
            }
        }
    }
}

/// The reader's budget in words: which limit of one input file was passed.
fn budget_message(b: &BudgetBreach) -> String {
    let what = match b {
        BudgetBreach::Nodes { .. } => "more than 250,000 YAML values (lists, maps and scalars)",
        BudgetBreach::Events { .. } => "more than 1,000,000 YAML parser events",
        BudgetBreach::Depth { .. } => "lists and maps nested more than 64 deep",
        BudgetBreach::Documents { .. } => "too many YAML documents",
        BudgetBreach::Aliases { .. } | BudgetBreach::AliasAnchorRatio { .. } => {
            "too many aliases (`*name`)"
        }
        BudgetBreach::Anchors { .. } => "too many anchors (`&name`)",
        BudgetBreach::ScalarBytes { .. } => "more than 64 MiB of text in its values",
        BudgetBreach::InputBytes { .. } => "more than 256 MiB of text",
        BudgetBreach::MergeKeys { .. } => "too many merge keys (`<<`)",
        _ => "more structure than half-gen reads in one file",
    };
    format!("the file is too large for half-gen's YAML reader: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_closest() {
        assert_eq!(edit_distance("chanels", "channels"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        let boards = ["pynq-z1", "pynq-z2", "zcu104"];
        assert_eq!(closest("PYNQ-Z2", boards.into_iter()), Some("pynq-z2"));
        assert_eq!(closest("pynqz2", boards.into_iter()), Some("pynq-z2"));
        assert_eq!(closest("zcu14", boards.into_iter()), Some("zcu104"));
        assert_eq!(closest("pynq-z2", boards.into_iter()), None);
        assert_eq!(closest("alveo", boards.into_iter()), None);
        assert_eq!(
            hint("chanels", ["units", "channels"].into_iter()),
            " (did you mean `channels`?)"
        );
        assert_eq!(hint("zzzzzz", ["units", "channels"].into_iter()), "");
    }

    #[test]
    fn yaml_internals_become_plain_words() {
        let parse = |t: &str| serde_saphyr::from_str::<serde_json::Value>(t).unwrap_err();
        assert!(yaml_message(&parse("a: 1\n---\nb: 2\n")).contains("more than one YAML document"));
        assert_eq!(yaml_message(&parse("a: 1\na: 2\n")), "duplicate key `a`");
        let big = format!("[{}]", vec!["1"; 260_000].join(","));
        assert!(yaml_message(&parse(&big)).contains("more than 250,000 YAML values"));
        for t in ["a: 1\n---\nb: 2\n", "a: 1\na: 2\n", big.as_str()] {
            let m = yaml_message(&parse(t));
            assert!(
                !m.contains("Options") && !m.contains("from_str") && !m.contains('{'),
                "{m}"
            );
        }
    }
}
