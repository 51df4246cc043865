//! A search space as written: its values as templates that the choices resolve ([`ValueTemplate`]),
//! its layers and its repeat blocks, each with the positions every message needs.

use super::yaml::{Key, Node, Value};
use crate::error::Loc;

/// A value of the space as written: fixed, a choice, or a mapping or list with choices
/// inside; [`ValueTemplate::resolve`] gives the model's value under a choice vector.
#[derive(Debug, Clone)]
pub(crate) enum ValueTemplate {
    /// A value written without choices.
    Fixed(Node),
    /// `{choice: [...]}`: the option picked by variable `var`.
    Choice {
        /// The variable's index.
        var: usize,
        /// The options.
        options: Vec<Node>,
    },
    /// A mapping with choices somewhere inside.
    Map(Loc, Vec<(Key, ValueTemplate)>),
    /// A list with choices somewhere inside.
    Seq(Loc, Vec<ValueTemplate>),
}

impl ValueTemplate {
    /// The concrete value under `arch`.
    pub(crate) fn resolve(&self, arch: &[usize]) -> Node {
        match self {
            ValueTemplate::Fixed(_) | ValueTemplate::Choice { .. } => {
                self.pick(arch).cloned().unwrap_or(Node {
                    value: Value::Null,
                    loc: Loc::default(),
                    defined: Loc::default(),
                })
            }
            ValueTemplate::Map(loc, m) => Node {
                value: Value::Map(
                    m.iter()
                        .map(|(k, t)| (k.clone(), t.resolve(arch)))
                        .collect(),
                ),
                loc: *loc,
                defined: *loc,
            },
            ValueTemplate::Seq(loc, s) => Node {
                value: Value::Seq(s.iter().map(|t| t.resolve(arch)).collect()),
                loc: *loc,
                defined: *loc,
            },
        }
    }

    /// The node under `arch` when it is a single written node: a fixed value or a choice's
    /// option (a mapping or list with choices inside is built by [`ValueTemplate::resolve`]).
    pub(crate) fn pick(&self, arch: &[usize]) -> Option<&Node> {
        match self {
            // Option 0 when `arch` is short, the last when out of range (the parser
            // rejects a choice without options).
            ValueTemplate::Choice { var, options } => options.get(
                arch.get(*var)
                    .copied()
                    .unwrap_or(0)
                    .min(options.len().saturating_sub(1)),
            ),
            ValueTemplate::Fixed(n) => Some(n),
            ValueTemplate::Map(..) | ValueTemplate::Seq(..) => None,
        }
    }

    /// Where the value under `arch` is written.
    pub(crate) fn loc(&self, arch: &[usize]) -> Loc {
        match (self, self.pick(arch)) {
            (_, Some(n)) => n.loc,
            (ValueTemplate::Map(loc, _) | ValueTemplate::Seq(loc, _), None) => *loc,
            _ => Loc::default(),
        }
    }

    /// [`ValueTemplate::resolve`] as JSON ([`super::yaml::json`]), without copying the nodes.
    pub(crate) fn json(&self, arch: &[usize]) -> Option<serde_json::Value> {
        match self {
            ValueTemplate::Fixed(_) | ValueTemplate::Choice { .. } => {
                super::yaml::json(&self.pick(arch)?.value)
            }
            ValueTemplate::Map(_, m) => {
                let mut out = serde_json::Map::new();
                for (k, t) in m {
                    if !super::yaml::put_new(&mut out, &k.name, t.json(arch)) {
                        return None;
                    }
                }
                Some(serde_json::Value::Object(out))
            }
            ValueTemplate::Seq(_, s) => Some(serde_json::Value::Array(
                s.iter().map(|t| t.json(arch)).collect::<Option<_>>()?,
            )),
        }
    }
}

/// A layer's `from` as written: the layers it names (`from` cannot be a choice).
#[derive(Debug, Clone)]
pub(crate) struct FromNames {
    /// The names with their positions.
    pub names: Vec<(String, Loc)>,
    /// Written as a list.
    pub list: bool,
    /// Position of the `from` key.
    pub key: Loc,
    /// Position of the value.
    pub loc: Loc,
}

/// One layer of the space as written, its values templates.
#[derive(Debug, Clone)]
pub(crate) struct LayerTemplate {
    /// Name as written.
    pub name: String,
    /// Position of the layer entry.
    pub loc: Loc,
    /// The `optional` variable, when the layer is optional.
    pub optional: Option<usize>,
    /// `from`, when written.
    pub from: Option<FromNames>,
    /// Every other key, in file order.
    pub keys: Vec<(Key, ValueTemplate)>,
}

/// A `repeat` block as written.
#[derive(Debug, Clone)]
pub(crate) struct BlockTemplate {
    /// The copies (an integer, or a choice of integers).
    pub repeat: ValueTemplate,
    /// The layers of one copy.
    pub layers: Vec<LayerTemplate>,
}

/// An entry of the layer list.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    /// A layer.
    Layer(LayerTemplate),
    /// A repeated block of layers.
    Block(BlockTemplate),
}
