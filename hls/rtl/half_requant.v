// half-gen RTL: the model format's requantisation, combinational:
//   q = half_finish(acc * scale), or the accumulator itself when HAS_RQ = 0
// Output raw coding as everywhere: two's complement, or bipolar (1 = +1, 0 = -1) when OB = 1.
`default_nettype none


module half_requant #(
    parameter integer ACC = 16,   // signed accumulator bits
    parameter integer SB = 9,     // signed scale bits
    parameter integer OB = 8,
    parameter integer OS = 0,
    parameter integer RELU = 0,
    parameter integer HAS_RQ = 1
) (
    input  wire signed [ACC-1:0] acc,
    input  wire signed [SB-1:0]  scale,
    input  wire        [5:0]     shift,
    output wire        [OB-1:0]  q
);
    generate
        if (HAS_RQ != 0) begin : g_rq
            wire signed [ACC+SB-1:0] v = acc * scale;
            half_finish #(.VB(ACC + SB), .OB(OB), .OS(OS), .RELU(RELU)) fin (
                .v(v), .shift(shift), .q(q));
        end else begin : g_pass
            wire signed [ACC-1:0] r = (RELU != 0 && acc[ACC-1]) ? {ACC{1'b0}} : acc;
            assign q = r[OB-1:0];
            wire unused_ok = &{1'b0, scale, shift, r};
        end
    endgenerate
endmodule

`default_nettype wire
