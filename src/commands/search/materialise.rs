//! From a choice vector to model text: the layers each option gives, with optional layers
//! skipped, repeat blocks copied (names made unique) and `from` references rewired, written
//! as model-format YAML one key per line. Every line remembers where in the space file it came
//! from, so the model parser's messages about a candidate point into the space.
//!
//! Rewiring (docs/search-space.md, "Optional layers and repeat blocks"):
//! * copy `k` of a block layer `X` is named `X_r<k>`;
//! * inside a copy, a reference to a layer of the same block means that copy's layer;
//! * inside copy `k > 1`, a reference to the block's input (the entry just before the block,
//!   or `input`) means the previous copy's output (its last layer);
//! * after the block, a reference to a block layer means its last copy;
//! * a skipped optional layer (or a block repeated 0 times) passes its first input through:
//!   references to it mean that input.

use super::space::Space;
use super::template::{BlockTemplate, Entry, LayerTemplate, ValueTemplate};
use super::yaml::{self, Key, Node, Value};
use crate::error::{Diagnostic, Error, Loc};
use std::collections::HashMap;

/// Where one line of a candidate's text comes from in the space file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origin {
    /// The space layer the line belongs to.
    pub layer: Option<String>,
    /// Position of the line's key.
    pub key: Loc,
    /// Position of the line's value (the chosen option for a choice).
    pub value: Loc,
    /// 1-based column where the value starts in the candidate's line.
    pub value_col: u64,
    /// The value is an option of a choice (messages about the line then point at it).
    pub chosen: bool,
}

/// A materialised architecture.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Model-format YAML (first line `name: <space name>`).
    pub text: String,
    /// The choice vector it was made from.
    pub arch: Vec<usize>,
    /// Per line of `text` (index = line - 1), its origin in the space (empty when made by
    /// [`Space::materialise_lean`]).
    pub origins: Vec<Origin>,
    /// The architecture hash: FNV-1a 64 of `text`, 16 hex digits.
    pub hash: String,
    /// The same model as a JSON tree, which [`crate::model::from_json`] reads much faster
    /// than the text (None when a value has no faithful JSON form; the text then serves).
    pub tree: Option<serde_json::Value>,
}

impl Candidate {
    /// The text with the model named `name` (ready-to-build files name each candidate).
    pub fn named(&self, name: &str) -> String {
        match self.text.split_once('\n') {
            Some((_, rest)) => format!("name: {name}\n{rest}"),
            None => self.text.clone(),
        }
    }

    /// Moves a model-parser error about this candidate into the space file: position of the
    /// key or value the line came from, and the space layer name when `space_names`.
    pub fn map_error(&self, space: &Space, e: Error, space_names: bool) -> Error {
        match e {
            Error::Input(d) => Error::Input(self.map_diag(space, d, space_names)),
            other => other,
        }
    }

    /// [`Candidate::map_error`] of a diagnostic.
    fn map_diag(&self, space: &Space, d: Diagnostic, space_names: bool) -> Diagnostic {
        let traced;
        let origins = if self.origins.is_empty() {
            traced = space.materialise(&self.arch);
            &traced.origins
        } else {
            &self.origins
        };
        let o = (d.loc.line as usize)
            .checked_sub(1)
            .and_then(|i| origins.get(i));
        let Some(o) = o else {
            return Diagnostic::new(&space.file, Loc::default(), d.layer.as_deref(), d.message);
        };
        let loc = if o.chosen || d.loc.col >= o.value_col {
            o.value
        } else {
            o.key
        };
        let layer = if space_names {
            o.layer.clone().or(d.layer)
        } else {
            d.layer.or(o.layer.clone())
        };
        Diagnostic::new(&space.file, loc, layer.as_deref(), d.message)
    }
}

/// `n` spaces.
fn indent(n: usize) -> std::borrow::Cow<'static, str> {
    const SPACES: &str = "                                ";
    match SPACES.get(..n) {
        Some(s) => s.into(),
        None => " ".repeat(n).into(),
    }
}

/// The model text, the origin of each of its lines and its JSON tree, as they are written.
struct Writer {
    text: String,
    /// Keep every line's origin (for messages) or not (the search's hot path).
    trace: bool,
    origins: Vec<Origin>,
    /// The model's top-level keys and its layers as JSON; None once a value had no JSON
    /// form or a key repeated.
    tree: Option<(
        serde_json::Map<String, serde_json::Value>,
        Vec<serde_json::Value>,
    )>,
}

impl Writer {
    /// Sets a top-level key of the JSON tree.
    fn put_top(&mut self, key: &str, value: Option<serde_json::Value>) {
        let ok = match &mut self.tree {
            Some((top, _)) => yaml::put_new(top, key, value),
            None => false,
        };
        if !ok {
            self.tree = None;
        }
    }

    /// Sets a key of the JSON tree's last layer (after [`Writer::start_layer`]).
    fn put_layer(&mut self, key: &str, value: Option<serde_json::Value>) {
        let ok = match &mut self.tree {
            Some((_, layers)) => match layers.last_mut() {
                Some(serde_json::Value::Object(l)) => yaml::put_new(l, key, value),
                _ => false,
            },
            None => false,
        };
        if !ok {
            self.tree = None;
        }
    }

