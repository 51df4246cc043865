//! A search space: a model file (format v1) whose values may be `{choice: [...]}`, whose layers
//! may be `optional: true`, and whose layer list may hold `repeat` blocks. Reading one checks
//! its structure (positions kept for every message) and enumerates the decision variables;
//! `materialise` turns a choice of options into model text, and `check` runs the model parser
//! over probes so that an option that can never give a valid model is reported up front.
//! The format is specified in docs/search-space.md.

use super::limits;
use super::template::{BlockTemplate, Entry, FromNames, LayerTemplate, ValueTemplate};
use super::yaml::{self, Key, Node, Value};
use crate::error::{Diagnostic, Error, Loc, Result};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Most copies a `repeat` may ask for.
pub const MAX_REPEAT: i128 = 64;

/// What a decision variable decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VarKind {
    /// A `{choice: [...]}` value.
    Choice,
    /// An `optional: true` layer: keep (option 0) or skip (option 1).
    Optional,
    /// The number of copies of a `repeat` block.
    Repeat,
}

/// One decision variable.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Variable {
    /// `layer.key` (`c1.channels`, `c1.output.bits`, `c2.optional`, `stage2.repeat`,
    /// `input.bits`).
    pub name: String,
    /// What it decides.
    pub kind: VarKind,
    /// The options as YAML text (`keep`/`skip` for an optional layer).
    pub options: Vec<String>,
    /// Where the variable is written.
    #[serde(skip)]
    pub loc: Loc,
}

/// A parsed search space.
#[derive(Debug, Clone)]
pub struct Space {
    /// The space's name (`name:` or the file stem); candidates are models of this name.
    pub name: String,
    /// The file as the user named it (for messages).
    pub file: String,
    /// Its directory.
    pub dir: PathBuf,
    /// FNV-1a 64 of the file's text, hex: identifies the space in a results directory.
    pub fingerprint: String,
    /// The decision variables, in file order (the `input` block first).
    pub vars: Vec<Variable>,
    pub(crate) input: ValueTemplate,
    pub(crate) seed: Option<Node>,
    pub(crate) output: Option<(String, Loc)>,
    pub(crate) entries: Vec<Entry>,
}

impl Space {
    /// The model name of the candidate with architecture hash `hash`:
    /// `<space name>_<first 8 hex digits>`, the space name cut so the whole stays a model
    /// name ([`crate::model::MAX_NAME`]).
    pub fn candidate_name(&self, hash: &str) -> String {
        let tail = &hash[..8.min(hash.len())];
        let keep = crate::model::MAX_NAME - 1 - tail.len();
        let head = &self.name[..keep.min(self.name.len())];
        format!("{head}_{tail}")
    }

    /// The number of choice vectors (the product of the option counts), saturating.
    pub fn size(&self) -> u128 {
        self.vars
            .iter()
            .fold(1u128, |a, v| a.saturating_mul(v.options.len() as u128))
    }

    /// The size as text: exact, or `~1.2e30` when it overflows 128 bits.
    pub fn size_text(&self) -> String {
        let s = self.size();
        if s == u128::MAX {
            let log: f64 = self
                .vars
                .iter()
                .map(|v| (v.options.len() as f64).log10())
                .sum();
            format!("~1e{}", log.floor())
        } else {
            s.to_string()
        }
    }
}

/// Reads and checks a search-space file.
pub fn load(path: &Path) -> Result<Space> {
    let src = crate::fsutil::read_source(path, "space")?;
    parse(&src.text, &src.file, &src.stem, &src.dir)
}

/// Parses space text; `file` names it in messages, `stem` is the default name.
pub fn parse(text: &str, file: &str, stem: &str, dir: &Path) -> Result<Space> {
    let space = structure(text, file, stem, dir)?;
    super::check::check(&space)?;
    Ok(space)
}

use crate::model::is_identifier;

/// Builds the space's structure and variables (no model-parser checks).
struct Builder<'a> {
    file: &'a str,
    vars: Vec<Variable>,
    layer: Option<String>,
    /// Choices by the position of their definition: a YAML alias of an anchored choice is
    /// the same variable.
    anchored: HashMap<(u64, u64), usize>,
}

