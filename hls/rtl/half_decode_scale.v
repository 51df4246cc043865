// half-gen RTL: one element of a stream word decoded to a signed value and, with RQ = 1,
// multiplied by a constant scale, for units that requantise each input on its own
// (half_concat). The element is bipolar (B = 1: raw 1 = +1, raw 0 = -1), signed (S = 1, two's
// complement) or unsigned, as Elem<B, S>::T in hls/include/half/common.h; the result is
// sign-extended to ACC bits (ACC > B + SB when scaled, ACC > B otherwise). SCALE is an SB-bit
// signed constant (SB <= 32). Combinational.
`default_nettype none

module half_decode_scale #(
    parameter integer B = 8,
    parameter integer S = 0,
    parameter integer ACC = 20,
    parameter integer SB = 9,
    parameter integer RQ = 0,
    parameter integer SCALE = 1
) (
    input  wire [B-1:0]          raw,
    output wire signed [ACC-1:0] x
);
    localparam integer D = B + 1;
    wire signed [D-1:0] d;
    generate
        if (B == 1) begin : g_bipolar
            assign d = raw[0] ? 2'sd1 : -2'sd1;
        end else if (S != 0) begin : g_signed
            assign d = {raw[B-1], raw};
        end else begin : g_unsigned
            assign d = {1'b0, raw};
        end
    endgenerate
    wire signed [ACC-1:0] wide = {{(ACC-D){d[D-1]}}, d};
    generate
        if (RQ != 0) begin : g_scaled
            wire signed [SB-1:0] s = SCALE[SB-1:0];
            wire signed [ACC-1:0] ws = {{(ACC-SB){s[SB-1]}}, s};
            assign x = wide * ws;
        end else begin : g_passed
            assign x = wide;
        end
    endgenerate
endmodule

`default_nettype wire
