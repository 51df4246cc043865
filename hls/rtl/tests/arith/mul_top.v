// Exhaustive check of half_mul (tests/rtl_arith.rs): four shapes side by side, each fed the
// low bits of the same w and x, so one Verilator model covers them all.
`default_nettype none

module mul_top (
    input  wire [8:0]  w,
    input  wire [7:0]  x,
    output wire [16:0] y_8x8u,
    output wire [15:0] y_8x8s,
    output wire [7:0]  y_5x3s,
    output wire [13:0] y_9x4u
);
    half_mul #(.WB(8), .XB(8), .XS(0), .P(17)) m0 (.w(w[7:0]), .x(x), .y(y_8x8u));
    half_mul #(.WB(8), .XB(8), .XS(1), .P(16)) m1 (.w(w[7:0]), .x(x), .y(y_8x8s));
    half_mul #(.WB(5), .XB(3), .XS(1), .P(8)) m2 (.w(w[4:0]), .x(x[2:0]), .y(y_5x3s));
    half_mul #(.WB(9), .XB(4), .XS(0), .P(14)) m3 (.w(w), .x(x[3:0]), .y(y_9x4u));
endmodule

`default_nettype wire
