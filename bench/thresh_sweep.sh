#!/usr/bin/env bash
# LUTs of `half_thresh` (hls/rtl/half_thresh.v) alone under Yosys `synth_xilinx`, for the fit
# of the threshold requantiser's cost (docs/cost-model.md section 6, `threshold_luts`), next
# to the estimate. Usage: bench/thresh_sweep.sh [const]  (const: thresholds tied to constants)
# Needs the Yosys of scripts/yosys-env.sh (or HALF_GEN_YOSYS).
set -euo pipefail
cd "$(dirname "$0")/.."
Y="${HALF_GEN_YOSYS:-$(scripts/yosys-env.sh | tail -n1)}"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
echo "acc nt search yosys_luts"
for acc in 8 14 20; do for nt in 1 2 3 7 15; do for s in 0 1; do
  if [ "${1:-}" = const ]; then
    cat > "$T/wrap.v" <<V
module wrap(input wire signed [$((acc - 1)):0] acc, output wire [3:0] q);
  localparam integer TB = $((acc + 1));
  wire [$nt*TB-1:0] thr;
  genvar i;
  for (i = 0; i < $nt; i = i + 1) begin : g
    assign thr[i*TB +: TB] = (i * 37 + 5) - 20;
  end
  half_thresh #(.ACC($acc), .NT($nt), .SEARCH($s), .OB(4), .OS(0), .BIAS(0)) t(.acc(acc), .thr(thr), .q(q));
endmodule
V
    "$Y" -q -p "read_verilog hls/rtl/half_thresh.v $T/wrap.v; synth_xilinx -family xc7 -flatten -noiopad -top wrap; tee -q -o $T/stat.txt stat"
  else
    "$Y" -q -p "read_verilog hls/rtl/half_thresh.v; chparam -set ACC $acc -set NT $nt -set SEARCH $s -set OB 4 -set OS 0 -set BIAS 0 half_thresh; synth_xilinx -family xc7 -flatten -noiopad -top half_thresh; tee -q -o $T/stat.txt stat"
  fi
  luts=$(grep -E '^\s+[0-9]+\s+LUT[1-6]' "$T/stat.txt" | awk '{s+=$1} END {print s+0}')
  echo "$acc $nt $s $luts"
done; done; done
