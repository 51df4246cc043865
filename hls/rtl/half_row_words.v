// half-gen RTL: the row word counter of half_dwc (both sides of the converter).
`default_nettype none

// Elements of the current word of a row and of the next one (after this cycle's `step`): a
// row is W words of P elements but the last, which holds T. A word counter steps on `step`
// and wraps at the row's end; with T = P every word is whole and none is built.
module half_row_words #(
    parameter integer W = 1,
    parameter integer P = 1,
    parameter integer T = 1,
    parameter integer HB = 1
) (
    input  wire          ap_clk,
    input  wire          ap_rst_n,
    input  wire          step,
    output wire [HB-1:0] n,
    output wire [HB-1:0] n_nxt
);
    localparam [HB-1:0] P_H = P[HB-1:0];
    localparam [HB-1:0] T_H = T[HB-1:0];
    generate
        if (T != P) begin : g_rows
            localparam integer CW = (W > 1) ? $clog2(W) : 1;
            localparam integer LAST_I = W - 1;
            localparam [CW-1:0] LAST = LAST_I[CW-1:0];
            reg [CW-1:0] w;
            wire [CW-1:0] w_nxt = step ? ((w == LAST) ? {CW{1'b0}} : w + 1'b1) : w;
            always @(posedge ap_clk) w <= ap_rst_n ? w_nxt : {CW{1'b0}};
            assign n = (w == LAST) ? T_H : P_H;
            assign n_nxt = (w_nxt == LAST) ? T_H : P_H;
        end else begin : g_words
            // Whole words only: the clock, reset and step are not needed.
            wire unused = ap_clk ^ ap_rst_n ^ step;
            assign n = P_H;
            assign n_nxt = P_H;
        end
    endgenerate
endmodule

`default_nettype wire
