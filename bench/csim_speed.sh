#!/usr/bin/env bash
# Speed of the HLS project's C simulation (`half-gen csim DIR`, g++ on the host) and of its
# cycle simulation (`--cycles`): compile seconds and simulated frames per second, per model.
# Part 6's aim for ResNet-8: compile under 5 s, at least 50 frames/s (hls4ml 1.3.0 here:
# 10.5 s and 5.5 frames/s). Run it on an idle machine: both are wall-clock times.
# Usage: bench/csim_speed.sh [board] [model...]   (default pynq-z2, every example model)
TAG=csim-speed
. "$(dirname "$0")/examples.sh"
printf '%-18s %12s %10s %12s %10s %12s\n' model "csim compile" "frames/s" "cyc compile" "frames/s" "iterations"
for m in "${MODELS[@]}"; do
    d="$OUT/$m"
    ./target/release/half-gen build "models/$m.yaml" --board "$BOARD" -o "$d" --force > /dev/null
    c=$(./target/release/half-gen csim "$d" --json)
    y=$(./target/release/half-gen csim "$d" --cycles --json)
    python3 - "$m" "$c" "$y" <<'PY'
import json, sys
m, c, y = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
cyc_fps = y["frames"] / y["run_s"] if y.get("run_s") else float("nan")
it = c.get("iterations", [])
agree = f'{sum(1 for p in it if p["agrees"])} of {len(it)}'
print(f'{m:<18} {c["compile_s"]:>10.1f} s {c["fps"]:>10.1f} {y["compile_s"]:>10.1f} s {cyc_fps:>10.1f} {agree:>12}')
PY
done