    /// Opens a new layer in the JSON tree.
    fn start_layer(&mut self) {
        if let Some((_, layers)) = &mut self.tree {
            layers.push(serde_json::Value::Object(serde_json::Map::new()));
        }
    }

    /// Writes `prefix key: value`; its origin is worked out only when tracing.
    fn line(&mut self, prefix: &str, key: &str, value: &str, origin: impl FnOnce() -> Origin) {
        self.text.push_str(prefix);
        self.text.push_str(key);
        self.text.push(':');
        if !value.is_empty() {
            self.text.push(' ');
            self.text.push_str(value);
        }
        self.text.push('\n');
        if self.trace {
            let mut o = origin();
            o.value_col = (prefix.len() + key.len() + 2) as u64;
            self.origins.push(o);
        }
    }

    /// `key: value`, a nested mapping written block style one key per line.
    fn entry(&mut self, depth: usize, key: &Key, n: &Node, layer: Option<&str>, chosen: bool) {
        let origin = || Origin {
            layer: layer.map(str::to_string),
            key: key.loc,
            value: n.loc,
            value_col: 0,
            chosen,
        };
        match &n.value {
            Value::Map(m) if !m.is_empty() => {
                self.line(&indent(depth), &yaml::string(&key.name), "", origin);
                for (k, v) in m {
                    self.entry(depth + 2, k, v, layer, chosen);
                }
            }
            v => self.line(
                &indent(depth),
                &yaml::string(&key.name),
                &yaml::flow(v),
                origin,
            ),
        }
    }

    /// Same for a value that may hold choices: lines from a choice point at the option.
    fn entry_t(
        &mut self,
        depth: usize,
        key: &Key,
        t: &ValueTemplate,
        arch: &[usize],
        layer: Option<&str>,
    ) {
        match t {
            ValueTemplate::Fixed(n) => self.entry(depth, key, n, layer, false),
            ValueTemplate::Choice { .. } if let Some(n) = t.pick(arch) => {
                self.entry(depth, key, n, layer, true)
            }
            ValueTemplate::Map(loc, m) => {
                let origin = || Origin {
                    layer: layer.map(str::to_string),
                    key: key.loc,
                    value: *loc,
                    value_col: 0,
                    chosen: false,
                };
                self.line(&indent(depth), &yaml::string(&key.name), "", origin);
                for (k, v) in m {
                    self.entry_t(depth + 2, k, v, arch, layer);
                }
            }
            _ => self.entry(depth, key, &t.resolve(arch), layer, true),
        }
    }
}

/// The state of the walk over the layer list.
struct Walk<'a> {
    alias: HashMap<&'a str, String>,
    /// The space name of the previous entry's output (`input` at the start).
    prev: &'a str,
    /// The last layer written, if any.
    last: Option<String>,
}

impl<'a> Walk<'a> {
    fn resolve(&self, name: &str) -> String {
        self.alias
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }
}

/// The copy context of a layer inside a repeat block.
struct Copy<'a> {
    suffix: String,
    index: i128,
    input: &'a str,
    last: &'a str,
}

/// Where the placeholder `output:` line sits in the text being written.
struct OutputLine {
    /// Its index in the origins.
    origin: usize,
    /// Its first byte in the text.
    start: usize,
    /// The byte after its newline.
    end: usize,
}

impl OutputLine {
    /// The candidate: `w`'s text with the line naming `out` (written at `out_loc` in the
    /// space), its hash and its JSON tree.
    fn finish(self, mut w: Writer, out: String, out_loc: Loc, arch: &[usize]) -> Candidate {
        let mut text = String::with_capacity(w.text.len() + out.len() + 1);
        text.push_str(&w.text[..self.start]);
        text.push_str("output: ");
        text.push_str(&out);
        text.push('\n');
        text.push_str(&w.text[self.end..]);
        if let Some(o) = w.origins.get_mut(self.origin) {
            *o = Origin {
                layer: None,
                key: out_loc,
                value: out_loc,
                value_col: 9,
                chosen: false,
            };
        }
        let hash = format!("{:016x}", crate::weights::generate::fnv1a64(&text));
        w.put_top("output", Some(out.into()));
        let tree = w.tree.take().map(|(mut top, layers)| {
            top.insert("layers".into(), layers.into());
            serde_json::Value::Object(top)
        });
        Candidate {
            text,
            arch: arch.to_vec(),
            origins: w.origins,
            hash,
            tree,
        }
    }
}

impl Space {
    /// The model text of choice vector `arch` (missing entries take option 0), with every
    /// line's origin in the space.
    pub fn materialise(&self, arch: &[usize]) -> Candidate {
        self.write(arch, true)
    }

    /// [`Space::materialise`] without the origins, for the search's hot path: the same text,
    /// hash and tree; [`Candidate::map_error`] works the origins out again when it needs them.
    pub fn materialise_lean(&self, arch: &[usize]) -> Candidate {
        self.write(arch, false)
    }

