#!/usr/bin/env bash
# Written FIFO depths of an HLS project against the smallest safe ones for the HLS code's own
# semantics: the cycle simulation (`half-gen csim DIR --cycles`) is run again with one stream at
# a time made shallower ($HALF_DEPTHS, read by include/host/half_cycles.h, no recompiling), and
# a binary search finds the smallest depth that neither deadlocks nor makes the cycles per
# frame or the frame latency more than 1 % longer (the other streams at their written depths).
# Also prints the simulation's time.
# Usage: bench/hls_fifo_depths.sh [board] [model...]   (default pynq-z2, every example model)
TAG=fifo-depths
. "$(dirname "$0")/examples.sh"
for m in "${MODELS[@]}"; do
    d="$OUT/$m"
    ./target/release/half-gen build "models/$m.yaml" --board "$BOARD" -o "$d" --frames 3 --force > /dev/null
    ./target/release/half-gen csim "$d" --cycles > /dev/null
    python3 - "$d/hls" "$m" <<'PY'
import os, re, subprocess, sys, time
hls, model = sys.argv[1], sys.argv[2]
exe = os.path.join(hls, "build", "csim-cycles")

def run(depths):
    env = dict(os.environ, HALF_DEPTHS=";".join(f"{k}={v}" for k, v in depths.items()))
    t = time.time()
    out = subprocess.run([exe, "-1", "tb"], cwd=hls, env=env, capture_output=True, text=True).stdout
    ok = re.search(r"HALF_CYCLES status=ok cycles_per_frame=([0-9.]+) latency=([0-9]+)", out)
    return ((float(ok.group(1)), int(ok.group(2))) if ok else None), out, time.time() - t

base, out, secs = run({})
base_cycles, base_latency = base
streams = re.findall(r'HALF_CYCLES stream="([^"]+)" depth=(\d+) max_occupancy=(\d+)', out)
print(f"## {model}: {base_cycles:.0f} cycles per frame, latency {base_latency}, one cycle simulation {secs:.2f} s", flush=True)
print("| stream | written depth | largest occupancy | smallest safe depth |")
print("|---|--:|--:|--:|")
for name, depth, occ in streams:
    depth = int(depth)
    if depth <= 2:
        continue
    lo, hi = 1, depth  # hi is safe
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        got, _, _ = run({name: mid})
        if got is not None and got[0] <= base_cycles * 1.01 and got[1] <= base_latency * 1.01:
            hi = mid
        else:
            lo = mid
    print(f"| {name} | {depth} | {occ} | {hi} |", flush=True)
PY
done
