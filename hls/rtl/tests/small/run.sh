#!/usr/bin/env bash
# Unit tests of the small RTL stages (half_fifo, half_fork, half_dwc, half_add, half_pool,
# half_vvu, half_axis_in, half_axis_out): for every parameter set below
#   1. verilator --lint-only -Wall with those parameters,
#   2. a Verilator C++ testbench (tb_<unit>.cpp) built with -Wall, the parameters given as -G to
#      verilator and as -DP_<name> to the C++ model,
#   3. one run without stalls (exact latency of every output word and exact steady-state cycles
#      per frame asserted) and one run per stall probability in STALLS, each with a different
#      seed (random tvalid/tready drops; bit-exact results, watchdog),
#   4. with SYNTH=1 (default when yosys is installed), yosys `synth` of the parameter set, and
#      with GLS=1 also the testbench on yosys' gate-level netlist.
# The testbenches and yosys run in the parameter set's build directory, so memory files a
# testbench writes there (tb_vvu: w.hex, b.hex, q.hex) are the ones $readmemh reads.
#
# Usage: run.sh [unit...]            (units: fifo fork dwc add pool vvu axis; default all)
# Environment: STALLS="0.2 0.5" (stall probabilities), FRAMES=6, SEED=1, SYNTH=0/1, GLS=0/1,
#              BUILD=<dir> (build directory; default a fresh temporary one), JOBS=4.
# Exit status: 0 when everything passed, 1 otherwise (the failures are listed).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
RTL=$(cd "$HERE/../.." && pwd)
STALLS=${STALLS:-"0.2 0.5"}
FRAMES=${FRAMES:-6}
SEED=${SEED:-1}
JOBS=${JOBS:-4}
BUILD=${BUILD:-$(mktemp -d "${TMPDIR:-/tmp}/half-rtl-small.XXXXXX")}
GLS=${GLS:-0}
if [ -z "${SYNTH:-}" ]; then
    if command -v yosys >/dev/null 2>&1; then SYNTH=1; else SYNTH=0; fi
fi
mkdir -p "$BUILD"
WANT=("$@")
FAILED=()
COUNT=0

