// half-gen RTL: a product in the fabric, w (signed, WB bits) times x (XB bits, signed when
// XS = 1), as partial products summed by a shifted balanced tree.
//
// Partial product j is w when bit j of x is set (the sign bit of a signed x weighs
// -2^(XB-1), so its partial product is -w), and half_shift_sum adds them with their weights
// 2^j. Each adder of that tree spans only the bits its terms can change (the low bits of the
// lower half pass around it), so an 8 x 8-bit product takes 68 adder bits in seven adders;
// Yosys 0.23 maps `w * x` (its array multiplier) to about 40 % more LUTs than this
// (docs/cost-model.md section 13.4; src/stage/mvu_cost.rs `fabric_product_bits` counts the
// adder bits of exactly this tree).
`default_nettype none

module half_mul #(
    parameter integer WB = 8,
    parameter integer XB = 8,
    parameter integer XS = 0,
    parameter integer P = WB + XB + 1               // product bits: at least WB + XB (+1 unsigned x)
) (
    input  wire [WB-1:0] w,
    input  wire [XB-1:0] x,
    output wire [P-1:0]  y
);
    localparam integer TW = WB + XS;                // partial product bits (-w needs one more)
    localparam integer SW = TW + XB;                // shifted sum bits
    wire [XB*TW-1:0] parts;
    wire [TW-1:0] wx = {{XS{w[WB-1]}}, w};
    genvar j;
    generate
        for (j = 0; j < XB; j = j + 1) begin : g_part
            if (XS != 0 && j == XB - 1) begin : g_neg
                assign parts[j*TW +: TW] = x[j] ? (~wx + 1'b1) : {TW{1'b0}};
            end else begin : g_pos
                assign parts[j*TW +: TW] = x[j] ? wx : {TW{1'b0}};
            end
        end
    endgenerate
    wire [SW-1:0] s;
    half_shift_sum #(.N(XB), .W(TW)) tree (.terms(parts), .sum(s));
    generate
        if (P > SW) begin : g_sext
            assign y = {{(P-SW){s[SW-1]}}, s};
        end else begin : g_trunc
            // The product fits P bits; the sum's upper bits are its sign.
            assign y = s[P-1:0];
            if (SW > P) begin : g_unused
                wire unused_hi = &{1'b0, s[SW-1:P]};
            end
        end
    endgenerate
endmodule
`default_nettype wire
