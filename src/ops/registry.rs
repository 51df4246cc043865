//! The layer kinds, listed once. Adding a kind is one row here (its model-format name, its
//! variant and the type of its module); the macro derives the op enum, the parser dispatch by
//! name, the list of names and the dispatch to the [`Operator`] trait that every other part of
//! half-gen goes through (docs/architecture.md, "Adding a layer kind").

use super::{Operator, add, avgpool, concat, conv, dense, dwconv, maxpool};
use crate::error::Result;
use crate::format::fields::LayerFields;

/// Declares the layer kinds: `Variant(module::Type) = "name"`, with a doc comment each.
macro_rules! layer_kinds {
    ($($(#[$doc:meta])* $variant:ident($ty:ty) = $name:literal,)*) => {
        /// A layer's kind and parameters (one variant per layer kind of the registry).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum LayerOp {
            $($(#[$doc])* $variant($ty),)*
        }

        /// The layer kinds' names in the model format, in registry order.
        pub const NAMES: &[&str] = &[$($name),*];

        impl LayerOp {
            /// Parses the op-specific keys of a layer whose `op` is `name`; None when no kind
            /// has that name.
            pub fn parse(name: &str, f: &LayerFields) -> Result<Option<LayerOp>> {
                Ok(match name {
                    $($name => Some(LayerOp::$variant(<$ty>::parse(f)?)),)*
                    _ => None,
                })
            }

            /// The op behind the trait.
            pub fn op(&self) -> &dyn Operator {
                match self {
                    $(LayerOp::$variant(o) => o,)*
                }
            }
        }
    };
}

layer_kinds! {
    /// Convolution.
    Conv(conv::Conv) = "conv",
    /// Depthwise convolution.
    DwConv(dwconv::DwConv) = "dwconv",
    /// Fully connected.
    Dense(dense::Dense) = "dense",
    /// Max pooling.
    MaxPool(maxpool::MaxPool) = "maxpool",
    /// Average pooling.
    AvgPool(avgpool::AvgPool) = "avgpool",
    /// Elementwise add.
    Add(add::Add) = "add",
    /// Channel concatenation.
    Concat(concat::Concat) = "concat",
}

impl LayerOp {
    /// Shortcut for `op().kind()`.
    pub fn kind(&self) -> &'static str {
        self.op().kind()
    }

    /// Shortcut for `op().inputs()`.
    pub fn inputs(&self) -> std::ops::RangeInclusive<usize> {
        self.op().inputs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Option<LayerOp> {
        let raw: crate::format::raw::RawLayer = serde_saphyr::from_str(yaml).ok()?;
        let f = LayerFields {
            raw: &raw,
            file: "t.yaml",
            loc: Default::default(),
        };
        LayerOp::parse(&raw.op.value, &f).ok()?
    }

    #[test]
    fn every_name_parses_to_its_own_kind() {
        // The smallest valid layer of each kind; the list must cover the registry exactly.
        let minimal = [
            ("conv", "channels: 2, kernel: 1"),
            ("dwconv", "kernel: 1"),
            ("dense", "units: 2"),
            ("maxpool", "kernel: 2"),
            ("avgpool", "kernel: 2"),
            ("add", "from: [a, b]"),
            ("concat", "from: [a, b, c]"),
        ];
        let mut names: Vec<&str> = minimal.iter().map(|m| m.0).collect();
        names.sort_unstable();
        let mut registry = NAMES.to_vec();
        registry.sort_unstable();
        assert_eq!(names, registry);
        for (name, keys) in minimal {
            let op = parse(&format!("{{name: l, op: {name}, {keys}}}"));
            assert_eq!(op.map(|o| o.kind()), Some(name), "{name}");
        }
        assert!(parse("{name: l, op: nope}").is_none());
    }
}