wanted() {
    [ ${#WANT[@]} -eq 0 ] && return 0
    local w
    for w in "${WANT[@]}"; do [ "$w" = "$1" ] && return 0; done
    return 1
}

# case_ <unit> <top module> "<rtl files>" [NAME=VALUE ...]
# NAME=VALUE is a module parameter (-G, yosys chparam) and a testbench define P_NAME (unless the
# value is a string); D:NAME=VALUE is a testbench define only.
case_() {
    local unit=$1 top=$2 files=$3
    shift 3
    wanted "$unit" || return 0
    COUNT=$((COUNT + 1))
    local id="${COUNT}_${top}"
    local g=() d="" chp="" kv name val
    for kv in "$@"; do
        if [ "${kv:0:2}" = "D:" ]; then         # testbench-only define
            d="$d -DP_${kv:2}"
            continue
        fi
        name=${kv%%=*}
        val=${kv#*=}
        g+=("-G$kv")
        if [ "${val:0:1}" = '"' ]; then
            chp="$chp -set $name $val"
        elif [ "${val:0:1}" = "-" ]; then     # yosys chparam takes no minus sign
            d="$d -DP_$kv"
            chp="$chp -set $name 32'sh$(printf '%08x' $((val & 0xffffffff)))"
        else
            d="$d -DP_$kv"
            chp="$chp -set $name $val"
        fi
    done
    local src=()
    local f
    for f in $files; do src+=("$RTL/$f"); done
    local dir="$BUILD/$id"
    mkdir -p "$dir"
    echo "=== [$id] $top $*"
    if ! verilator --lint-only -Wall --top-module "$top" "${g[@]}" "${src[@]}" >"$dir/lint.log" 2>&1; then
        cat "$dir/lint.log"
        FAILED+=("$id lint")
        return
    fi
    if ! verilator --cc --exe --build -Wall -j "$JOBS" --x-assign unique --x-initial unique \
        --top-module "$top" "${g[@]}" \
        -CFLAGS "-O1 -I$HERE $d" --Mdir "$dir/obj" -o tb "${src[@]}" "$HERE/tb_$unit.cpp" \
        >"$dir/build.log" 2>&1; then
        tail -30 "$dir/build.log"
        FAILED+=("$id build")
        return
    fi
    local s n=0 rc
    for s in 0 $STALLS; do
        n=$((n + 1))
        (cd "$dir" && timeout 300 "$dir/obj/tb" "$s" $((SEED + n)) "$FRAMES") >"$dir/run_$s.log" 2>&1
        rc=$?
        if [ "$s" = 0 ]; then
            grep -E "latency|cycles per frame|coverage|occupancy" "$dir/run_$s.log"
        fi
        if [ $rc -ne 0 ]; then
            cat "$dir/run_$s.log"
            FAILED+=("$id stall=$s rc=$rc")
        else
            echo "  stall $s: $(tail -1 "$dir/run_$s.log")"
        fi
    done
    if [ "$SYNTH" = 1 ]; then
        if (cd "$dir" && yosys -q -p "read_verilog -defer ${src[*]}; chparam$chp $top; hierarchy -check -top $top; synth -flatten -top $top; write_verilog -noattr $dir/netlist.v") \
            >"$dir/synth.log" 2>&1; then
            echo "  yosys synth: ok"
        else
            tail -20 "$dir/synth.log"
            FAILED+=("$id synth")
            return
        fi
        if [ "$GLS" = 1 ]; then
            # The same testbench on yosys' gate-level netlist (no stalls, and the last stall).
            if ! verilator --cc --exe --build -Wno-fatal -Wno-lint -Wno-style -j "$JOBS" \
                --x-assign unique --x-initial unique --top-module "$top" \
                -CFLAGS "-O1 -I$HERE $d" --Mdir "$dir/gls" -o tb "$dir/netlist.v" "$HERE/tb_$unit.cpp" \
                >"$dir/gls_build.log" 2>&1; then
                tail -30 "$dir/gls_build.log"
                FAILED+=("$id netlist build")
                return
            fi
            for s in 0 "${STALLS##* }"; do
                if (cd "$dir" && timeout 300 "$dir/gls/tb" "$s" $((SEED + 7)) "$FRAMES") >"$dir/gls_$s.log" 2>&1; then
                    echo "  netlist, stall $s: $(tail -1 "$dir/gls_$s.log")"
                else
                    cat "$dir/gls_$s.log"
                    FAILED+=("$id netlist stall=$s")
                fi
            done
        fi
    fi
}

RQ="half_finish.v half_requant.v half_const_mul.v"

# ---- half_fifo ----
case_ fifo half_fifo "half_fifo.v" W=8 DEPTH=1
case_ fifo half_fifo "half_fifo.v" W=8 DEPTH=2
case_ fifo half_fifo "half_fifo.v" W=1 DEPTH=3
case_ fifo half_fifo "half_fifo.v" W=13 DEPTH=5 RAM_STYLE='"distributed"'
case_ fifo half_fifo "half_fifo.v" W=70 DEPTH=4
case_ fifo half_fifo "half_fifo.v" W=36 DEPTH=64 RAM_STYLE='"block"'

# ---- half_fork ----
case_ fork half_fork "half_fork.v" W=12 WAYS=2
case_ fork half_fork "half_fork.v" W=1 WAYS=3
case_ fork half_fork "half_fork.v" W=100 WAYS=4

# ---- half_dwc: N B PI PO ----
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=24 B=4 PI=2 PO=3
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=24 B=4 PI=3 PO=2
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=16 B=3 PI=1 PO=8
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=16 B=3 PI=8 PO=1
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=60 B=5 PI=6 PO=4
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=60 B=5 PI=4 PO=6
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=48 B=2 PI=16 PO=12
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=64 B=8 PI=32 PO=2
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=12 B=7 PI=3 PO=3
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=10 B=1 PI=5 PO=2
# rows with a short last word (padded lanes): N B PI PO LI LO
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=39 B=4 PI=3 PO=4 LI=3 LO=13
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=39 B=4 PI=4 PO=3 LI=13 LO=3
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=30 B=3 PI=4 PO=3 LI=5 LO=5
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=32 B=5 PI=3 PO=16 LI=16 LO=16
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=32 B=5 PI=16 PO=3 LI=16 LO=32
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=20 B=2 PI=3 PO=3 LI=10 LO=20
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=36 B=6 PI=7 PO=7 LI=12 LO=9
case_ dwc half_dwc "half_dwc.v half_row_words.v" N=12 B=1 PI=5 PO=1 LI=12 LO=12

# ---- half_add ----
ADD="half_add.v half_fifo.v $RQ"
# unsigned + signed -> signed, saturating both ways, shift > 0
case_ add half_add "$ADD" WORDS=12 PE=4 AB=8 AS=0 BB=8 BS=1 ACC=20 HAS_RQ=1 SB=9 OB=8 OS=1 RELU=0 SCALE_A=37 SCALE_B=-90 SHIFT=5
# bipolar + bipolar -> bipolar, shift 0
case_ add half_add "$ADD" WORDS=8 PE=8 AB=1 AS=0 BB=1 BS=0 ACC=6 HAS_RQ=1 SB=4 OB=1 OS=0 RELU=0 SCALE_A=3 SCALE_B=-2 SHIFT=0
# signed + bipolar -> unsigned with relu, shift > 0
case_ add half_add "$ADD" WORDS=10 PE=3 AB=4 AS=1 BB=1 BS=1 ACC=12 HAS_RQ=1 SB=6 OB=4 OS=0 RELU=1 SCALE_A=5 SCALE_B=-17 SHIFT=2
# signed + signed -> signed, relu, wide words (> 64 bits), shift > 0
case_ add half_add "$ADD" WORDS=6 PE=16 AB=8 AS=1 BB=8 BS=1 ACC=24 HAS_RQ=1 SB=10 OB=8 OS=1 RELU=1 SCALE_A=100 SCALE_B=50 SHIFT=6
# unsigned + unsigned -> unsigned, shift 0, accumulator narrow enough to wrap
case_ add half_add "$ADD" WORDS=9 PE=2 AB=8 AS=0 BB=6 BS=0 ACC=11 HAS_RQ=1 SB=5 OB=6 OS=0 RELU=0 SCALE_A=13 SCALE_B=-9 SHIFT=0
# the same scalings by shift-adds in the fabric (half_const_mul): a negative scale, a wrap
case_ add half_add "$ADD" WORDS=12 PE=4 AB=8 AS=0 BB=8 BS=1 ACC=20 HAS_RQ=1 SB=9 OB=8 OS=1 RELU=0 SCALE_A=37 SCALE_B=-90 SHIFT=5 SCALE_LUT=1
case_ add half_add "$ADD" WORDS=9 PE=2 AB=8 AS=0 BB=6 BS=0 ACC=11 HAS_RQ=1 SB=5 OB=6 OS=0 RELU=0 SCALE_A=13 SCALE_B=-9 SHIFT=0 SCALE_LUT=1
# no requantiser: plain a + b, signed, without and with relu
case_ add half_add "$ADD" WORDS=7 PE=4 AB=4 AS=1 BB=4 BS=1 ACC=6 HAS_RQ=0 SB=2 OB=5 OS=1 RELU=0 SCALE_A=1 SCALE_B=1 SHIFT=0
case_ add half_add "$ADD" WORDS=7 PE=4 AB=4 AS=1 BB=1 BS=0 ACC=6 HAS_RQ=0 SB=2 OB=5 OS=1 RELU=1 SCALE_A=1 SCALE_B=1 SHIFT=0
case_ add half_add "$ADD" WORDS=5 PE=1 AB=3 AS=0 BB=2 BS=0 ACC=5 HAS_RQ=0 SB=2 OB=4 OS=0 RELU=0 SCALE_A=1 SCALE_B=1 SHIFT=0

# ---- half_pool ----
POOL="half_pool.v half_fifo.v $RQ"
# window max: signed, bipolar, unsigned; KK 4, 9, 1
case_ pool half_pool "$POOL" C=8 KK=4 PE=2 PIXELS=4 XB=4 XS=1 MAX=1 GLOBAL=0 ACC=6 HAS_RQ=0 SB=2 OB=4 OS=1 SCALE=1 SHIFT=0
case_ pool half_pool "$POOL" C=16 KK=9 PE=8 PIXELS=3 XB=1 XS=0 MAX=1 GLOBAL=0 ACC=3 HAS_RQ=0 SB=2 OB=1 OS=0 SCALE=1 SHIFT=0
case_ pool half_pool "$POOL" C=6 KK=1 PE=3 PIXELS=5 XB=8 XS=0 MAX=1 GLOBAL=0 ACC=10 HAS_RQ=0 SB=2 OB=8 OS=0 SCALE=1 SHIFT=0
case_ pool half_pool "$POOL" C=12 KK=4 PE=12 PIXELS=2 XB=8 XS=1 MAX=1 GLOBAL=0 ACC=9 HAS_RQ=0 SB=2 OB=8 OS=1 SCALE=1 SHIFT=0
# window sum + requantiser: unsigned -> unsigned (shift > 0), signed -> signed (shift 0),
# bipolar -> bipolar, no requantiser
case_ pool half_pool "$POOL" C=8 KK=9 PE=4 PIXELS=4 XB=4 XS=0 MAX=0 GLOBAL=0 ACC=12 HAS_RQ=1 SB=8 OB=4 OS=0 SCALE=29 SHIFT=7
case_ pool half_pool "$POOL" C=4 KK=4 PE=2 PIXELS=6 XB=6 XS=1 MAX=0 GLOBAL=0 ACC=10 HAS_RQ=1 SB=4 OB=5 OS=1 SCALE=-3 SHIFT=0
case_ pool half_pool "$POOL" C=4 KK=4 PE=2 PIXELS=6 XB=6 XS=1 MAX=0 GLOBAL=0 ACC=10 HAS_RQ=1 SB=4 OB=5 OS=1 SCALE=-3 SHIFT=0 SCALE_LUT=1
case_ pool half_pool "$POOL" C=4 KK=9 PE=4 PIXELS=5 XB=1 XS=0 MAX=0 GLOBAL=0 ACC=6 HAS_RQ=1 SB=4 OB=1 OS=0 SCALE=5 SHIFT=1
case_ pool half_pool "$POOL" C=6 KK=4 PE=2 PIXELS=3 XB=3 XS=0 MAX=0 GLOBAL=0 ACC=8 HAS_RQ=0 SB=2 OB=5 OS=0 SCALE=1 SHIFT=0
# global: signed -> signed (shift > 0), C/PE = 1 (read-after-write forwarding), one pixel,
# bipolar -> bipolar, unsigned -> unsigned with shift 0, no requantiser
case_ pool half_pool "$POOL" C=12 KK=1 PE=3 PIXELS=7 XB=8 XS=1 MAX=0 GLOBAL=1 ACC=16 HAS_RQ=1 SB=10 OB=8 OS=1 SCALE=-90 SHIFT=7
case_ pool half_pool "$POOL" C=12 KK=1 PE=3 PIXELS=7 XB=8 XS=1 MAX=0 GLOBAL=1 ACC=16 HAS_RQ=1 SB=10 OB=8 OS=1 SCALE=181 SHIFT=7 SCALE_LUT=1
case_ pool half_pool "$POOL" C=4 KK=1 PE=4 PIXELS=6 XB=4 XS=1 MAX=0 GLOBAL=1 ACC=8 HAS_RQ=1 SB=8 OB=4 OS=1 SCALE=45 SHIFT=6
case_ pool half_pool "$POOL" C=8 KK=1 PE=2 PIXELS=2 XB=4 XS=1 MAX=0 GLOBAL=1 ACC=8 HAS_RQ=1 SB=8 OB=4 OS=1 SCALE=45 SHIFT=5
case_ pool half_pool "$POOL" C=6 KK=1 PE=2 PIXELS=1 XB=5 XS=0 MAX=0 GLOBAL=1 ACC=8 HAS_RQ=1 SB=6 OB=3 OS=0 SCALE=11 SHIFT=2
case_ pool half_pool "$POOL" C=4 KK=1 PE=4 PIXELS=5 XB=1 XS=0 MAX=0 GLOBAL=1 ACC=8 HAS_RQ=1 SB=6 OB=1 OS=0 SCALE=19 SHIFT=2
case_ pool half_pool "$POOL" C=10 KK=1 PE=5 PIXELS=16 XB=2 XS=0 MAX=0 GLOBAL=1 ACC=12 HAS_RQ=1 SB=4 OB=6 OS=0 SCALE=3 SHIFT=0
case_ pool half_pool "$POOL" C=8 KK=1 PE=8 PIXELS=9 XB=4 XS=1 MAX=0 GLOBAL=1 ACC=10 HAS_RQ=0 SB=2 OB=8 OS=1 SCALE=1 SHIFT=0

# ---- half_vvu (PIXELS is a testbench-only define) ----
VVU="half_vvu.v half_lane_sum.v half_sum.v half_mul.v half_shift_sum.v $RQ"
# SIMD, PE proper divisors; unsigned x, signed w; per-channel requantiser; bias; block ROM
case_ vvu half_vvu "$VVU" C=8 KK=9 SIMD=3 PE=2 XB=4 XS=0 WB=4 ACC=16 HAS_BIAS=1 HAS_RQ=1 SB=8 PERCH=1 SCALE=1 SHIFT=0 OB=4 OS=0 RELU=0 USE_DSP=0 ROM_STYLE='"block"' D:PIXELS=5
# SIMD = KK, PE = C; bipolar x and w (XNOR), bipolar output, shared scale/shift; LUT ROM
case_ vvu half_vvu "$VVU" C=4 KK=9 SIMD=9 PE=4 XB=1 XS=0 WB=1 ACC=8 HAS_BIAS=1 HAS_RQ=1 SB=4 PERCH=0 SCALE=3 SHIFT=1 OB=1 OS=0 RELU=0 USE_DSP=0 ROM_STYLE='"distributed"' D:PIXELS=6
# SIMD = 1, PE = 1; signed x and w, no bias, per-channel requantiser, relu, DSP multipliers
case_ vvu half_vvu "$VVU" C=6 KK=4 SIMD=1 PE=1 XB=8 XS=1 WB=8 ACC=20 HAS_BIAS=0 HAS_RQ=1 SB=10 PERCH=1 SCALE=1 SHIFT=0 OB=8 OS=1 RELU=1 USE_DSP=1 ROM_STYLE='"block"' D:PIXELS=3
# a constant scale by shift-adds (half_const_mul)
case_ vvu half_vvu "$VVU" C=6 KK=4 SIMD=2 PE=3 XB=8 XS=1 WB=8 ACC=20 HAS_BIAS=1 HAS_RQ=1 SB=10 PERCH=0 SCALE=237 SHIFT=9 OB=8 OS=1 RELU=1 USE_DSP=1 SCALE_LUT=1 ROM_STYLE='"block"' D:PIXELS=3
# no requantiser (accumulator passed through, relu), signed x, 2-bit weights; LUT ROM
case_ vvu half_vvu "$VVU" C=12 KK=4 SIMD=2 PE=3 XB=3 XS=1 WB=2 ACC=9 HAS_BIAS=1 HAS_RQ=0 SB=2 PERCH=0 SCALE=1 SHIFT=0 OB=8 OS=1 RELU=1 USE_DSP=0 ROM_STYLE='"distributed"' D:PIXELS=4
# SIMD = KK with PE = 1; bipolar x, signed 3-bit w, negative shared scale, DSP
case_ vvu half_vvu "$VVU" C=8 KK=9 SIMD=9 PE=1 XB=1 XS=0 WB=3 ACC=10 HAS_BIAS=0 HAS_RQ=1 SB=5 PERCH=0 SCALE=-5 SHIFT=3 OB=4 OS=1 RELU=0 USE_DSP=1 ROM_STYLE='"block"' D:PIXELS=4
# SIMD = 1 with PE = C; unsigned x, bipolar w, per-channel requantiser, relu
case_ vvu half_vvu "$VVU" C=16 KK=9 SIMD=1 PE=16 XB=4 XS=0 WB=1 ACC=12 HAS_BIAS=1 HAS_RQ=1 SB=6 PERCH=1 SCALE=1 SHIFT=0 OB=4 OS=0 RELU=1 USE_DSP=0 ROM_STYLE='"block"' D:PIXELS=3
# wide words (256-bit input), signed 8-bit, shared scale/shift, DSP, LUT ROM
case_ vvu half_vvu "$VVU" C=32 KK=4 SIMD=4 PE=8 XB=8 XS=1 WB=8 ACC=24 HAS_BIAS=1 HAS_RQ=1 SB=8 PERCH=0 SCALE=77 SHIFT=14 OB=8 OS=1 RELU=0 USE_DSP=1 ROM_STYLE='"distributed"' D:PIXELS=2
# KF = CF = 1 (one iteration per pixel, ACC = product bits), no bias, no requantiser
case_ vvu half_vvu "$VVU" C=4 KK=1 SIMD=1 PE=4 XB=2 XS=1 WB=2 ACC=6 HAS_BIAS=0 HAS_RQ=0 SB=2 PERCH=0 SCALE=1 SHIFT=0 OB=4 OS=1 RELU=0 USE_DSP=0 ROM_STYLE='"block"' D:PIXELS=7
# accumulator narrower than the product (bipolar, ACC = 3 < 4), per-channel requantiser
case_ vvu half_vvu "$VVU" C=8 KK=2 SIMD=2 PE=2 XB=1 XS=0 WB=1 ACC=3 HAS_BIAS=1 HAS_RQ=1 SB=3 PERCH=1 SCALE=1 SHIFT=0 OB=2 OS=1 RELU=0 USE_DSP=1 ROM_STYLE='"distributed"' D:PIXELS=5

# ---- half_axis_in / half_axis_out ----
case_ axis half_axis_out "half_axis_out.v half_axis_in.v" WORDS=1 W=8 D:OUT=1
case_ axis half_axis_out "half_axis_out.v half_axis_in.v" WORDS=5 W=70 D:OUT=1
case_ axis half_axis_out "half_axis_out.v half_axis_in.v" WORDS=16 W=1 D:OUT=1
case_ axis half_axis_in "half_axis_in.v" W=3 D:OUT=0
case_ axis half_axis_in "half_axis_in.v" W=130 D:OUT=0

echo
echo "build directory: $BUILD"
if [ ${#FAILED[@]} -ne 0 ]; then
    echo "FAILED (${#FAILED[@]} of $COUNT parameter sets had failures):"
    printf '  %s\n' "${FAILED[@]}"
    exit 1
fi
echo "all $COUNT parameter sets passed"
exit 0
