// half-gen RTL: one PE lane's sum of its SIMD registered products, as an ACC-bit term
// (shared by half_mvu and half_vvu).
//
// The terms are PW-bit signed products, or for XNOR lanes (XNOR = 1) 1-bit match flags:
// half_sum adds them in a balanced tree, and an XNOR lane's count c becomes 2c - SIMD (the sum
// of its +-1 products). The result wraps to ACC bits as the accumulator does.
`default_nettype none

module half_lane_sum #(
    parameter integer SIMD = 4,
    parameter integer PW = 17,
    parameter integer XNOR = 0,
    parameter integer ACC = 24
) (
    input  wire [SIMD*PW-1:0] terms,
    output wire [ACC-1:0]     sum
);
    localparam integer TW = PW + $clog2(SIMD);      // tree sum bits
    wire [TW-1:0] tsum;
    half_sum #(.N(SIMD), .W(PW), .SIGNED(1 - XNOR)) tree (.terms(terms), .sum(tsum));
    generate
        if (XNOR != 0) begin : g_count
            wire [ACC+TW:0] twice = {{(ACC+1){1'b0}}, tsum} << 1;
            assign sum = twice[ACC-1:0] - SIMD[ACC-1:0];
            wire unused_hi = &{1'b0, twice[ACC+TW:ACC]};
        end else if (ACC > TW) begin : g_sext
            assign sum = {{(ACC-TW){tsum[TW-1]}}, tsum};
        end else begin : g_trunc
            assign sum = tsum[ACC-1:0];
            if (TW > ACC) begin : g_unused
                wire unused_hi = &{1'b0, tsum[TW-1:ACC]};
            end
        end
    endgenerate
endmodule

`default_nettype wire
