//! Fuzz targets for half-gen's loaders, run under AFL++ by `bench/fuzz.sh`.

pub mod targets;

use std::path::PathBuf;

/// The scratch directory of a target that needs files: `$HALF_GEN_FUZZ_SCRATCH/<target>`,
/// or `<temp>/half-gen-fuzz-<pid>/<target>` when the variable is unset.
pub fn scratch(target: &str) -> PathBuf {
    let base = std::env::var_os("HALF_GEN_FUZZ_SCRATCH")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("half-gen-fuzz-{}", std::process::id()))
        });
    base.join(target)
}
