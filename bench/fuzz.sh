#!/usr/bin/env bash
# Coverage-guided fuzzing of half-gen's loaders (model, search space, folding, board, weights)
# with AFL++ through the `afl` crate, on stable Rust (fuzz/README.md).
#
#   bench/fuzz.sh [EXECS]     executions per target (default 1000000)
#
# Environment: TARGETS (default "model space folding board weights"), JOBS (targets fuzzed at
# once, default 2), MEM_MB (memory limit of a target process, default 1024), TIMEOUT_MS
# (per input, default 1000), FUZZ_OUT (default fuzz/out), HALF_GEN_FUZZ_DEEP (set: the targets
# also fold what they loaded; slower), REPORT_ONLY (set: no build and no fuzzing, only the table
# of the runs already in FUZZ_OUT). Prints one line per target: executions, wall time,
# executions/s, peak RSS, findings, where they were saved. Exits 1 when any target has a finding.
# Peak RSS: `target_rss` is the largest resident set of the target's processes, sampled every
# second during the run; `afl_rss` that of afl-fuzz and every process it started (GNU time;
# afl-fuzz's own 300-odd MB included); `replay_rss` is the peak of the processes replaying
# the whole final corpus through the target. During the run, the target's
# address space is capped at MEM_MB (afl-fuzz -m): going over aborts it, which is a finding.
set -euo pipefail

EXECS=${1:-1000000}
TARGETS=${TARGETS:-"model space folding board weights"}
JOBS=${JOBS:-2}
MEM_MB=${MEM_MB:-1024}
TIMEOUT_MS=${TIMEOUT_MS:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${FUZZ_OUT:-$ROOT/fuzz/out}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target/fuzz}
BIN=$CARGO_TARGET_DIR/debug

if [ -z "${REPORT_ONLY:-}" ]; then
# Tools, by package name: cargo-afl (builds its bundled AFL++ when installed) and GNU time.
if ! command -v /usr/bin/time >/dev/null; then
    apt-get update -qq && apt-get install -y -qq time
fi
if ! cargo afl --version >/dev/null 2>&1; then
    cargo install --locked cargo-afl --version '^0.18'
fi
# AFL++ itself: a no-op (that fails harmlessly) when cargo-afl's install already built it.
cargo afl config --build >/dev/null 2>&1 || true

# `cargo afl build` instruments with SanitizerCoverage and enables debug assertions and
# overflow checks at opt-level 3, whatever the profile.
(cd "$ROOT/fuzz" && cargo afl build --locked --bins)
fi

SCRATCH=$(mktemp -d /dev/shm/half-gen-fuzz.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$OUT"

# Largest RSS (KiB) of the processes named fuzz-$1 (the forkserver and the persistent-mode
# children), sampled every second into $2 while process $3 (afl-fuzz's parent) lives.
sample_rss() {
    local max=0 r
    while kill -0 "$3" 2>/dev/null; do
        r=$( (ps -o rss= -C "fuzz-$1" || true) | sort -n | tail -n 1 | tr -d ' ')
        if [ -n "$r" ] && [ "$r" -gt "$max" ]; then max=$r; fi
        echo "$max" >"$2"
        sleep 1
    done
}

# Fuzzes one target into $OUT/<target>/ (AFL++'s output in default/, the run's log, the
# resource usage of afl-fuzz and all its children in time.txt, the sampled RSS of the target's
# processes in target_rss.txt).
run_one() {
    local t=$1 dict=yaml pid
    [ "$t" = weights ] && dict=npz
    rm -rf "${OUT:?}/$t"
    mkdir -p "$OUT/$t"
    AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_IGNORE_SEED_PROBLEMS=1 \
        AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 HALF_GEN_FUZZ_SCRATCH="$SCRATCH/$t" \
        /usr/bin/time -v -o "$OUT/$t/time.txt" \
        cargo afl fuzz -i "$ROOT/fuzz/seeds/$t" -o "$OUT/$t" -x "$ROOT/fuzz/dict/$dict.dict" \
        -m "$MEM_MB" -t "$TIMEOUT_MS" -E "$EXECS" -- "$BIN/fuzz-$t" >"$OUT/$t/afl.log" 2>&1 &
    pid=$!
    sample_rss "$t" "$OUT/$t/target_rss.txt" "$pid"
    wait "$pid" || echo "afl-fuzz exited with $? on $t (see $OUT/$t/afl.log)" >&2
}

for t in $TARGETS; do
    [ -n "${REPORT_ONLY:-}" ] && break
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
    echo "fuzzing $t ($EXECS executions)" >&2
    run_one "$t" &
done
wait

# Replays one saved input under the same memory limit and names what happened: a crash as
# panic, oom (failed allocation), stack (overflow) or abort (another signal); a hang as timeout
# when the replay also outlasts three times the limit. An input that replays cleanly is flaky
# (a hang then is most likely a load spike on the machine, and is not counted as a finding).
classify() {
    local t=$1 f=$2 log
    log=$( (ulimit -v $((MEM_MB * 1024)); HALF_GEN_FUZZ_SCRATCH="$SCRATCH/replay" \
        timeout "$((TIMEOUT_MS * 3))e-3" "$BIN/fuzz-replay" "$t" "$f") 2>&1 || echo "exit $?")
    case "$log" in
    *"memory allocation of"*) echo oom ;;
    *"panicked at"*) echo panic ;;
    *"overflowed its stack"*) echo stack ;;
    *"exit 124"*) echo timeout ;;
    *": ok" | *": error:"*) echo flaky ;;
    *) echo abort ;;
    esac
}

