#!/usr/bin/env bash
# Yosys synthesis (half-gen synth) of every example model at its default folding on a board
# (default pynq-z2): estimate vs Yosys LUT, FF, BRAM18 and DSP totals with error %, stages
# whose BRAM18 or DSP count differs, and the Yosys wall time. Prints a Markdown table. Wide
# foldings take Yosys several minutes; this is a measurement
# script, not a test.
# Usage: bench/synth_examples.sh [board] [model...]
TAG=synth-examples
. "$(dirname "$0")/examples.sh"
HALF_GEN_YOSYS=${HALF_GEN_YOSYS:-$(./scripts/yosys-env.sh | tail -n1)}
export HALF_GEN_YOSYS
echo "| model | board | LUT est / Yosys | err % | FF est / Yosys | err % | BRAM18 est / Yosys | DSP est / Yosys | stages (BRAM18, DSP exact) | Yosys wall s |"
echo "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"
for m in "${MODELS[@]}"; do
    d="$OUT/$m"
    ./target/release/half-gen build "models/$m.yaml" --board "$BOARD" -o "$d" --force > /dev/null
    ./target/release/half-gen synth "$d" --json > "$d/synth.json" || true
    python3 - "$d" "$m" "$BOARD" <<'PY'
import json, sys
d, m, board = sys.argv[1:4]
r = json.load(open(f"{d}/synth.json"))
t = r["total"]
e, y, p = t["estimate"], t["yosys"], t["error_pct"]
stages = r["stages"]
exact = sum(1 for s in stages
            if s["estimate"]["bram18"] == s["yosys"]["bram18"] and s["estimate"]["dsp"] == s["yosys"]["dsp"])
fmt = lambda v: "n/a" if v is None else f"{v:+.1f}"
print(f"| {m} | {board} | {e['lut']} / {y['lut']} | {fmt(p['lut'])} | {e['ff']} / {y['ff']} | {fmt(p['ff'])} "
      f"| {e['bram18']} / {y['bram18']} | {e['dsp']} / {y['dsp']} | {exact} of {len(stages)} | {r['wall_s']:.0f} |")
if r["failed"]:
    print(f"<!-- {m}: {r['failed']} stage(s) failed -->")
PY
done
