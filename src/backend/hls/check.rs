//! Static checks on a generated Vitis HLS project, run by every `build` before anything is
//! written (docs/hls.md, "Static checks"):
//!
//! * **No divider on a pipelined recurrence.** Vitis binds `/` and `%` by a variable, or by a
//!   constant that is not a power of two, to a multi-cycle divider; inside a `PIPELINE` loop
//!   (or an `INLINE` function that such a loop calls) it sets the initiation interval
//!   (UG1399, "Optimizing for throughput": a long operation on a loop-carried path raises the
//!   II). Operands are told apart by the library's naming rule: `UPPER_CASE` names are template
//!   parameters and compile-time constants, `lower_case` names are run-time values. A divide is
//!   reported when an operand holds a run-time value and the divisor is not a power-of-two
//!   literal.
//! * **One producer and one consumer per stream.** Every `hls::stream` declared in a dataflow
//!   region (the top and the layer functions under `src/`) is named by exactly two process calls (Vitis' dataflow canonical form, UG1399
//!   "Dataflow": single producer, single consumer).
//! * **Bindings as costed** ([`super::check_storage`]): every stream's FIFO, every weight
//!   memory and every product bound to what the estimate priced.

/// One finding: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the project's `hls/` directory.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Finding {
    /// A finding at 0-based line `index` of `file`.
    pub fn new(file: &str, index: usize, message: String) -> Finding {
        Finding {
            file: file.to_string(),
            line: index + 1,
            message,
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Every finding in the C++ files of a project (`.h` and `.cpp`; other files are skipped).
pub fn check(files: &[(String, String)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (path, text) in files {
        if !(path.ends_with(".h") || path.ends_with(".cpp")) || path.starts_with("include/host") {
            continue;
        }
        let lines: Vec<String> = text.lines().map(strip_comment).collect();
        // Innermost region first (a pipelined loop in an inlined function), each line once.
        let mut regions = checked_regions(&lines);
        regions.sort_by_key(|(start, end, _)| end - start);
        let mut reported = std::collections::BTreeSet::new();
        for (start, end, why) in regions {
            for (i, line) in lines.iter().enumerate().take(end + 1).skip(start) {
                if let Some(op) = runtime_divide(line)
                    && reported.insert(i)
                {
                    out.push(Finding {
                        file: path.clone(),
                        line: i + 1,
                        message: format!(
                            "`{op}` by a run-time value or a non-power-of-two in {why}: Vitis binds it to a multi-cycle divider, which sets the II"
                        ),
                    });
                }
            }
        }
        if path.starts_with("src/") {
            out.extend(stream_fanout(path, &lines));
            out.extend(super::check_storage::stream_bindings(path, &lines));
            let raw: Vec<String> = text.lines().map(str::to_string).collect();
            out.extend(super::check_storage::layer_bindings(path, &raw));
        }
    }
    out
}

/// A line without its `//` comment (strings in this code hold no `//`).
fn strip_comment(line: &str) -> String {
    match line.find("//") {
        Some(i) => line[..i].to_string(),
        None => line.to_string(),
    }
}

/// Line ranges (inclusive, 0-based) to check, with what they are: the body of every loop whose
/// first pragma is `PIPELINE`, and of every function with `#pragma HLS INLINE`.
fn checked_regions(lines: &[String]) -> Vec<(usize, usize, &'static str)> {
    let mut regions = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let what = if t.starts_with("#pragma HLS PIPELINE") {
            "a pipelined loop"
        } else if t == "#pragma HLS INLINE" {
            "an inlined function"
        } else {
            continue;
        };
        if let Some(open) = enclosing_open(lines, i)
            && let Some(close) = matching_close(lines, open)
        {
            regions.push((open, close, what));
        }
    }
    regions
}

/// The line of the innermost `{` still open at line `at`.
fn enclosing_open(lines: &[String], at: usize) -> Option<usize> {
    let mut depth = 0i64;
    for i in (0..at).rev() {
        for c in lines[i].chars().rev() {
            match c {
                '}' => depth += 1,
                '{' if depth == 0 => return Some(i),
                '{' => depth -= 1,
                _ => {}
            }
        }
    }
    None
}

/// The line of the `}` closing the first `{` on line `open`.
fn matching_close(lines: &[String], open: usize) -> Option<usize> {
    let mut depth = 0i64;
    let first = lines[open].find('{')?;
    for (i, line) in lines.iter().enumerate().skip(open) {
        let from = if i == open { first } else { 0 };
        for c in line[from..].chars() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

/// A token of a C++ expression, as far as the divide check needs.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A name: a run-time value when it holds a lower-case letter.
    Name(String),
    /// An integer literal.
    Number(u64),
    /// Any other character.
    Punct(char),
}

fn tokens(line: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let digits = text.trim_end_matches(['u', 'U', 'l', 'L']);
            out.push(Tok::Number(digits.parse().unwrap_or(u64::MAX)));
        } else {
            if !c.is_whitespace() {
                out.push(Tok::Punct(c));
            }
            i += 1;
        }
    }
    out
}

/// True when the tokens hold a run-time value (a name with a lower-case letter that is not a
/// call or a member: `x`, `reads`, but not `ap_uint<8>(` or `.range`).
fn holds_runtime(toks: &[Tok]) -> bool {
    toks.iter().enumerate().any(|(k, t)| match t {
        Tok::Name(n) => {
            let member = k > 0 && toks[k - 1] == Tok::Punct('.');
            let call = matches!(toks.get(k + 1), Some(Tok::Punct('(' | '<')));
            n.chars().any(|c| c.is_ascii_lowercase()) && !member && !call
        }
        _ => false,
    })
}

/// The operand next to position `at` going left (`step` -1) or right (+1): one token, or a
/// bracketed group.
fn operand(toks: &[Tok], at: usize, step: isize) -> &[Tok] {
    let (open, close) = if step < 0 { (')', '(') } else { ('(', ')') };
    let Some(first) = at.checked_add_signed(step).filter(|&k| k < toks.len()) else {
        return &[];
    };
    if toks[first] != Tok::Punct(open) {
        return &toks[first..=first];
    }
    let mut depth = 0;
    let mut k = first as isize;
    while k >= 0 && (k as usize) < toks.len() {
        match &toks[k as usize] {
            Tok::Punct(c) if *c == open => depth += 1,
            Tok::Punct(c) if *c == close => {
                depth -= 1;
                if depth == 0 {
                    let (a, b) = (first.min(k as usize), first.max(k as usize));
                    return &toks[a..=b];
                }
            }
            _ => {}
        }
        k += step;
    }
    &toks[first..=first]
}

/// The divide or remainder on `line` that needs a divider, if any.
fn runtime_divide(line: &str) -> Option<char> {
    let t = line.trim();
    if t.starts_with('#') {
        return None;
    }
    let toks = tokens(t);
    for (k, tok) in toks.iter().enumerate() {
        let Tok::Punct(op @ ('/' | '%')) = tok else {
            continue;
        };
        let (left, right) = (operand(&toks, k, -1), operand(&toks, k, 1));
        let compound = toks.get(k + 1) == Some(&Tok::Punct('='));
        let pow2 = matches!(right, [Tok::Number(n)] if n.is_power_of_two());
        if (compound || holds_runtime(left) || holds_runtime(right)) && !pow2 {
            return Some(*op);
        }
    }
    None
}

/// Streams of a dataflow region not named by exactly two process calls.
fn stream_fanout(path: &str, lines: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let decl = t.strip_prefix("HALF_LOCAL ").unwrap_or(t);
        let Some(rest) = decl.strip_prefix("hls::stream<") else {
            continue;
        };
        let Some(name) = declared_name(rest) else {
            continue;
        };
        let uses = lines
            .iter()
            .filter(|l| is_call(l) && tokens(l).contains(&Tok::Name(name.clone())))
            .count();
        if uses != 2 {
            out.push(Finding {
                file: path.to_string(),
                line: i + 1,
                message: format!(
                    "stream `{name}` is named by {uses} process calls; a dataflow stream has one producer and one consumer"
                ),
            });
        }
    }
    out
}

