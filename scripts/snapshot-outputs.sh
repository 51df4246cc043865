#!/usr/bin/env bash
# Writes what a half-gen binary produces for every example and test model and search space
# into one directory, so two binaries can be compared byte for byte (`diff -r A B`): the
# refactors of part 5 must leave every output unchanged.
#
#   scripts/snapshot-outputs.sh BINARY OUTDIR
#
# Per model (models/*.yaml, tests/data/*.yaml): `estimate --json` on pynq-z2 and zcu104 (with
# the exit code and stderr, so refusals compare too) and the `build` tree on pynq-z2.
# Per space (models/spaces/*.yaml, examples/evaluators/digits_space.yaml): a seeded proxy
# search (everything but the timings of history.jsonl and of the summary) and `lut --json`.
set -euo pipefail
BIN=$(realpath "$1")
OUT=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$OUT"
mkdir -p "$OUT/estimate" "$OUT/build" "$OUT/search" "$OUT/lut"
OUT=$(realpath "$OUT")
cd "$ROOT"
for m in models/*.yaml tests/data/*.yaml; do
    n=$(basename "$m" .yaml)
    case "$n" in *_finn) continue ;; esac  # foldings, used below
    for b in pynq-z2 zcu104; do
        set +e
        "$BIN" estimate "$m" --board "$b" --json > "$OUT/estimate/$n-$b.json" 2> "$OUT/estimate/$n-$b.err"
        echo "exit $?" >> "$OUT/estimate/$n-$b.err"
        set -e
    done
    set +e
    "$BIN" build "$m" --board pynq-z2 --frames 3 -o "$OUT/build/$n" > /dev/null 2> "$OUT/build/$n.err"
    echo "exit $?" >> "$OUT/build/$n.err"
    set -e
done
# The FINN foldings of tests/finn_folding.rs, pinned.
for f in tfc_w1a1:tfc_finn cnv_w1a1:cnv_w1a1_finn cnv_w2a2:cnv_w2a2_finn; do
    m=${f%%:*}
    "$BIN" estimate "models/$m.yaml" --folding "tests/data/${f##*:}.yaml" --json \
        > "$OUT/estimate/$m-finn.json"
done
for s in models/spaces/*.yaml examples/evaluators/digits_space.yaml; do
    n=$(basename "$s" .yaml)
    "$BIN" search "$s" --board pynq-z2 --proxy macs --seed 7 --evaluations 300 --jobs 2 \
        -o "$OUT/search/$n" --json | grep -v '"seconds"\|"evaluations_per_s"\|"dir"' \
        > "$OUT/search/$n.summary.json"
    # Wall times differ from run to run.
    sed -i 's/"seconds":[0-9.e-]*/"seconds":0/' "$OUT/search/$n/history.jsonl"
    "$BIN" lut "$s" --board pynq-z2 --max-archs 2000 --json > "$OUT/lut/$n.json"
done
# Builds of the first Pareto points of the ResNet space: more varied layers than the examples.
for p in $(ls "$OUT/search/cifar_resnet/pareto/"*.yaml | head -n 4); do
    "$BIN" build "$p" --board pynq-z2 --frames 2 -o "$OUT/build/pareto-$(basename "$p" .yaml)" > /dev/null
done
echo "wrote $OUT"
