#!/usr/bin/env bash
# Creates the Python environment of the example evaluator (examples/evaluators/, JAX on the
# CPU) in target/evaluator-venv when it is missing or its requirements changed, and prints the
# path of its python on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
V=target/evaluator-venv
REQ=examples/evaluators/requirements.txt
if [ ! -x "$V/bin/python" ] || ! cmp -s "$REQ" "$V/requirements.txt"; then
  echo "creating $V from $REQ" >&2
  rm -rf "$V"
  mkdir -p target
  python3 -m venv "$V"
  "$V/bin/pip" install -q -r "$REQ" >&2
  cp "$REQ" "$V/requirements.txt"
fi
echo "$PWD/$V/bin/python"
