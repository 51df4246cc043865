#!/usr/bin/env bash
# Creates the Python environment of the example evaluator (examples/evaluators/, JAX on the
# CPU) in target/evaluator-venv when it is missing or its requirements changed, and prints the
# path of its python on the last line. When the environment is up to date it only compares the
# requirements file (well under a second).
#
# HALF_EVALUATOR_VENV=DIR puts (or finds) the environment in DIR instead (relative to the
# current directory), e.g. to share one environment between several copies of the repository
# (tests/readme.rs does). As the default one, DIR is (re)created when it does not exist or
# is a virtual environment made from other requirements; anything else there is an error.
set -euo pipefail
V="${HALF_EVALUATOR_VENV:-}"
if [ -n "$V" ] && [ "${V#/}" = "$V" ]; then
  V="$PWD/$V"
fi
cd "$(dirname "$0")/.."
V="${V:-$PWD/target/evaluator-venv}"
REQ=examples/evaluators/requirements.txt
if [ ! -x "$V/bin/python" ] || ! cmp -s "$REQ" "$V/requirements.txt"; then
  if [ -e "$V" ] && [ ! -f "$V/pyvenv.cfg" ]; then
    echo "evaluator-env.sh: $V exists and is not a virtual environment; not replacing it" >&2
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