impl Builder<'_> {
    fn err(&self, loc: Loc, msg: impl Into<String>) -> Error {
        Error::Input(Diagnostic::new(self.file, loc, self.layer.as_deref(), msg))
    }

    /// Adds a decision variable, within [`limits::MAX_VARIABLES`].
    fn push_var(&mut self, v: Variable) -> Result<()> {
        limits::variables(self.vars.len() + 1, &v.name)
            .map_err(|e| self.err(v.loc, e.to_string()))?;
        self.vars.push(v);
        Ok(())
    }

    fn template(&mut self, n: &Node, path: &str) -> Result<ValueTemplate> {
        match &n.value {
            Value::Map(m) if m.iter().any(|(k, _)| k.name == "choice") => {
                if m.len() != 1 {
                    return Err(self.err(
                        n.loc,
                        format!("`{path}`: a choice is written {{choice: [a, b, ...]}}, with no other key"),
                    ));
                }
                let opts = &m[0].1;
                let Value::Seq(list) = &opts.value else {
                    return Err(self.err(
                        opts.loc,
                        format!(
                            "`{path}`: `choice` takes a list of options, got {}",
                            opts.kind()
                        ),
                    ));
                };
                if list.is_empty() {
                    return Err(self.err(
                        opts.loc,
                        format!("`{path}`: `choice` needs at least one option"),
                    ));
                }
                limits::options(list.len(), path).map_err(|e| self.err(opts.loc, e.to_string()))?;
                let def = (n.defined.line, n.defined.col);
                if let Some(&var) = self.anchored.get(&def) {
                    return Ok(ValueTemplate::Choice {
                        var,
                        options: list.clone(),
                    });
                }
                let mut seen = BTreeSet::new();
                for o in list {
                    if o.contains_choice() {
                        return Err(self.err(o.loc, format!("`{path}`: choices cannot be nested")));
                    }
                    let t = yaml::flow(&o.value);
                    if !seen.insert(t.clone()) {
                        return Err(
                            self.err(o.loc, format!("`{path}`: option `{t}` is listed twice"))
                        );
                    }
                }
                self.push_var(Variable {
                    name: path.to_string(),
                    kind: VarKind::Choice,
                    options: list.iter().map(|o| yaml::flow(&o.value)).collect(),
                    loc: n.loc,
                })?;
                self.anchored.insert(def, self.vars.len() - 1);
                Ok(ValueTemplate::Choice {
                    var: self.vars.len() - 1,
                    options: list.clone(),
                })
            }
            Value::Map(m) if n.contains_choice() => Ok(ValueTemplate::Map(
                n.loc,
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), self.template(v, &format!("{path}.{}", k.name))?)))
                    .collect::<Result<_>>()?,
            )),
            Value::Seq(s) if n.contains_choice() => Ok(ValueTemplate::Seq(
                n.loc,
                s.iter()
                    .enumerate()
                    .map(|(i, v)| self.template(v, &format!("{path}[{i}]")))
                    .collect::<Result<_>>()?,
            )),
            _ => Ok(ValueTemplate::Fixed(n.clone())),
        }
    }

    fn fixed<'n>(&self, n: &'n Node, what: &str) -> Result<&'n Node> {
        if n.contains_choice() {
            return Err(self.err(n.loc, format!("`{what}` cannot be a choice")));
        }
        Ok(n)
    }

    fn layer(&mut self, n: &Node, in_block: bool) -> Result<LayerTemplate> {
        self.layer = None;
        let Value::Map(m) = &n.value else {
            return Err(self.err(n.loc, format!("a layer is a mapping, got {}", n.kind())));
        };
        if in_block && n.get("repeat").is_some() {
            return Err(self.err(n.loc, "repeat blocks cannot be nested"));
        }
        let Some(name_node) = n.get("name") else {
            return Err(self.err(n.loc, "missing required key `name`"));
        };
        let name = match &self.fixed(name_node, "name")?.value {
            Value::Str(s) => s.clone(),
            _ => {
                return Err(self.err(
                    name_node.loc,
                    format!("a layer name is a string, got {}", name_node.kind()),
                ));
            }
        };
        if !is_identifier(&name) || name == "input" {
            return Err(self.err(
                name_node.loc,
                format!("layer name `{name}` must be an identifier [A-Za-z_][A-Za-z0-9_]* of at most {} characters, other than `input`", crate::model::MAX_NAME),
            ));
        }
        self.layer = Some(name.clone());
        if n.get("layers").is_some() && !in_block {
            return Err(self.err(n.loc, "a block of `layers` needs `repeat`"));
        }
        let mut l = LayerTemplate {
            name: name.clone(),
            loc: n.loc,
            optional: None,
            from: None,
            keys: Vec::new(),
        };
        for (k, v) in m {
            match k.name.as_str() {
                "name" => {}
                "optional" => l.optional = self.optional(v, &name)?,
                "from" => l.from = Some(self.layer_from(k, v)?),
                _ => {
                    let t = self.template(v, &format!("{name}.{}", k.name))?;
                    l.keys.push((k.clone(), t));
                }
            }
        }
        Ok(l)
    }

    /// The `optional` variable of layer `name` when `v` is true.
    fn optional(&mut self, v: &Node, name: &str) -> Result<Option<usize>> {
        match &self.fixed(v, "optional")?.value {
            Value::Bool(true) => {
                self.push_var(Variable {
                    name: format!("{name}.optional"),
                    kind: VarKind::Optional,
                    options: vec!["keep".into(), "skip".into()],
                    loc: v.loc,
                })?;
                Ok(Some(self.vars.len() - 1))
            }
            Value::Bool(false) => Ok(None),
            _ => Err(self.err(
                v.loc,
                format!("`optional` is true or false, got {}", v.kind()),
            )),
        }
    }

    /// A layer's `from` (key `k`, value `v`): one name or a list of names.
    fn layer_from(&self, k: &Key, v: &Node) -> Result<FromNames> {
        let v = self.fixed(v, "from")?;
        let (items, list): (Vec<&Node>, bool) = match &v.value {
            Value::Seq(s) => (s.iter().collect(), true),
            _ => (vec![v], false),
        };
        let mut names = Vec::new();
        for it in items {
            match &it.value {
                Value::Str(s) => names.push((s.clone(), it.loc)),
                _ => {
                    return Err(self.err(it.loc, format!("`from` names layers, got {}", it.kind())));
                }
            }
        }
        Ok(FromNames {
            names,
            list,
            key: k.loc,
            loc: v.loc,
        })
    }

    fn block(&mut self, n: &Node, index: usize) -> Result<BlockTemplate> {
        self.layer = None;
        let name = match n.get("name").map(|x| &x.value) {
            Some(Value::Str(s)) => s.clone(),
            Some(_) => return Err(self.err(n.loc, "a block's `name` is a string")),
            None => format!("block{index}"),
        };
        if let Value::Map(m) = &n.value
            && let Some((k, _)) = m
                .iter()
                .find(|(k, _)| !matches!(k.name.as_str(), "name" | "repeat" | "layers"))
        {
            return Err(self.err(
                k.loc,
                format!(
                    "unknown key `{}` in a repeat block; expected name, repeat, layers",
                    k.name
                ),
            ));
        }
        let rep = n.get("repeat").unwrap_or(n);
        let repeat = self.template(rep, &format!("{name}.repeat"))?;
        if let Some(v) = self.vars.last_mut()
            && matches!(repeat, ValueTemplate::Choice { .. })
        {
            v.kind = VarKind::Repeat;
        }
        let counts: Vec<&Node> = match &repeat {
            ValueTemplate::Choice { options, .. } => options.iter().collect(),
            _ => vec![rep],
        };
        for c in counts {
            if !matches!(c.value, Value::Int(i) if (0..=MAX_REPEAT).contains(&i)) {
                return Err(self.err(
                    c.loc,
                    format!(
                        "`repeat` must be an integer in 0..={MAX_REPEAT} (or a choice of them), got {}",
                        yaml::flow(&c.value)
                    ),
                ));
            }
        }
        let list = match n.get("layers").map(|x| &x.value) {
            Some(Value::Seq(s)) if !s.is_empty() => s,
            _ => {
                return Err(self.err(
                    n.get("layers").map_or(n.loc, |x| x.loc),
                    "a repeat block needs a non-empty list of `layers`",
                ));
            }
        };
        let layers = list
            .iter()
            .map(|l| self.layer(l, true))
            .collect::<Result<_>>()?;
        Ok(BlockTemplate { repeat, layers })
    }
}

