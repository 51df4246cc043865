//! The model file as written (format v1), deserialized with spans kept for error messages.

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// The top-level document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    /// Optional identifier; default: the file stem.
    pub name: Option<Spanned<String>>,
    /// The input tensor.
    pub input: Spanned<RawInput>,
    /// Optional weights file, relative to the model file.
    pub weights: Option<Spanned<String>>,
    /// Seed for generated weights and test vectors.
    pub seed: Option<Spanned<u64>>,
    /// The output layer; default: the last one listed.
    pub output: Option<Spanned<String>>,
    /// The layers, in order.
    /// (`layers: ~` or a bare `layers:` is an empty list, reported as such.)
    pub layers: Spanned<LayerList>,
}

/// The `input:` block.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInput {
    /// `[H, W, C]` or `[N]`.
    pub shape: Spanned<Vec<i64>>,
    /// Element bits.
    pub bits: Spanned<i64>,
    /// Signedness (default false).
    pub signed: Option<Spanned<bool>>,
}

/// Activation functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RawActivation {
    /// max(v, 0).
    Relu,
    /// Identity.
    #[default]
    None,
}

/// One layer entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayer {
    /// Unique identifier.
    pub name: Spanned<String>,
    /// Layer kind (one of `ops::NAMES`; checked by the model's validation).
    pub op: Spanned<String>,
    /// Producer(s).
    pub from: Option<Spanned<OneOrMany>>,
    /// conv: output channels.
    pub channels: Option<Spanned<i64>>,
    /// dense: output features.
    pub units: Option<Spanned<i64>>,
    /// Window size.
    pub kernel: Option<Spanned<IntOrList>>,
    /// Window step.
    pub stride: Option<Spanned<IntOrList>>,
    /// Padding rule.
    pub padding: Option<Spanned<RawPadding>>,
    /// avgpool over the whole map.
    pub global: Option<Spanned<bool>>,
    /// Weight bits.
    pub weight_bits: Option<Spanned<i64>>,
    /// Whether a bias is added (default true).
    pub bias: Option<Spanned<bool>>,
    /// Activation.
    pub activation: Option<Spanned<RawActivation>>,
    /// Output element type.
    pub output: Option<Spanned<RawOutput>>,
    /// Explicit requantisation.
    pub requant: Option<Spanned<RawRequant>>,
}

/// `output: {bits, signed}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// Element bits.
    pub bits: Spanned<i64>,
    /// Signedness; default false with relu, true otherwise.
    pub signed: Option<Spanned<bool>>,
}

/// `requant: {scale, shift}` or `requant: {thresholds, bias}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequant {
    /// Scale: scalar, per channel, or (add) per input.
    pub scale: Option<Spanned<IntOrList>>,
    /// Right shift: scalar or per channel.
    pub shift: Option<Spanned<IntOrList>>,
    /// Thresholds per channel (a threshold requantisation).
    pub thresholds: Option<Spanned<i64>>,
    /// Added to the number of thresholds reached (default: the output type's minimum).
    pub bias: Option<Spanned<i64>>,
}

/// An integer or a list of integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntOrList {
    /// A single value.
    One(i64),
    /// A list of values.
    Many(Vec<i64>),
}

/// A name or a list of names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrMany {
    /// A single name.
    One(String),
    /// A list of names.
    Many(Vec<String>),
}

/// The `padding:` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawPadding {
    /// A keyword: `valid` or `same` (checked later).
    Word(String),
    /// The same padding on every side.
    All(i64),
    /// `[top, bottom, left, right]` (length checked later).
    List(Vec<i64>),
}

struct IntOrListVisitor;

impl<'de> Visitor<'de> for IntOrListVisitor {
    type Value = IntOrList;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer or a list of integers")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrList, E> {
        Ok(IntOrList::One(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrList, E> {
        i64::try_from(v)
            .map(IntOrList::One)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IntOrList, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<i64>()? {
            out.push(v);
        }
        Ok(IntOrList::Many(out))
    }
}

impl<'de> Deserialize<'de> for IntOrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntOrListVisitor)
    }
}

struct OneOrManyVisitor;

impl<'de> Visitor<'de> for OneOrManyVisitor {
    type Value = OneOrMany;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a layer name or a list of layer names")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
        Ok(OneOrMany::One(v.to_string()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<String>()? {
            out.push(v);
        }
        Ok(OneOrMany::Many(out))
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OneOrManyVisitor)
    }
}

struct PaddingVisitor;

impl<'de> Visitor<'de> for PaddingVisitor {
    type Value = RawPadding;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("`valid`, `same`, an integer or [top, bottom, left, right]")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPadding, E> {
        Ok(RawPadding::Word(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawPadding, E> {
        Ok(RawPadding::All(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawPadding, E> {
        i64::try_from(v)
            .map(RawPadding::All)
            .map_err(|_| E::custom("integer too large"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawPadding, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element::<i64>()? {
            out.push(v);
        }
        Ok(RawPadding::List(out))
    }
}

impl<'de> Deserialize<'de> for RawPadding {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PaddingVisitor)
    }
}

/// Layer names and positions only: used to name the layer a syntax error falls in.
#[derive(Debug, Deserialize)]
pub struct LayerOutline {
    /// The layers' positions and names.
    pub layers: Vec<Spanned<NameOnly>>,
}

/// A layer's name, ignoring every other key.
#[derive(Debug, Deserialize)]
pub struct NameOnly {
    /// The layer's name, when present.
    pub name: Option<String>,
}

/// The `layers:` value: a list, or null (`~` or nothing), which the checks report as empty.
/// Read with `deserialize_any`, so both the YAML reader (with spans) and a plain tree of
/// values ([`super::from_json`]) give it.
#[derive(Debug, Default)]
pub struct LayerList(pub Vec<Spanned<RawLayer>>);

struct LayerListVisitor;

impl<'de> Visitor<'de> for LayerListVisitor {
    type Value = LayerList;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of layers")
    }
    fn visit_unit<E: de::Error>(self) -> Result<LayerList, E> {
        Ok(LayerList::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<LayerList, E> {
        Ok(LayerList::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LayerList, D::Error> {
        d.deserialize_any(LayerListVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LayerList, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(LayerList(out))
    }
}

impl<'de> Deserialize<'de> for LayerList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LayerListVisitor)
    }
}
