#!/usr/bin/env bash
# Builds and runs the half_swg testbench (tb_swg.cpp) for a list of parameter sets.
#
#   hls/rtl/tests/swg/run.sh [name-filter]
#
# Environment: BUILD (build directory, default /tmp/half_swg_tests), RELEASE (module parameter,
# default 1; RELEASE=0 reports the throughput of the row-granular buffer release instead of
# failing on it), SEEDS (stall runs per case, default 3), CASES_FILE (a file of case lines in the
# format below, replacing the built-in list).
#
# Each case: lint (verilator --lint-only -Wall), then verilator --cc --exe --build -Wall with the
# parameters as -G and as -DSWG_* for the testbench, then one run without stalls (checks data,
# steady-state cycles per frame == max(IN_WORDS, OUT_WORDS) and the first-output latency) and
# runs with random s_axis_tvalid / m_axis_tready drops (checks data, AXI rules, no hang).
# The module is built from a copy named half_swg.v: Verilator's -Wall includes DECLFILENAME,
# which wants the file named after the module (as hls/rtl/half_mvu.v etc.).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
RTL="$HERE/../../half_swg.v"
BUILD="${BUILD:-/tmp/half_swg_tests}"
RELEASE="${RELEASE:-1}"
SEEDS="${SEEDS:-3}"
FILTER="${1:-}"
mkdir -p "$BUILD"

# EXCESS: cycles per frame above max(IN_WORDS, OUT_WORDS) the design is known to need (checked
# exactly; -1: report only). The last two cases have one, see "Limits" in hls/rtl/half_swg.v.
#      name          IH IW  C KH KW SH SW PT PB PL PR P B OB KP DW PADRAW EXCESS
CASES=(
  "same3x3_8x8x4      8  8  4  3  3  1  1  1  1  1  1 2 4 4  1  0    0  0"
  "cnv_conv0         32 32  3  3  3  1  1  0  0  0  0 3 8 8  1  0    0  0"
  "s2_pad0101       16 16 16  3  3  2  2  0  1  0  1 4 4 4  1  0    0  0"
  "pool2x2s2_dw      8  8  8  2  2  2  2  0  0  0  0 4 4 4  1  1    0  0"
  "dw3x3_kp3_7x9     7  9  4  3  3  1  1  1  1  1  1 2 4 4  3  1    0  0"
  "dscnn_10x4s2     49 10  1 10  4  2  2  4  5  1  1 1 8 8  1  0    0  0"
  "bipolar_same      6  7  8  3  3  1  1  1  1  1  1 4 1 2  1  0    0  0"
  "bipolar_dw_kp9    5  6  4  3  3  1  1  1  1  1  1 2 1 2  9  1    0  0"
  "asym1021_7x9      7  9  6  3  3  1  1  1  0  2  1 3 5 5  1  0    0  0"
  "asym1021_s2_9x11  9 11  4  3  3  2  2  1  0  2  1 2 3 3  1  0    0  0"
  "decim1x1s2_9x7    9  7  4  1  1  2  2  0  0  0  0 2 4 4  1  0    0  0"
  "pass1x1s1         5  6  4  1  1  1  1  0  0  0  0 2 4 4  1  0    0  0"
  "maxpool3x3s2_pad  9  9  4  3  3  2  2  1  1  1  1 2 8 8  1  1  128  0"
  "conv5x3s1_valid  12  9  2  5  3  1  1  0  0  0  0 1 6 6  1  0    0  0"
  "dw3x3_valid_kp3  10 12  6  3  3  1  1  0  0  0  0 3 4 4  3  1    0  6"
  "conv6x4_s12_valid 13 14 2 6  4  1  2  0  0  0  0 2 6 6  1  0    0  4"
)
if [[ -n "${CASES_FILE:-}" ]]; then
  mapfile -t CASES < <(grep -v '^[[:space:]]*\(#\|$\)' "$CASES_FILE")