/// The variable of a stream declaration `... > NAME("label");` (None for a parameter).
fn declared_name(rest: &str) -> Option<String> {
    let (head, _label) = rest.split_once('(')?;
    let name = head.rsplit_once('>')?.1.trim();
    let local = rest.ends_with(");") && !name.is_empty() && !name.starts_with('&');
    local.then(|| name.to_string())
}

/// A process call statement: `name<...>(...);` or `name(...);`, not a declaration or pragma.
fn is_call(line: &str) -> bool {
    let t = line.trim();
    let declaration = t.starts_with("hls::stream") || t.starts_with("HALF_LOCAL");
    t.ends_with(");") && !declaration && !t.starts_with('#') && !t.contains('=')
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &[(&str, &str)] = &crate::stage::library::HLS;

    fn library() -> Vec<(String, String)> {
        LIB.iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn the_library_is_clean() {
        assert_eq!(check(&library()), vec![]);
    }

    #[test]
    fn a_planted_remainder_in_a_pipelined_loop_is_named() {
        let mut files = library();
        let swg = files
            .iter_mut()
            .find(|(p, _)| p == "include/half/swg.h")
            .unwrap();
        let at = swg.1.find("      if (slot >= BR) slot -= BR;").unwrap();
        swg.1.insert_str(at, "      slot = slot % 3;\n");
        let line = swg.1[..at].lines().count() + 1;
        let found = check(&files);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].to_string(),
            format!(
                "include/half/swg.h:{line}: `%` by a run-time value or a non-power-of-two in a pipelined loop: Vitis binds it to a multi-cycle divider, which sets the II"
            )
        );
    }

    #[test]
    fn divides_are_told_apart() {
        for (line, found) in [
            ("const int CF = C / P;", None),
            ("x = y / 4;", None),
            ("x = y % 3;", Some('%')),
            ("x = (a + b) / KW;", Some('/')),
            ("x = N / (PI + PO);", None),
            ("x = 4 / y;", Some('/')),
            ("x /= 3;", Some('/')),
            ("acc = a * b;", None),
            ("#pragma HLS LOOP_TRIPCOUNT min=N/PO max=N/PI", None),
            ("v.range(p * OB + OB - 1, p * OB) = e;", None),
        ] {
            assert_eq!(runtime_divide(line), found, "{line}");
        }
    }

    #[test]
    fn a_stream_with_two_readers_is_named() {
        let top = "  HALF_LOCAL hls::stream<ap_uint<8> > s_a(\"a\");\n#pragma HLS STREAM variable=s_a depth=2\n#pragma HLS BIND_STORAGE variable=s_a type=fifo impl=srl\n  f(in, s_a);\n  g(s_a, o1);\n  h(s_a, o2);\n";
        let found = check(&[("src/t.cpp".to_string(), top.to_string())]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 1);
        assert!(found[0].message.contains("named by 3 process calls"));
    }
}
