//! Clearer messages for serde-saphyr's errors on model files (the shared hints and YAML
//! messages are in `crate::hint`).

use crate::hint::hint;

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
    fn unknown_field_hints() {
        let m = "unknown field `kernal`, expected one of `name`, `op`, `kernel`";
        assert_eq!(unknown_field_hint(m).unwrap(), " (did you mean `kernel`?)");
        let m = "unknown field `chanels`, expected one of name, op, channels";
        assert_eq!(
            unknown_field_hint(m).unwrap(),
            " (did you mean `channels`?)"
        );
    }
}
