// half-gen RTL: balanced adder tree (combinational), the sum of N terms of W bits.
//
// The terms split into a lower half of ceil(N/2) and an upper half of floor(N/2), each summed
// by its own tree, and the two sums added: log2 N adder levels, every adder as wide as its
// result needs (W + log2 of its term count) and no wider. Signed terms (SIGNED = 1) are
// sign-extended into each adder, unsigned ones zero-extended; the sum is exact in
// W + clog2(N) bits (|sum| <= N 2^(W-1) signed, N (2^W - 1) unsigned).
//
// Written as a tree instead of `for (i ...) s = s + t[i]`, which Yosys 0.23 turns into one
// `$macc` cell that maps to about twice the LUTs of the same sum as two-input adders on carry
// chains (docs/cost-model.md section 13.4; src/stage/mvu_cost.rs `tree_adder_bits` counts the
// adder bits of exactly this tree).
`default_nettype none

module half_sum #(
    parameter integer N = 4,
    parameter integer W = 8,
    parameter integer SIGNED = 1
) (
    input  wire [N*W-1:0]          terms,
    output wire [W+$clog2(N)-1:0]  sum
);
    localparam integer OW = W + $clog2(N);
    generate
        if (N == 1) begin : g_leaf
            assign sum = terms;
        end else begin : g_node
            localparam integer NL = (N + 1) / 2;
            localparam integer NR = N - NL;
            localparam integer LW = W + $clog2(NL);
            localparam integer RW = W + $clog2(NR);
            wire [LW-1:0] lo;
            wire [RW-1:0] hi;
            half_sum #(.N(NL), .W(W), .SIGNED(SIGNED)) t_lo (.terms(terms[NL*W-1:0]), .sum(lo));
            half_sum #(.N(NR), .W(W), .SIGNED(SIGNED)) t_hi (.terms(terms[N*W-1:NL*W]), .sum(hi));
            wire lo_fill = (SIGNED != 0) & lo[LW-1];
            wire hi_fill = (SIGNED != 0) & hi[RW-1];
            assign sum = {{(OW-LW){lo_fill}}, lo} + {{(OW-RW){hi_fill}}, hi};
        end
    endgenerate
endmodule

`default_nettype wire
