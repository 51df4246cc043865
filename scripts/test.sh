#!/usr/bin/env bash
# The one command that runs every check: formatting, lints, unit, property, CLI and simulation
# tests. It installs the tools the simulations need, fetches the official ap_int headers and
# creates the Python environments of the example evaluator, of Yosys (pyosys) and of the ONNX
# import tests (onnx, onnxruntime, qonnx).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-tools.sh
HALF_OFFICIAL_AP="$(./scripts/fetch-ap-headers.sh | tail -n1)"
export HALF_OFFICIAL_AP
HALF_EVALUATOR_PYTHON="$(./scripts/evaluator-env.sh | tail -n1)"
export HALF_EVALUATOR_PYTHON
HALF_GEN_YOSYS="$(./scripts/yosys-env.sh | tail -n1)"
export HALF_GEN_YOSYS
HALF_ONNX_PYTHON="$(./scripts/onnx-env.sh | tail -n1)"
export HALF_ONNX_PYTHON
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --release