# Peak RSS (KiB) of the processes replaying the final corpus of target $1 (in batches, as
# xargs splits it; findings are replayed one by one by `classify`).
replay_rss() {
    local t=$1 d=$2
    rm -f "$OUT/$t/replay_rss.txt"
    find "$d/queue" -maxdepth 1 -type f -name 'id:*' -print0 |
        (ulimit -v $((MEM_MB * 1024)); HALF_GEN_FUZZ_SCRATCH="$SCRATCH/rss" \
            xargs -0 -r /usr/bin/time -a -f '%M' -o "$OUT/$t/replay_rss.txt" \
            timeout 600 "$BIN/fuzz-replay" "$t" >"$OUT/$t/replay.log" 2>&1) || true
    grep -hE '^[0-9]+$' "$OUT/$t/replay_rss.txt" 2>/dev/null | sort -n | tail -n 1 | grep . || echo 0
}

stat() { sed -n "s/^$1 *: *//p" "$2" | head -n 1; }

found=0
printf '%-8s %10s %8s %8s %10s %9s %10s %s\n' target execs wall_s exec/s target_rss afl_rss \
    replay_rss findings
for t in $TARGETS; do
    d=$OUT/$t/default
    s=$d/fuzzer_stats
    if [ ! -f "$s" ]; then
        printf '%-8s did not run (see %s)\n' "$t" "$OUT/$t/afl.log"
        found=1
        continue
    fi
    execs=$(stat execs_done "$s")
    wall=$(stat run_time "$s")
    rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/$t/time.txt")
    replay_kb=$(replay_rss "$t" "$d")
    target_kb=$(cat "$OUT/$t/target_rss.txt" 2>/dev/null || echo 0)
    declare -A n=([panic]=0 [oom]=0 [stack]=0 [abort]=0 [timeout]=0 [flaky]=0)
    for f in "$d"/crashes/id:* "$d"/hangs/id:*; do
        [ -e "$f" ] || continue
        k=$(classify "$t" "$f")
        n[$k]=$((n[$k] + 1))
        [ "$k" = flaky ] && [[ "$f" == */hangs/* ]] && hang_flaky=$((${hang_flaky:-0} + 1))
    done
    # A hang that replays cleanly is not a finding; a crash that does is (it may need state).
    total=$((n[panic] + n[oom] + n[stack] + n[abort] + n[timeout] + n[flaky] - ${hang_flaky:-0}))
    unset hang_flaky
    [ "$total" -gt 0 ] && found=1
    printf '%-8s %10s %8s %8s %8sMB %7sMB %8sMB %s\n' "$t" "$execs" "$wall" \
        "$(awk -v e="$execs" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0 ? e / w : 0) }')" \
        "$((${target_kb:-0} / 1024))" "$((${rss_kb:-0} / 1024))" "$((${replay_kb:-0} / 1024))" \
        "panic=${n[panic]} oom=${n[oom]} stack=${n[stack]} abort=${n[abort]} timeout=${n[timeout]} flaky=${n[flaky]} ($d/crashes, $d/hangs)"
    unset n
done
exit "$found"