    /// The candidate of `arch`, with the origins when `trace`.
    fn write(&self, arch: &[usize], trace: bool) -> Candidate {
        let mut w = Writer {
            text: String::with_capacity(2048),
            trace,
            origins: Vec::new(),
            tree: Some(Default::default()),
        };
        let none = Origin::default;
        w.line("", "name", &self.name, none);
        w.put_top("name", Some(self.name.clone().into()));
        let input_key = Key {
            name: "input".into(),
            loc: self.input.loc(arch),
        };
        w.entry_t(0, &input_key, &self.input, arch, None);
        w.put_top("input", self.input.json(arch));
        if let Some(s) = &self.seed {
            w.line("", "seed", &yaml::flow(&s.value), none);
            w.put_top("seed", yaml::json(&s.value));
        }
        // A placeholder `output:` line, rewritten once the output is known.
        let (origin, start) = (w.origins.len(), w.text.len());
        w.line("", "output", "", none);
        let output = OutputLine {
            origin,
            start,
            end: w.text.len(),
        };
        w.line("", "layers", "", none);
        let mut walk = Walk {
            alias: HashMap::new(),
            prev: "input",
            last: None,
        };
        for e in &self.entries {
            match e {
                Entry::Layer(l) => self.layer(&mut w, &mut walk, l, None, arch),
                Entry::Block(b) => self.block(&mut w, &mut walk, b, arch),
            }
        }
        let out = match &self.output {
            Some((o, _)) => walk.resolve(o),
            None => walk.resolve(walk.prev),
        };
        let out_loc = self.output.as_ref().map_or(Loc::default(), |o| o.1);
        output.finish(w, out, out_loc, arch)
    }

    /// The copies of a repeat block (none, when it repeats 0 times: its layers then pass the
    /// block's input through).
    fn block<'a>(&self, w: &mut Writer, walk: &mut Walk<'a>, b: &'a BlockTemplate, arch: &[usize]) {
        let n = match b.repeat.resolve(arch).value {
            Value::Int(n) => n.max(0),
            _ => 1,
        };
        let input = walk.prev;
        let last = b.layers.last().map_or(input, |l| l.name.as_str());
        if n == 0 {
            let src = walk.resolve(input);
            for l in &b.layers {
                walk.alias.insert(&l.name, src.clone());
            }
            walk.prev = last;
        }
        for k in 1..=n {
            let copy = Copy {
                suffix: format!("_r{k}"),
                index: k,
                input,
                last,
            };
            for l in &b.layers {
                self.layer(w, walk, l, Some(&copy), arch);
            }
        }
    }

    /// One layer (of copy `copy` when in a repeat block): its lines, its JSON, its aliases.
    fn layer<'a>(
        &self,
        w: &mut Writer,
        walk: &mut Walk<'a>,
        l: &'a LayerTemplate,
        copy: Option<&Copy<'a>>,
        arch: &[usize],
    ) {
        let source = |walk: &Walk, name: &str| -> String {
            match copy {
                Some(c) if c.index > 1 && name == c.input => walk.resolve(c.last),
                _ => walk.resolve(name),
            }
        };
        let sources: Vec<String> = match &l.from {
            Some(f) => f.names.iter().map(|(n, _)| source(walk, n)).collect(),
            None => vec![source(walk, walk.prev)],
        };
        walk.prev = &l.name;
        if l.optional.is_some_and(|v| arch.get(v) == Some(&1)) {
            let first = sources.first().cloned().unwrap_or_else(|| "input".into());
            walk.alias.insert(&l.name, first);
            return;
        }
        let name = match copy {
            Some(c) => format!("{}{}", l.name, c.suffix),
            None => l.name.clone(),
        };
        let origin = |key: Loc, value: Loc| Origin {
            layer: Some(l.name.clone()),
            key,
            value,
            value_col: 0,
            chosen: false,
        };
        w.line("  - ", "name", &name, || origin(l.loc, l.loc));
        w.start_layer();
        w.put_layer("name", Some(name.clone().into()));
        let implicit = walk.last.clone().unwrap_or_else(|| "input".into());
        match &l.from {
            Some(f) => {
                let (v, j) = if f.list {
                    (format!("[{}]", sources.join(", ")), sources.clone().into())
                } else {
                    let v = sources.join(", ");
                    (v.clone(), v.into())
                };
                w.line("    ", "from", &v, || origin(f.key, f.loc));
                w.put_layer("from", Some(j));
            }
            None if sources[0] != implicit => {
                w.line("    ", "from", &sources[0], || origin(l.loc, l.loc));
                w.put_layer("from", Some(sources[0].clone().into()));
            }
            None => {}
        }
        for (k, t) in &l.keys {
            w.entry_t(4, k, t, arch, Some(&l.name));
            w.put_layer(&k.name, t.json(arch));
        }
        walk.alias.insert(&l.name, name.clone());
        walk.last = Some(name);
    }
}
