// half-gen RTL: the model format's requantisation, combinational:
//   q = half_finish(acc * scale), or the accumulator itself when HAS_RQ = 0
// With SCALE_LUT = 1 the scale is the constant SCALE, multiplied by shift-adds in the fabric
// (half_const_mul; the scale port is then unused); otherwise synthesis maps acc * scale.
// Output raw coding as everywhere: two's complement, or bipolar (1 = +1, 0 = -1) when OB = 1.
`default_nettype none


module half_requant #(
    parameter integer ACC = 16,   // signed accumulator bits
    parameter integer SB = 9,     // signed scale bits
    parameter integer OB = 8,
    parameter integer OS = 0,
    parameter integer RELU = 0,
    parameter integer HAS_RQ = 1,
    parameter integer SCALE_LUT = 0,
    parameter integer SCALE = 1   // the constant scale (SCALE_LUT = 1)
) (
    input  wire signed [ACC-1:0] acc,
    input  wire signed [SB-1:0]  scale,
    input  wire        [5:0]     shift,
    output wire        [OB-1:0]  q
);
    generate
        if (HAS_RQ != 0) begin : g_rq
            wire signed [ACC+SB-1:0] v;
            if (SCALE_LUT != 0) begin : g_lut
                half_const_mul #(.AW(ACC), .YW(ACC + SB), .C(SCALE)) mul (.a(acc), .y(v));
                wire unused_scale = &{1'b0, scale};
            end else begin : g_mul
                assign v = acc * scale;
            end
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