/// The space's structure: keys, values, variables, names and references.
pub(crate) fn structure(text: &str, file: &str, stem: &str, dir: &Path) -> Result<Space> {
    let top =
        yaml::parse(text).map_err(|(m, l)| Error::Input(Diagnostic::new(file, l, None, m)))?;
    let mut b = Builder {
        file,
        vars: Vec::new(),
        layer: None,
        anchored: HashMap::new(),
    };
    let Value::Map(m) = &top.value else {
        return Err(b.err(
            top.loc,
            "a search space is a mapping with `input` and `layers`",
        ));
    };
    b.top_keys(m)?;
    let name = b.space_name(&top, stem)?;
    let input_node = top
        .get("input")
        .ok_or_else(|| b.err(Loc { line: 1, col: 1 }, "missing required key `input`"))?;
    let input = b.template(input_node, "input")?;
    let output = match top.get("output") {
        None => None,
        Some(Node {
            value: Value::Str(s),
            loc,
            ..
        }) => Some((s.clone(), *loc)),
        Some(o) => return Err(b.err(o.loc, "`output` names a layer")),
    };
    let entries = b.entries(&top)?;
    let space = Space {
        name,
        file: file.to_string(),
        dir: dir.to_path_buf(),
        fingerprint: format!("{:016x}", crate::weights::generate::fnv1a64(text)),
        vars: b.vars,
        input,
        seed: top.get("seed").cloned(),
        output,
        entries,
    };
    super::check::names(&space)?;
    Ok(space)
}

