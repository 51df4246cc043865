#!/usr/bin/env bash
# The one command that runs every check: formatting, lints, unit, property and CLI tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --release
