#!/usr/bin/env bash
# Creates the Python environment of the ONNX import tests (tests/onnx/: onnx, qonnx and
# onnxruntime, scripts/onnx-requirements.txt) in target/onnx-venv when it is missing or its
# requirements changed, and prints the path of its python on the last line (tests/import_*.rs
# run it when HALF_ONNX_PYTHON does not name one). When the environment is up to date this only
# compares two files.
#
# HALF_ONNX_VENV=DIR puts (or finds) the environment in DIR instead (relative to the current
# directory). DIR is (re)created when it does not exist or is a virtual environment made from
# other requirements; anything else there is an error.
set -euo pipefail
V="${HALF_ONNX_VENV:-}"
if [ -n "$V" ] && [ "${V#/}" = "$V" ]; then
  V="$PWD/$V"
fi
cd "$(dirname "$0")/.."
V="${V:-$PWD/target/onnx-venv}"
REQ=scripts/onnx-requirements.txt
if [ ! -x "$V/bin/python" ] || ! cmp -s "$REQ" "$V/requirements.txt"; then
  if [ -e "$V" ] && [ ! -f "$V/pyvenv.cfg" ]; then
    echo "onnx-env.sh: $V exists and is not a virtual environment; not replacing it" >&2
    exit 1
  fi
  echo "creating $V from $REQ" >&2
  rm -rf "$V"
  mkdir -p "$(dirname "$V")"
  python3 -m venv "$V"
  "$V/bin/pip" install -q -r "$REQ" >&2
  cp "$REQ" "$V/requirements.txt"
fi
echo "$V/bin/python"
