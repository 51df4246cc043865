// half-gen RTL: channel concatenation of two streams of PE channels per word, as
// hls/include/half/concat.h and src/stage/concat.rs: per pixel, the WA words of s0 (input a),
// then the WB words of s1 (input b); every element is requantised to the output type
//   RQ_A / RQ_B = 1: q = half_finish(x * SCALE_A / SCALE_B, SHIFT, RELU)
//   RQ_A / RQ_B = 0: q = relu(x) truncated to OB bits
// where x is the decoded element (half_decode_scale: bipolar, signed with AS/BS = 1, or
// unsigned). SCALE_A and SCALE_B are SB-bit signed constants (SB <= 32), SHIFT is 0..63; ACC
// holds every x * SCALE and every passed-through element.
//
// A position counter (0 .. WA + WB - 1, compare-and-wrap) says which input is read: only that
// input's tready is raised.
// Pipeline (input word accepted in cycle t):
//   edge ending t     the PE scaled values and the side are registered
//   edge ending t+1   the finished word is written into the output queue (a half_fifo)
//   cycle t+2         m_axis_tvalid
//   Latency: 2 cycles. Throughput: 1 word per cycle, PIXELS * (WA + WB) cycles per frame,
//   frames back to back.
// Words are accepted only while the output queue (3 words) has room for every word in flight,
// computed from registers: no combinational path from m_axis_tready to either tready.
`default_nettype none

module half_concat #(
    parameter integer PIXELS = 16,
    parameter integer WA = 1,
    parameter integer WB = 1,
    parameter integer PE = 4,
    parameter integer AB = 8,
    parameter integer AS = 0,
    parameter integer BB = 8,
    parameter integer BS = 0,
    parameter integer ACC = 20,
    parameter integer SB = 9,
    parameter integer OB = 8,
    parameter integer OS = 0,
    parameter integer RELU = 0,
    parameter integer RQ_A = 0,
    parameter integer SCALE_A = 1,
    parameter integer RQ_B = 0,
    parameter integer SCALE_B = 1,
    parameter integer SHIFT = 0
) (
    input  wire             ap_clk,
    input  wire             ap_rst_n,
    input  wire [PE*AB-1:0] s0_axis_tdata,
    input  wire             s0_axis_tvalid,
    output wire             s0_axis_tready,
    input  wire [PE*BB-1:0] s1_axis_tdata,
    input  wire             s1_axis_tvalid,
    output wire             s1_axis_tready,
    output wire [PE*OB-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready
);
    localparam integer QD = 3;                      // output queue: pipeline depth + 2
    localparam integer WN = WA + WB;                // words per pixel
    localparam integer CW = (WN > 1) ? $clog2(WN) : 1;
    // PIXELS only documents the frame: the unit restarts nothing between frames.
    wire unused_pixels = (PIXELS > 0);

    // ---- position in the pixel: which input the next word comes from ----
    reg  [CW-1:0] w;
    wire side = (w >= WA[CW-1:0]);

    // ---- credit: room in the output queue for every word in flight ----
    wire [1:0] q_count;
    reg        v1;
    wire ok = ({1'b0, q_count} + {2'b0, v1}) < QD[2:0];
    assign s0_axis_tready = ok && !side;
    assign s1_axis_tready = ok && side;
    wire take = side ? (ok && s1_axis_tvalid) : (ok && s0_axis_tvalid);

    always @(posedge ap_clk) begin
        if (!ap_rst_n) w <= {CW{1'b0}};
        else if (take) w <= (w == WN[CW-1:0] - 1'b1) ? {CW{1'b0}} : w + 1'b1;
    end

    // ---- stage 1: decode (and scale) the word of the side read ----
    reg  [PE*ACC-1:0] val1;
    reg               side1;
    wire [PE*ACC-1:0] val0;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire signed [ACC-1:0] xa;
            wire signed [ACC-1:0] xb;
            half_decode_scale #(.B(AB), .S(AS), .ACC(ACC), .SB(SB), .RQ(RQ_A), .SCALE(SCALE_A))
                dec_a (.raw(s0_axis_tdata[p*AB +: AB]), .x(xa));
            half_decode_scale #(.B(BB), .S(BS), .ACC(ACC), .SB(SB), .RQ(RQ_B), .SCALE(SCALE_B))
                dec_b (.raw(s1_axis_tdata[p*BB +: BB]), .x(xb));
            assign val0[p*ACC +: ACC] = side ? xb : xa;
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) v1 <= 1'b0;
        else v1 <= take;
        if (take) begin
            val1 <= val0;
            side1 <= side;
        end
    end

    // ---- stage 2: requantise (or pass) into the output queue ----
    wire [PE*OB-1:0] q_word;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_rq
            wire signed [ACC-1:0] s = val1[p*ACC +: ACC];
            wire [OB-1:0] qf;
            wire [OB-1:0] qp;
            if (RQ_A != 0 || RQ_B != 0) begin : g_fin
                half_finish #(.VB(ACC), .OB(OB), .OS(OS), .RELU(RELU)) fin (
                    .v(s), .shift(SHIFT[5:0]), .q(qf));
            end else begin : g_nofin
                assign qf = {OB{1'b0}};
            end
            half_requant #(.ACC(ACC), .SB(2), .OB(OB), .OS(OS), .RELU(RELU), .HAS_RQ(0)) pass (
                .acc(s), .scale(2'sd1), .shift(6'd0), .q(qp));
            wire rq = side1 ? (RQ_B != 0) : (RQ_A != 0);
            assign q_word[p*OB +: OB] = rq ? qf : qp;
        end
    endgenerate

    wire unused_full;
    half_fifo #(.W(PE * OB), .DEPTH(QD), .RAM_STYLE("distributed")) queue (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axis_tdata(q_word), .s_axis_tvalid(v1), .s_axis_tready(unused_full),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
        .count(q_count));
endmodule

`default_nettype wire
