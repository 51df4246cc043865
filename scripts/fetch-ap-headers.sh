#!/usr/bin/env bash
# Fetches the official open-source Xilinx arbitrary precision headers (ap_int.h and friends,
# Apache-2.0) that the hls4ml wheel ships under hls4ml/templates/vivado/ap_types/, so the host
# shim test (hls/tests/host_shim_test.cpp) can also be built against them.
#
# Prints the directory that holds ap_int.h as the last line on stdout; everything else goes to
# stderr. The wheel and the extracted headers live in a cache outside the work tree
# (${HALF_CACHE:-$HOME/.cache/half-gen}) and are reused when present. The headers are never
# committed. Exits non-zero with a message when they cannot be had.
set -euo pipefail

HLS4ML_VERSION=1.1.0
# sha256 of hls4ml-1.1.0-py3-none-any.whl
HLS4ML_WHEEL_SHA256=f598b51c76932317e1c82a2c4dca7076bfd02d43e0210ba79b0c8abae5862ac4
AP_TYPES_SUBDIR=hls4ml/templates/vivado/ap_types

die() {
  echo "fetch-ap-headers: error: $*" >&2
  exit 1
}

cache="${HALF_CACHE:-${HOME:?HOME is not set and HALF_CACHE is not given}/.cache/half-gen}"
dest="$cache/hls4ml-$HLS4ML_VERSION"
dir="$dest/$AP_TYPES_SUBDIR"

if [[ -f "$dir/ap_int.h" ]]; then
  echo "$dir"
  exit 0
fi

mkdir -p "$cache/wheels" || die "cannot create cache directory $cache"
wheel="$cache/wheels/hls4ml-$HLS4ML_VERSION-py3-none-any.whl"

if [[ ! -f "$wheel" ]]; then
  command -v python3 >/dev/null || die "python3 is needed to download the hls4ml wheel"
  echo "fetch-ap-headers: downloading hls4ml==$HLS4ML_VERSION with pip" >&2
  python3 -m pip download --no-deps --only-binary=:all: --dest "$cache/wheels" \
    "hls4ml==$HLS4ML_VERSION" >&2 ||
    die "pip could not download hls4ml==$HLS4ML_VERSION (no network or no pip?)"
  [[ -f "$wheel" ]] || die "pip finished but $wheel is missing"
fi

actual="$(sha256sum "$wheel" | cut -d' ' -f1)" || die "cannot hash $wheel"
if [[ "$actual" != "$HLS4ML_WHEEL_SHA256" ]]; then
  rm -f "$wheel"
  die "$wheel has sha256 $actual, expected $HLS4ML_WHEEL_SHA256 (removed; run again)"
fi

tmp="$(mktemp -d "$cache/.ap-types.XXXXXX")" || die "cannot create a temporary directory in $cache"
trap 'rm -rf "$tmp"' EXIT

if command -v unzip >/dev/null; then
  unzip -q "$wheel" "$AP_TYPES_SUBDIR/*" -d "$tmp" >&2 ||
    die "unzip could not extract $AP_TYPES_SUBDIR from $wheel"
else
  python3 - "$wheel" "$AP_TYPES_SUBDIR/" "$tmp" <<'PY' >&2 || die "could not extract $AP_TYPES_SUBDIR from $wheel"
import sys, zipfile
wheel, prefix, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith(prefix)]
    if not names:
        sys.exit("no " + prefix + " in " + wheel)
    z.extractall(out, names)
PY
fi

[[ -f "$tmp/$AP_TYPES_SUBDIR/ap_int.h" ]] || die "$wheel has no $AP_TYPES_SUBDIR/ap_int.h"

# Publish atomically: another run may have finished first, which is fine.
if [[ ! -f "$dir/ap_int.h" ]]; then
  rm -rf "$dest"
  mv "$tmp" "$dest" || die "cannot move the extracted headers to $dest"
fi

echo "$dir"