/// The top level of a space file.
impl Builder<'_> {
    /// Checks the top-level keys: known ones only, and `name`, `seed` and `output` without
    /// choices.
    fn top_keys(&self, m: &[(Key, Node)]) -> Result<()> {
        for (k, v) in m {
            match k.name.as_str() {
                "name" | "input" | "seed" | "output" | "layers" => {
                    if k.name != "input" && k.name != "layers" {
                        self.fixed(v, &k.name)?;
                    }
                }
                "weights" => {
                    return Err(self.err(
                        k.loc,
                        "a search space cannot name a weights file (its candidates have different weights)",
                    ));
                }
                other => {
                    return Err(self.err(
                        k.loc,
                        format!(
                            "unknown key `{other}`; expected one of name, input, seed, output, layers"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The space's name: `name:` (an identifier), else derived from the file stem.
    fn space_name(&self, top: &Node, stem: &str) -> Result<String> {
        match top.get("name").map(|n| (&n.value, n.loc)) {
            Some((Value::Str(s), _)) if is_identifier(s) => Ok(s.clone()),
            Some((v, loc)) => Err(self.err(
                loc,
                format!(
                    "space name `{}` is not an identifier [A-Za-z_][A-Za-z0-9_]* of at most {} characters",
                    yaml::flow(v),
                    crate::model::MAX_NAME
                ),
            )),
            None => Ok(crate::model::name_from_stem(stem)),
        }
    }

    /// The layer list: layers and repeat blocks, in file order.
    fn entries(&mut self, top: &Node) -> Result<Vec<Entry>> {
        let layers_node = top
            .get("layers")
            .ok_or_else(|| self.err(Loc { line: 1, col: 1 }, "missing required key `layers`"))?;
        let list = match &layers_node.value {
            Value::Seq(s) if !s.is_empty() => s,
            _ => return Err(self.err(layers_node.loc, "the layer list is empty")),
        };
        let mut entries = Vec::new();
        let mut blocks = 0;
        for e in list {
            if e.get("repeat").is_some() {
                blocks += 1;
                entries.push(Entry::Block(self.block(e, blocks)?));
            } else {
                entries.push(Entry::Layer(self.layer(e, false)?));
            }
        }
        Ok(entries)
    }
}
