//! Limits that keep a search space, a search and a lookup table within memory and time
//! (docs/search-space.md section 10). Each is checked before anything of its size is built,
//! and a space or an option beyond one is a usage error naming the limit and the value.

/// Most options of one choice.
pub const MAX_OPTIONS: usize = 1_000;

/// Most decision variables of a space.
pub const MAX_VARIABLES: usize = 1_000;

/// Largest `--population` of `search` (NSGA-II sorts a generation in time quadratic in it).
pub const MAX_POPULATION: usize = 10_000;

/// Largest `--jobs` of `search` and `lut`.
pub const MAX_JOBS: usize = 1_024;

/// Largest `--max-archs` of `lut`.
pub const MAX_ARCHS: usize = 1_000_000;

/// Most distinct layer configurations in a lookup table.
pub const MAX_CONFIGS: usize = 100_000;

/// Most (configuration, fold) rows in a lookup table.
pub const MAX_ROWS: usize = 1_000_000;

/// A search space beyond [`MAX_OPTIONS`] or [`MAX_VARIABLES`]; the space's reader places it
/// at the choice or variable concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpaceTooLarge {
    /// A choice with more than [`MAX_OPTIONS`] options.
    #[error("`{path}`: a choice has at most {max} options, got {options}", max = MAX_OPTIONS)]
    Options {
        /// The choice's path (`c1.channels`).
        path: String,
        /// Its options.
        options: usize,
    },
    /// One decision variable more than [`MAX_VARIABLES`].
    #[error(
        "a space has at most {max} decision variables; `{name}` would be one more",
        max = MAX_VARIABLES
    )]
    Variables {
        /// The variable that would be one too many.
        name: String,
    },
}

/// Checks that the choice at `path` has at most [`MAX_OPTIONS`] options.
pub fn options(n: usize, path: &str) -> Result<(), SpaceTooLarge> {
    if n > MAX_OPTIONS {
        return Err(SpaceTooLarge::Options {
            path: path.to_string(),
            options: n,
        });
    }
    Ok(())
}

/// Checks that `n` decision variables, the last named `name`, are at most [`MAX_VARIABLES`].
pub fn variables(n: usize, name: &str) -> Result<(), SpaceTooLarge> {
    if n > MAX_VARIABLES {
        return Err(SpaceTooLarge::Variables {
            name: name.to_string(),
        });
    }
    Ok(())
}
