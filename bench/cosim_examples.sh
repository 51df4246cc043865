#!/usr/bin/env bash
# Verilator co-simulation of every example model at its default folding on a board (default
# pynq-z2): model vs measured cycles per frame and latency, Verilator build time and simulation
# speed, FIFO bits and sizing time. Prints a Markdown table. Wide foldings make Verilator builds
# of several minutes (TFC's first layer unrolls 7168 products); this is a measurement script, not
# a test.
# Usage: bench/cosim_examples.sh [board] [model...]
TAG=cosim-examples
. "$(dirname "$0")/examples.sh"
echo "| model | board | cycles/frame model | measured | err % | latency model | measured | err % | bit-exact | Verilator build s | sim cycles/s | FIFO bits | sizing ms |"
echo "|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|"
for m in "${MODELS[@]}"; do
    d="$OUT/$m"
    ./target/release/half-gen build "models/$m.yaml" --board "$BOARD" -o "$d" --frames 3 --force > /dev/null
    ./target/release/half-gen cosim "$d" --json > "$d/cosim.json" || true
    ms=$(./target/release/half-gen estimate "models/$m.yaml" --board "$BOARD" | sed -n 's/.*schedule in \([0-9]*\) ms.*/\1/p')
    python3 - "$d" "$m" "$BOARD" "$ms" <<'PY'
import json, sys
d, m, board, ms = sys.argv[1:5]
c = json.load(open(f"{d}/cosim.json"))
e = json.load(open(f"{d}/report/estimate.json"))
s = e["schedule"]
print(f"| {m} | {board} | {c['model_cycles_per_frame']:.0f} | {c['measured_cycles_per_frame']:.0f} | {c['cycles_error_pct']:.2f} "
      f"| {c['model_latency_cycles']} | {c['measured_latency_cycles']} | {c['latency_error_pct']:.2f} | {c['passed']} "
      f"| {c['build_s']:.0f} | {c['cycles_per_s']:.0f} | {s['fifo_bits']} | {ms} |")
PY
done
