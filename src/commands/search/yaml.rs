//! A located YAML tree: a search-space file as written, every node and key with its position,
//! and the writer that turns chosen values back into model-format YAML text.

use crate::error::Loc;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// One YAML node with the position of its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it is written (for a YAML alias `*a`: where the alias is).
    pub loc: Loc,
    /// Where it is defined (for a YAML alias: the anchored value `&a`; else `loc`).
    pub defined: Loc,
}

/// A mapping key with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key.
    pub name: String,
    /// Where it is written.
    pub loc: Loc,
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer (wide enough for any YAML integer the parser accepts).
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A string (plain or quoted).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in file order.
    Map(Vec<(Key, Node)>),
}

impl Node {
    /// The entry of mapping key `k`, when this node is a mapping that has it.
    pub fn get(&self, k: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.iter().find(|(key, _)| key.name == k).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short name of the value's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// True when a `{choice: ...}` mapping occurs anywhere in this node.
    pub fn contains_choice(&self) -> bool {
        match &self.value {
            Value::Map(m) => m
                .iter()
                .any(|(k, v)| k.name == "choice" || v.contains_choice()),
            Value::Seq(s) => s.iter().any(Node::contains_choice),
            _ => false,
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<Spanned<Value>>()? {
            out.push(node(v));
        }
        Ok(Value::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<Spanned<String>>()? {
            let v = map.next_value::<Spanned<Value>>()?;
            out.push((
                Key {
                    name: k.value,
                    loc: Loc::from_saphyr(k.referenced),
                },
                node(v),
            ));
        }
        Ok(Value::Map(out))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

fn node(s: Spanned<Value>) -> Node {
    Node {
        value: s.value,
        loc: Loc::from_saphyr(s.referenced),
        defined: Loc::from_saphyr(s.defined),
    }
}

/// Parses YAML text into a located tree; the error is serde-saphyr's (message, position).
pub fn parse(text: &str) -> Result<Node, (String, Loc)> {
    match serde_saphyr::from_str::<Spanned<Value>>(text) {
        Ok(v) => Ok(node(v)),
        Err(e) => {
            let loc = e.location().map(Loc::from_saphyr).unwrap_or_default();
            Err((crate::hint::yaml_message(&e), loc))
        }
    }
}

/// Words a YAML parser may read as something other than a string when written plain.
const RESERVED: [&str; 11] = [
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf",
];

/// A string as a YAML scalar: plain when it is a simple word, else double-quoted (a JSON
/// string is a valid YAML double-quoted scalar).
pub fn string(s: &str) -> std::borrow::Cow<'_, str> {
    let mut chars = s.chars();
    let plain = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s));
    if plain {
        s.into()
    } else {
        serde_json::to_string(s)
            .unwrap_or_else(|_| format!("{s:?}"))
            .into()
    }
}

/// A value in YAML flow style, on one line.
pub fn flow(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => ".nan".into(),
        Value::Float(f) if f.is_infinite() => if *f > 0.0 { ".inf" } else { "-.inf" }.into(),
        Value::Float(f) => format!("{f:?}"),
        Value::Str(s) => string(s).into_owned(),
        Value::Seq(s) => format!(
            "[{}]",
            s.iter()
                .map(|n| flow(&n.value))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Map(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, n)| format!("{}: {}", string(&k.name), flow(&n.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The value as JSON, for building a candidate's model without writing and re-reading YAML
/// text (`None` for what JSON cannot hold as the YAML reader would: integers beyond 64 bits,
/// non-finite floats, repeated keys; such candidates take the text path).
pub fn json(v: &Value) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    Some(match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => match (i64::try_from(*i), u64::try_from(*i)) {
            (Ok(x), _) => J::from(x),
            (_, Ok(x)) => J::from(x),
            _ => return None,
        },
        Value::Float(f) => J::Number(serde_json::Number::from_f64(*f)?),
        Value::Str(s) => J::String(s.clone()),
        Value::Seq(s) => J::Array(s.iter().map(|n| json(&n.value)).collect::<Option<_>>()?),
        Value::Map(m) => {
            let mut out = serde_json::Map::new();
            for (k, n) in m {
                if !put_new(&mut out, &k.name, json(&n.value)) {
                    return None;
                }
            }
            J::Object(out)
        }
    })
}

/// Adds `key: value` to a JSON object being built. False when `value` has no JSON form
/// (None) or `key` is already there: the object then does not stand for the YAML mapping.
pub fn put_new(
    obj: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    value: Option<serde_json::Value>,
) -> bool {
    match value {
        Some(v) if !obj.contains_key(key) => {
            obj.insert(key.to_string(), v);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_round_trip() {
        let t = "a: {choice: [1, \"2\", [3, 4], ~, true, same]}\nb:\n  c: 0.5\n";
        let n = parse(t).unwrap();
        let a = n.get("a").unwrap();
        assert_eq!(a.loc.line, 1);
        let opts = a.get("choice").unwrap();
        assert_eq!(flow(&opts.value), "[1, \"2\", [3, 4], null, true, same]");
        match &opts.value {
            Value::Seq(s) => assert_eq!((s[1].loc.line, s[1].loc.col), (1, 17)),
            _ => panic!("a list"),
        }
        assert_eq!(n.get("b").unwrap().get("c").unwrap().loc.line, 3);
        assert!(n.contains_choice());
    }

    #[test]
    fn strings_are_quoted_when_needed() {
        assert_eq!(string("relu"), "relu");
        assert_eq!(string("yes"), "\"yes\"");
        assert_eq!(string("8"), "\"8\"");
        assert_eq!(string("a b"), "\"a b\"");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let (msg, loc) = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(!msg.is_empty());
        assert!(loc.line >= 1);
    }
}
