// half-gen RTL: product of a signed AW-bit value and the constant C in the fabric (no DSP),
// combinational, wrapped to YW bits:  y = (a * C) mod 2^YW.
//
// C is written in canonical signed digits (the non-adjacent form: digits -1, 0, +1, no two
// neighbours nonzero, at most one more than half the bits nonzero; Reitwiesner 1960). The top
// digit's term a * 2^TOP starts the sum; every other nonzero digit d at position i adds or
// subtracts a * 2^i with one adder spanning only bits i..YW-1 (the bits below i are final).
// So the cost is sum over the non-top digits of (YW - i) adder bits, the rule of
// stage::requant's `const_scale_adder_bits`. Used by half_requant and half_add when their
// stage's scale style is `lut` (SCALE_LUT = 1); otherwise synthesis maps `acc * scale`.
`default_nettype none

module half_const_mul #(
    parameter integer AW = 8,    // signed input bits
    parameter integer YW = 16,   // product bits kept
    parameter integer C = 1      // the constant (32-bit signed)
) (
    input  wire [AW-1:0] a,
    output wire [YW-1:0] y
);
    // Enough digits for any 32-bit C (its non-adjacent form has at most 33).
    localparam integer NB = 34;

    // Digit i of C's non-adjacent form: scan up from bit 0; an odd remainder x takes the digit
    // 2 - (x mod 4), which leaves x - d divisible by 4 (so the next digit is 0).
    function automatic integer naf_digit(input integer c, input integer i);
        reg signed [40:0] x;
        integer k;
        integer d;
        begin
            x = {{9{c[31]}}, c};
            d = 0;
            for (k = 0; k <= i; k = k + 1) begin
                if (x[0]) begin
                    d = x[1] ? -1 : 1;
                    x = x[1] ? x + 41'sd1 : x - 41'sd1;
                end else begin
                    d = 0;
                end
                x = x >>> 1;
            end
            naf_digit = d;
        end
    endfunction

    // Position of C's highest nonzero digit (-1 when C = 0).
    function automatic integer naf_top(input integer c);
        integer k;
        begin
            naf_top = -1;
            for (k = 0; k < NB; k = k + 1) begin
                if (naf_digit(c, k) != 0) naf_top = k;
            end
        end
    endfunction

    localparam integer TOP = naf_top(C);

    // level[i]: the sum of the terms of digits i..NB-1, mod 2^YW; y is level 0.
    // (split_var: Verilator would see the slices' chain as one signal looping on itself.)
    wire [(NB+1)*YW-1:0] level /*verilator split_var*/;
    assign level[NB*YW +: YW] = {YW{1'b0}};
    assign y = level[0 +: YW];
    wire signed [AW-1:0] as = a;
    wire unused_as = &{1'b0, as};                   // C = 0 reads no input

    genvar i;
    generate
        for (i = 0; i < NB; i = i + 1) begin : g_digit
            localparam integer D = naf_digit(C, i);
            wire [YW-1:0] above = level[(i+1)*YW +: YW];
            if (i >= YW || i > TOP) begin : g_none
                // A term at bit YW or above vanishes mod 2^YW; no digit above the top one.
                assign level[i*YW +: YW] = {YW{1'b0}};
                wire unused_above = &{1'b0, above};
            end else begin : g_term
                // a * 2^i restricted to bits i..YW-1: a sign-extended (or cut) to YW - i bits.
                wire signed [YW-i-1:0] t;
                if (YW - i > AW) begin : g_ext
                    assign t = {{(YW-i-AW){as[AW-1]}}, as};
                end else begin : g_cut
                    assign t = as[YW-i-1:0];
                    if (YW - i < AW) begin : g_drop
                        wire unused_top = &{1'b0, as[AW-1:YW-i]};
                    end
                end
                wire [YW-i-1:0] hi;
                if (i == TOP) begin : g_first
                    assign hi = (D > 0) ? t : -t;
                    wire unused_above = &{1'b0, above};
                end else if (D == 0) begin : g_pass
                    assign hi = above[YW-1:i];
                    wire unused_t = &{1'b0, t};
                end else if (D > 0) begin : g_add
                    assign hi = above[YW-1:i] + t;
                end else begin : g_sub
                    assign hi = above[YW-1:i] - t;
                end
                if (i == 0) begin : g_low0
                    assign level[i*YW +: YW] = hi;
                end else begin : g_low
                    assign level[i*YW +: YW] = {hi, above[i-1:0]};
                end
            end
        end
    endgenerate
endmodule

`default_nettype wire
