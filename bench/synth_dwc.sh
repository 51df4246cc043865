#!/usr/bin/env bash
# Yosys synthesis of the width converter `half_dwc` alone, for a sweep of (PI, PO, bits) on
# both FPGA families, next to the cost model's LUT formula (`ops::glue::dwc`). Prints a
# Markdown table. The same flow as `half-gen synth` (synth_xilinx -flatten -noiopad
# -noclkbuf); a converter has no multiplier or memory, so no workaround applies.
# Usage: bench/synth_dwc.sh          (about 1.5 minutes on 2 cores)
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/half-synth-dwc.XXXXXX")}
YOSYS=${HALF_GEN_YOSYS:-$(./scripts/yosys-env.sh | tail -n1)}
CONFIGS="1:4:8 1:8:4 1:32:2 2:8:8 2:16:4 3:8:8 4:1:8 4:6:8 4:8:8 6:4:8 8:1:4 8:2:8 8:3:8 8:4:8 12:8:4 16:1:8 16:2:4 16:32:4 32:1:4 32:16:4"
one() { # PI PO B FAMILY: Yosys cell statistics as JSON in $OUT
    local pi=$1 po=$2 b=$3 f=$4 n
    n=$(python3 -c "import math; print(2 * math.lcm($pi, $po))")
    "$YOSYS" -q -p "read_verilog hls/rtl/half_dwc.v; chparam -set N $n -set B $b -set PI $pi -set PO $po half_dwc; synth_xilinx -family $f -flatten -noiopad -noclkbuf -top half_dwc; tee -q -o $OUT/${pi}_${po}_${b}_$f.json stat -json" > "$OUT/${pi}_${po}_${b}_$f.log" 2>&1
}
export -f one
export OUT YOSYS
for c in $CONFIGS; do
    for f in xc7 xcup; do echo "${c//:/ } $f"; done
done | xargs -P 2 -L 1 bash -c 'one "$@"' _
python3 - "$OUT" $CONFIGS <<'PY'
import json, math, sys
out, configs = sys.argv[1], sys.argv[2:]
def luts(pi, po, b, f):
    cells = json.load(open(f"{out}/{pi}_{po}_{b}_{f}.json"))["design"]["num_cells_by_type"]
    return sum(v for k, v in cells.items() if (k.startswith("LUT") and len(k) == 4) or k == "INV")
def model(pi, po, b):
    # ops::glue::dwc: 1.15 B M + 13, M = g q (q + 1) / 2 + (CAP - PI) q
    g = math.gcd(pi, po); cap = pi + po + min(pi, po) - g; q = pi // g
    m = g * q * (q + 1) // 2 + (cap - pi) * q
    return math.ceil(1.15 * b * m) + 13
print("| PI -> PO | bits | model LUT | xc7 LUT | err % | xcup LUT | err % | xcup / xc7 |")
print("|---|--:|--:|--:|--:|--:|--:|--:|")
tot = [0, 0, 0]
for c in configs:
    pi, po, b = map(int, c.split(":"))
    e, x, u = model(pi, po, b), luts(pi, po, b, "xc7"), luts(pi, po, b, "xcup")
    tot = [tot[0] + e, tot[1] + x, tot[2] + u]
    print(f"| {pi} -> {po} | {b} | {e} | {x} | {100 * (e - x) / x:+.1f} | {u} | {100 * (e - u) / u:+.1f} | {u / x:.2f} |")
e, x, u = tot
print(f"| all | | {e} | {x} | {100 * (e - x) / x:+.1f} | {u} | {100 * (e - u) / u:+.1f} | {u / x:.2f} |")
PY
