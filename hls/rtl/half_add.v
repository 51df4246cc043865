// half-gen RTL: elementwise add of two streams of PE elements per word, as
// hls/include/half/add.h and src/ops/add.rs:
//   HAS_RQ = 1: q = half_finish(a*SCALE_A + b*SCALE_B, SHIFT, RELU)   (sum wrapped to ACC bits)
//   HAS_RQ = 0: q = relu(a + b) truncated to OB bits                   (sum wrapped to ACC bits)
// where a, b are the decoded elements: bipolar (1 bit, raw 1 = +1, raw 0 = -1), signed (AS/BS =
// 1, two's complement) or unsigned. SCALE_A and SCALE_B are SB-bit signed constants (SB <= 32),
// SHIFT is 0..63; HAS_RQ = 0 needs OB <= ACC.
//
// One word is taken from each input in the same cycle (s0 and s1 are accepted together: each
// input's tready waits for the other input's tvalid).
// Pipeline (input words accepted in cycle t):
//   edge ending t     the PE sums v are registered
//   edge ending t+1   the finished word is written into the output queue (a half_fifo)
//   cycle t+2         m_axis_tvalid
//   Latency: 2 cycles. Throughput: 1 word per cycle, WORDS cycles per frame, frames back to
//   back.
// Inputs are accepted only while the output queue (3 words) has room for every word in flight,
// computed from registers (queue occupancy and the pipeline valid bit): no combinational path
// from m_axis_tready to s0/s1_axis_tready, nor from s0/s1_axis_tvalid to m_axis_tvalid.
`default_nettype none

module half_add #(
    parameter integer WORDS = 16,
    parameter integer PE = 4,
    parameter integer AB = 8,
    parameter integer AS = 0,
    parameter integer BB = 8,
    parameter integer BS = 0,
    parameter integer ACC = 20,
    parameter integer HAS_RQ = 1,
    parameter integer SB = 9,
    parameter integer OB = 8,
    parameter integer OS = 0,
    parameter integer RELU = 0,
    parameter integer SCALE_A = 1,
    parameter integer SCALE_B = 1,
    parameter integer SCALE_LUT = 0,   // 1: both constant scales by shift-adds (half_const_mul)
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
    localparam integer DA = AB + 1;                 // decoded widths (as Elem<B, S>::T)
    localparam integer DB = BB + 1;
    // Exact width of a*SCALE_A + b*SCALE_B (and of a + b).
    localparam integer XW = ((DA > DB) ? DA : DB) + SB + 1;
    localparam integer WW = (XW > ACC) ? XW : ACC;
    // WORDS only documents the frame: the unit restarts nothing between frames.
    wire unused_words = (WORDS > 0);

    // ---- credit: room in the output queue for every word in flight ----
    wire [1:0] q_count;
    reg        v1;
    wire ok = ({1'b0, q_count} + {2'b0, v1}) < QD[2:0];
    wire take = ok && s0_axis_tvalid && s1_axis_tvalid;
    assign s0_axis_tready = ok && s1_axis_tvalid;
    assign s1_axis_tready = ok && s0_axis_tvalid;

    // ---- stage 1: decode and combine ----
    reg  [PE*ACC-1:0] sum1;
    wire [PE*ACC-1:0] sum0;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            wire [AB-1:0] ra = s0_axis_tdata[p*AB +: AB];
            wire [BB-1:0] rb = s1_axis_tdata[p*BB +: BB];
            wire signed [DA-1:0] da;
            wire signed [DB-1:0] db;
            if (AB == 1) begin : g_a1
                assign da = ra[0] ? 2'sd1 : -2'sd1;
            end else if (AS != 0) begin : g_as
                assign da = {ra[AB-1], ra};
            end else begin : g_au
                assign da = {1'b0, ra};
            end
            if (BB == 1) begin : g_b1
                assign db = rb[0] ? 2'sd1 : -2'sd1;
            end else if (BS != 0) begin : g_bs
                assign db = {rb[BB-1], rb};
            end else begin : g_bu
                assign db = {1'b0, rb};
            end
            wire signed [WW-1:0] wa = {{(WW-DA){da[DA-1]}}, da};
            wire signed [WW-1:0] wb = {{(WW-DB){db[DB-1]}}, db};
            wire signed [WW-1:0] v;
            if (HAS_RQ != 0) begin : g_scaled
                if (SCALE_LUT != 0) begin : g_lut
                    wire [WW-1:0] pa;
                    wire [WW-1:0] pb;
                    half_const_mul #(.AW(WW), .YW(WW), .C(SCALE_A)) ma (.a(wa), .y(pa));
                    half_const_mul #(.AW(WW), .YW(WW), .C(SCALE_B)) mb (.a(wb), .y(pb));
                    assign v = pa + pb;
                end else begin : g_mul
                    wire signed [SB-1:0] sa = SCALE_A[SB-1:0];
                    wire signed [SB-1:0] sc = SCALE_B[SB-1:0];
                    wire signed [WW-1:0] wsa = {{(WW-SB){sa[SB-1]}}, sa};
                    wire signed [WW-1:0] wsb = {{(WW-SB){sc[SB-1]}}, sc};
                    assign v = wa * wsa + wb * wsb;
                end
            end else begin : g_plain
                assign v = wa + wb;
            end
            assign sum0[p*ACC +: ACC] = v[ACC-1:0];       // wrapped to ACC bits, as ap_int<ACC>
            if (WW > ACC) begin : g_hi
                wire unused_hi = &{1'b0, v[WW-1:ACC]};
            end
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) v1 <= 1'b0;
        else v1 <= take;
        if (take) sum1 <= sum0;
    end

    // ---- stage 2: requantise into the output queue ----
    wire [PE*OB-1:0] q_word;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_rq
            wire signed [ACC-1:0] s = sum1[p*ACC +: ACC];
            if (HAS_RQ != 0) begin : g_fin
                half_finish #(.VB(ACC), .OB(OB), .OS(OS), .RELU(RELU)) fin (
                    .v(s), .shift(SHIFT[5:0]), .q(q_word[p*OB +: OB]));
            end else begin : g_pass
                half_requant #(.ACC(ACC), .SB(2), .OB(OB), .OS(OS), .RELU(RELU), .HAS_RQ(0)) pass (
                    .acc(s), .scale(2'sd1), .shift(6'd0), .q(q_word[p*OB +: OB]));
            end
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
