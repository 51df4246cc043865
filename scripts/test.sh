#!/usr/bin/env bash
# The one command that runs every check: formatting, lints, unit, property, CLI and simulation
# tests. It installs the tools the simulations need and fetches the official ap_int headers.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-tools.sh
HALF_OFFICIAL_AP="$(./scripts/fetch-ap-headers.sh | tail -n1)"
export HALF_OFFICIAL_AP
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --release
