// Exhaustive check of half_const_mul (tests/rtl_arith.rs): every 12-bit signed input times
// constants of every kind (typical requantiser scales, negative, powers of two, zero, the
// 32-bit extremes), full-width and with the product cut to fewer bits than it needs.
`default_nettype none

module const_top (
    input  wire [11:0] a,
    output wire [20:0] y181,
    output wire [13:0] y181_cut,
    output wire [20:0] y237,
    output wire [20:0] y163,
    output wire [19:0] yneg77,
    output wire [20:0] y255,
    output wire [11:0] y1,
    output wire [18:0] y64,
    output wire [11:0] y0,
    output wire [43:0] ymax,
    output wire [43:0] ymin,
    output wire [43:0] y0x55
);
    half_const_mul #(.AW(12), .YW(21), .C(181)) m0 (.a(a), .y(y181));
    half_const_mul #(.AW(12), .YW(14), .C(181)) m1 (.a(a), .y(y181_cut));
    half_const_mul #(.AW(12), .YW(21), .C(237)) m2 (.a(a), .y(y237));
    half_const_mul #(.AW(12), .YW(21), .C(163)) m3 (.a(a), .y(y163));
    half_const_mul #(.AW(12), .YW(20), .C(-77)) m4 (.a(a), .y(yneg77));
    half_const_mul #(.AW(12), .YW(21), .C(255)) m5 (.a(a), .y(y255));
    half_const_mul #(.AW(12), .YW(12), .C(1)) m6 (.a(a), .y(y1));
    half_const_mul #(.AW(12), .YW(19), .C(64)) m7 (.a(a), .y(y64));
    half_const_mul #(.AW(12), .YW(12), .C(0)) m8 (.a(a), .y(y0));
    half_const_mul #(.AW(12), .YW(44), .C(2147483647)) m9 (.a(a), .y(ymax));
    half_const_mul #(.AW(12), .YW(44), .C(-2147483648)) m10 (.a(a), .y(ymin));
    half_const_mul #(.AW(12), .YW(44), .C(1431655765)) m11 (.a(a), .y(y0x55));
endmodule

`default_nettype wire
