#!/usr/bin/env bash
# The one command that runs every check: formatting, lints, unit, property, CLI and simulation
# tests. It installs the tools the simulations need, fetches the official ap_int headers and
# creates the Python environments of the example evaluator, of Yosys (pyosys) and of the ONNX
# import tests (onnx, onnxruntime, qonnx).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-tools.sh
# The release build of every test runs while the Python environments download.
build_log="$(mktemp)"
cargo test --release --no-run >"$build_log" 2>&1 &
build=$!
trap 'kill "$build" 2>/dev/null || true; rm -f "$build_log"' EXIT
HALF_OFFICIAL_AP="$(./scripts/fetch-ap-headers.sh | tail -n1)"
export HALF_OFFICIAL_AP
HALF_EVALUATOR_PYTHON="$(./scripts/evaluator-env.sh | tail -n1)"
export HALF_EVALUATOR_PYTHON
HALF_GEN_YOSYS="$(./scripts/yosys-env.sh | tail -n1)"
export HALF_GEN_YOSYS
HALF_ONNX_PYTHON="$(./scripts/onnx-env.sh | tail -n1)"
export HALF_ONNX_PYTHON
if ! wait "$build"; then
  cat "$build_log" >&2
  exit 1
fi
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
# Verilator's builds (half-gen cosim) compile its runtime library through ccache: once per run
# of this script instead of once per co-simulation (verilated.mk's OBJCACHE).
export OBJCACHE=ccache
export CCACHE_DIR="$PWD/target/ccache"
cargo test --release
