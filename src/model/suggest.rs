//! "Did you mean" hints and clean messages from serde-saphyr errors.

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

/// `" (did you mean `x`?)"` for the closest candidate within a third of the word, else "".
pub fn hint<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let best = candidates
        .map(|c| (edit_distance(word, c), c))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    match best {
        Some((d, c)) if d > 0 && d <= (word.len().max(3)) / 3 + 1 => {
            format!(" (did you mean `{c}`?)")
        }
        _ => String::new(),
    }
}

/// The error's message without the source snippet or trailing position.
pub fn plain_message(e: &serde_saphyr::Error) -> String {
    let full = e.without_snippet().to_string();
    let first = full.lines().next().unwrap_or("").trim().to_string();
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first,
    }
}

/// A clearer message (and column) for serde-saphyr's terse type errors, given the text of the
/// error's line and its 1-based column: `invalid i64` becomes "expected an integer, got `abc`",
/// a list where a scalar belongs says so, and a `from` error points at the value.
pub fn clarify(msg: &str, line: &str, col: u64) -> (String, u64) {
    let token = |c: u64| -> String {
        let start = (c as usize).saturating_sub(1).min(line.len());
        line[start..]
            .chars()
            .take_while(|ch| !matches!(ch, ',' | ']' | '}' | '#'))
            .collect::<String>()
            .trim()
            .to_string()
    };
    let int_like = [
        "invalid i64",
        "invalid u64",
        "invalid u32",
        "invalid i32",
        "invalid u8",
    ];
    if int_like.iter().any(|k| msg.contains(k)) {
        return (format!("expected an integer, got `{}`", token(col)), col);
    }
    if msg.contains("expected string scalar") || msg.contains("expected scalar") {
        let t = token(col);
        let what = if t.starts_with('[') {
            "a list"
        } else if t.starts_with('{') {
            "a map"
        } else {
            "a collection"
        };
        return (
            format!("expected a single value (an integer, a name or a word), got {what}"),
            col,
        );
    }
    if msg.contains("expected a layer name")
        && let Some(i) = line.find("from:")
    {
        {
            let after = &line[i + 5..];
            let skip = after.len() - after.trim_start().len();
            return (msg.to_string(), (i + 5 + skip + 1) as u64);
        }
    }
    (msg.to_string(), col)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" messages: the closest known key.
pub fn unknown_field_hint(msg: &str) -> Option<String> {
    let rest = msg.split("unknown field `").nth(1)?;
    let word = rest.split('`').next()?;
    let expected = rest.split("expected ").nth(1)?;
    let candidates: Vec<&str> = if expected.contains('`') {
        expected.split('`').skip(1).step_by(2).collect()
    } else {
        // serde-saphyr's form: "expected one of name, op, from".
        expected
            .trim_start_matches("one of ")
            .split(',')
            .map(|c| c.trim().trim_end_matches('.'))
            .filter(|c| !c.is_empty())
            .collect()
    };
    let h = hint(word, candidates.into_iter());
    (!h.is_empty()).then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_hint() {
        assert_eq!(edit_distance("chanels", "channels"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            hint("chanels", ["units", "channels"].into_iter()),
            " (did you mean `channels`?)"
        );
        assert_eq!(hint("zzzzzz", ["units", "channels"].into_iter()), "");
        let m = "unknown field `kernal`, expected one of `name`, `op`, `kernel`";
        assert_eq!(unknown_field_hint(m).unwrap(), " (did you mean `kernel`?)");
        let m = "unknown field `chanels`, expected one of name, op, channels";
        assert_eq!(
            unknown_field_hint(m).unwrap(),
            " (did you mean `channels`?)"
        );
    }
}
