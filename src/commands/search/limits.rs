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

/// Checks that the choice at `path` has at most [`MAX_OPTIONS`] options.
pub fn options(n: usize, path: &str) -> Result<(), String> {
    if n > MAX_OPTIONS {
        return Err(format!(
            "`{path}`: a choice has at most {MAX_OPTIONS} options, got {n}"
        ));
    }
    Ok(())
}

/// Checks that `n` decision variables, the last named `name`, are at most [`MAX_VARIABLES`].
pub fn variables(n: usize, name: &str) -> Result<(), String> {
    if n > MAX_VARIABLES {
        return Err(format!(
            "a space has at most {MAX_VARIABLES} decision variables; `{name}` would be one more"
        ));
    }
    Ok(())
}
