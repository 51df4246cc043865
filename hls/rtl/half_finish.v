// half-gen RTL: the model format's requantisation tail, combinational:
//   q = sat((v + (shift > 0 ? 1 << (shift-1) : 0)) >>> shift) after relu; bipolar sign when OB = 1.
// The sum is exact in VB + 2 bits for shift <= VB; a larger shift gives 0 exactly (|v| is below
// 2^(VB-1), so v + 2^(shift-1) lies in [2^(shift-2), 2^shift)), which is used directly.
`default_nettype none

module half_finish #(
    parameter integer VB = 24,    // bits of the signed value v
    parameter integer OB = 8,     // output bits (1 = bipolar)
    parameter integer OS = 0,     // output signed
    parameter integer RELU = 0
) (
    input  wire signed [VB-1:0] v,
    input  wire        [5:0]    shift,
    output wire        [OB-1:0] q
);
    localparam integer TB = VB + 2;
    wire signed [TB-1:0] one = {{(TB-1){1'b0}}, 1'b1};
    wire signed [TB-1:0] round = (shift == 6'd0) ? {TB{1'b0}} : (one <<< (shift - 6'd1));
    wire signed [TB-1:0] sum = {{2{v[VB-1]}}, v} + round;
    wire big = ({26'd0, shift} > VB);
    wire signed [TB-1:0] shifted = sum >>> shift;    // kept apart: a ?: with an unsigned
    wire signed [TB-1:0] sh = big ? 0 : shifted;     // operand would make >>> logical
    wire signed [TB-1:0] r = (RELU != 0 && sh[TB-1]) ? {TB{1'b0}} : sh;
    // Saturation bounds of the output type, as TB-bit constants.
    localparam integer HI_BITS = (OS != 0) ? OB - 1 : OB;
    wire signed [TB-1:0] hi = (OB == 1) ? {TB{1'b0}} : ((one <<< HI_BITS) - one);
    wire signed [TB-1:0] lo = (OB == 1 || OS == 0) ? {TB{1'b0}} : -(one <<< (OB - 1));
    generate
        if (OB == 1) begin : g_bipolar
            assign q = r[TB-1] ? 1'b0 : 1'b1;
            wire unused_b = &{1'b0, hi, lo};
        end else begin : g_int
            wire signed [TB-1:0] c = (r > hi) ? hi : ((r < lo) ? lo : r);
            assign q = c[OB-1:0];
            wire unused_c = &{1'b0, c[TB-1:OB]};
        end
    endgenerate
endmodule

`default_nettype wire
