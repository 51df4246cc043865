// half-gen RTL: shifted balanced adder tree (combinational), used by half_mul.
//
// The sum of N signed W-bit terms t_j weighted 2^j, exact in W + N bits: the lower
// ceil(N/2) terms and the upper ones are summed apart, and only the upper sum and the lower
// sum's bits above 2^NL are added (W + NR bits); the lower sum's NL low bits pass through.
`default_nettype none

module half_shift_sum #(
    parameter integer N = 8,
    parameter integer W = 8
) (
    input  wire [N*W-1:0]  terms,
    output wire [W+N-1:0]  sum
);
    generate
        if (N == 1) begin : g_leaf
            assign sum = {terms[W-1], terms};       // one term: W bits suffice, sign-extended
        end else begin : g_node
            localparam integer NL = (N + 1) / 2;
            localparam integer NR = N - NL;
            wire [W+NL-1:0] lo;
            wire [W+NR-1:0] hi;
            half_shift_sum #(.N(NL), .W(W)) t_lo (.terms(terms[NL*W-1:0]), .sum(lo));
            half_shift_sum #(.N(NR), .W(W)) t_hi (.terms(terms[N*W-1:NL*W]), .sum(hi));
            // lo >>> NL is W bits; sign-extended to the upper sum's W + NR bits.
            wire [W+NR-1:0] lo_hi = {{NR{lo[W+NL-1]}}, lo[W+NL-1:NL]};
            wire [W+NR-1:0] upper = lo_hi + hi;
            assign sum = {upper, lo[NL-1:0]};
        end
    endgenerate
endmodule

`default_nettype wire