fi

fail=0
summary=()
for line in "${CASES[@]}"; do
  read -r name IH IW C KH KW SH SW PT PB PL PR P B OB KP DW PADRAW EXCESS <<<"$line"
  if [[ -n "$FILTER" && "$name" != *"$FILTER"* ]]; then continue; fi
  dir="$BUILD/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$RTL" "$dir/half_swg.v"
  gparams=(-GIH=$IH -GIW=$IW -GC=$C -GKH=$KH -GKW=$KW -GSH=$SH -GSW=$SW -GPT=$PT -GPB=$PB
           -GPL=$PL -GPR=$PR -GP=$P -GB=$B -GOB=$OB -GKP=$KP -GDW=$DW -GPADRAW=$PADRAW
           -GRELEASE=$RELEASE)
  defs="-DSWG_IH=$IH -DSWG_IW=$IW -DSWG_C=$C -DSWG_KH=$KH -DSWG_KW=$KW -DSWG_SH=$SH -DSWG_SW=$SW"
  defs+=" -DSWG_PT=$PT -DSWG_PB=$PB -DSWG_PL=$PL -DSWG_PR=$PR -DSWG_P=$P -DSWG_B=$B -DSWG_OB=$OB"
  defs+=" -DSWG_KP=$KP -DSWG_DW=$DW -DSWG_PADRAW=$PADRAW -DSWG_RELEASE=$RELEASE"
  echo "=== $name: IH=$IH IW=$IW C=$C K=${KH}x$KW S=${SH}x$SW pads=($PT,$PB,$PL,$PR) P=$P B=$B OB=$OB KP=$KP DW=$DW PADRAW=$PADRAW RELEASE=$RELEASE"
  if ! verilator --lint-only -Wall "${gparams[@]}" "$dir/half_swg.v" >"$dir/lint.log" 2>&1; then
    cat "$dir/lint.log"
    echo "FAIL $name: lint"
    fail=1
    summary+=("FAIL $name (lint)")
    continue
  fi
  if ! verilator --cc --exe --build -Wall -O2 -j 2 --top-module half_swg "${gparams[@]}" \
      -CFLAGS "-O2 $defs" -Mdir "$dir/obj" -o Vhalf_swg \
      "$dir/half_swg.v" "$HERE/tb_swg.cpp" >"$dir/build.log" 2>&1; then
    tail -30 "$dir/build.log"
    echo "FAIL $name: build"
    fail=1
    summary+=("FAIL $name (build)")
    continue
  fi
  ok=1
  echo "--- no stalls"
  if ! "$dir/obj/Vhalf_swg" 0 0 1 5 "${EXCESS:-0}" | tee "$dir/timing.log"; then ok=0; fi
  for s in $(seq 1 "$SEEDS"); do
    for drops in "0.3 0.3" "0.6 0" "0 0.6"; do
      if ! "$dir/obj/Vhalf_swg" $drops $((s * 7919)) 3 >"$dir/stall.log" 2>&1; then
        cat "$dir/stall.log"
        echo "stall run failed: drops $drops seed $((s * 7919))"
        ok=0
      fi
    done
  done
  t="$(grep -o 'steady_cycles_per_frame=[0-9-]* first_out_after_first_in=[0-9-]*' "$dir/timing.log" || true)"
  t+=" $(grep -o 'frame0_last_out_after_first_in=[0-9-]*' "$dir/timing.log" || true)"
  w="$(grep -o 'IN_WORDS=[0-9]* OUT_WORDS=[0-9]*' "$dir/timing.log" || true)"
  if [[ $ok == 1 ]]; then
    summary+=("PASS $name: $w $t")
  else
    summary+=("FAIL $name: $w $t")
    fail=1
  fi
done

echo
echo "=== summary (RELEASE=$RELEASE)"
printf '%s\n' "${summary[@]}"
exit $fail
