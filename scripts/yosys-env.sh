#!/usr/bin/env bash
# Installs the Yosys that half-gen's cost model is calibrated to (0.70, from the pyosys
# package, scripts/yosys-requirements.txt) into a virtual environment, target/yosys-venv, when
# it is missing or its requirements changed, and prints the path of its `yosys` command on the
# last line (scripts/pyosys-yosys.py; `half-gen synth` runs it when HALF_GEN_YOSYS names it or
# it comes first on PATH). When the environment is up to date this only compares two files.
#
# HALF_YOSYS_VENV=DIR puts (or finds) the environment in DIR instead (relative to the current
# directory). DIR is (re)created when it does not exist or is a virtual environment made from
# other requirements; anything else there is an error.
set -euo pipefail
V="${HALF_YOSYS_VENV:-}"
if [ -n "$V" ] && [ "${V#/}" = "$V" ]; then
  V="$PWD/$V"
fi
cd "$(dirname "$0")/.."
V="${V:-$PWD/target/yosys-venv}"
REQ=scripts/yosys-requirements.txt
LAUNCHER=scripts/pyosys-yosys.py
if [ ! -x "$V/bin/yosys" ] || ! cmp -s "$REQ" "$V/requirements.txt" \
  || ! cmp -s <(tail -n +2 "$LAUNCHER") <(tail -n +2 "$V/bin/yosys"); then
  if [ -e "$V" ] && [ ! -f "$V/pyvenv.cfg" ]; then
    echo "yosys-env.sh: $V exists and is not a virtual environment; not replacing it" >&2
    exit 1
  fi
  echo "creating $V from $REQ" >&2
  rm -rf "$V"
  mkdir -p "$(dirname "$V")"
  python3 -m venv "$V"
  "$V/bin/pip" install -q -r "$REQ" >&2
  { echo "#!$V/bin/python"; tail -n +2 "$LAUNCHER"; } > "$V/bin/yosys"
  chmod +x "$V/bin/yosys"
  cp "$REQ" "$V/requirements.txt"
fi
echo "$V/bin/yosys"
