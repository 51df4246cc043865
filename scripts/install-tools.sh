#!/usr/bin/env bash
# Installs the tools half-gen's tests drive (from Debian packages, by package name), when missing:
# g++ and make (C simulation), tclsh (the Vitis Tcl script test), unzip (official ap_int headers),
# verilator (RTL co-simulation) and python3-venv (the Python environments of the example
# evaluator, scripts/evaluator-env.sh, and of Yosys 0.70, scripts/yosys-env.sh); ccache, which
# scripts/test.sh hands to Verilator's builds (OBJCACHE) so that its runtime library is
# compiled once, not once per co-simulation.
set -euo pipefail
need=()
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
command -v tclsh >/dev/null 2>&1 || need+=(tcl)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
command -v python3 >/dev/null 2>&1 || need+=(python3 python3-pip)
python3 -m venv --help >/dev/null 2>&1 || need+=(python3-venv)
command -v verilator >/dev/null 2>&1 || need+=(verilator)
command -v ccache >/dev/null 2>&1 || need+=(ccache)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi
