// half-gen RTL: pooling unit, as hls/include/half/pool.h (src/ops/maxpool.rs, avgpool.rs).
// Elements: XB bits, bipolar when XB = 1 (raw 1 = +1, raw 0 = -1), else signed (XS = 1) or
// unsigned; decoded and accumulated as ACC-bit signed values (sums wrap to ACC bits).
//
// GLOBAL = 0 (window pool, after a window generator in depthwise order):
//   input: for pixel < PIXELS: for cf < C/PE: for k < KK: one word of PE channels.
//   MAX = 1: the maximum over the KK words, re-encoded in the input coding (OB = XB; bipolar:
//            +1 -> raw 1, -1 -> raw 0).
//   MAX = 0: the sum over the KK words, half_requant with SCALE, SHIFT (relu off).
//   One output word per KK input words.
//   Pipeline (the window's last word accepted in cycle t): the accumulators are registered at
//   the edge ending t, the output word is written into the output queue at the edge ending
//   t+1 and is valid in cycle t+2.  Latency: 2 cycles.
//   Throughput: 1 input word per cycle, PIXELS*(C/PE)*KK cycles per frame.
// GLOBAL = 1 (global pool; KK and MAX unused):
//   input: for pixel < PIXELS: for cf < C/PE: one word of PE channels. The channel sums live in
//   a memory of C/PE entries of PE*ACC bits (synchronous read, so block or LUT RAM); during the
//   last pixel each completed sum is requantised into one output word per cf.
//   Pipeline (word accepted in cycle t): the memory entry and the word are registered at the
//   edge ending t; the new sum is written back and registered at the edge ending t+1; on the
//   last pixel the requantised word enters the output queue at the edge ending t+2 and is valid
//   in cycle t+3. A sum written back at the same edge as the next word's read (C/PE = 1) is
//   forwarded.  Latency: 3 cycles.
//   Throughput: 1 input word per cycle, PIXELS*(C/PE) cycles per frame.
// SCALE (SB-bit signed, SB <= 32) and SHIFT (0..63) are shared by all channels; HAS_RQ = 0
// passes relu-less sums truncated to OB bits (OB <= ACC). MAX = 1 needs OB = XB.
// Frames follow each other with no gap (the counters restart at the end of a frame).
// Inputs are accepted only while the output queue (pipeline depth + 2 words) has room for every
// output word in flight, computed from registers: no combinational path from m_axis_tready to
// s_axis_tready, nor from s_axis_tvalid to m_axis_tvalid.
`default_nettype none

module half_pool #(
    parameter integer C = 8,
    parameter integer KK = 4,
    parameter integer PE = 2,
    parameter integer PIXELS = 4,
    parameter integer XB = 8,
    parameter integer XS = 0,
    parameter integer MAX = 1,
    parameter integer GLOBAL = 0,
    parameter integer ACC = 16,
    parameter integer HAS_RQ = 1,
    parameter integer SB = 9,
    parameter integer OB = 8,
    parameter integer OS = 0,
    parameter integer SCALE = 1,
    parameter integer SCALE_LUT = 0,   // 1: the constant SCALE by shift-adds (half_const_mul)
    parameter integer SHIFT = 0,
    parameter integer NT = 0,          // thresholds per channel (half_thresh); 0: scale, shift
    parameter integer TB = 2,          // bits of a threshold (the accumulator's + 1)
    parameter integer TBIAS = 0,       // the level below every threshold
    parameter integer TSEARCH = 0,     // 1: binary search of the thresholds
    parameter QFILE = "q.hex"          // NT > 0: CF words of PE*NT*TB bits, as half_mvu's
) (
    input  wire             ap_clk,
    input  wire             ap_rst_n,
    input  wire [PE*XB-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output wire [PE*OB-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready
);
    localparam integer CF = C / PE;
    localparam integer PIPE = (GLOBAL != 0) ? 2 : 1;    // registers before the output queue
    localparam integer QD = PIPE + 2;                    // output queue words
    localparam integer DW = (XB + 1 > ACC) ? XB + 1 : ACC;
    localparam integer MAXPOOL = (GLOBAL == 0 && MAX != 0) ? 1 : 0;
    localparam integer FBW = (CF > 1) ? $clog2(CF) : 1;
    localparam integer QW = (NT > 0) ? NT * TB : 1;
    // Thresholds (NT > 0): word cf holds, for lane p at [p*QW +: QW], the NT thresholds of
    // channel cf*PE + p, threshold i at [i*TB +: TB].
    reg [PE*QW-1:0] trom [0:CF-1];
    initial begin
        if (NT > 0) $readmemh(QFILE, trom);
    end
    wire [FBW-1:0] res_cf;                              // the channel fold of `res`
    generate
        if (NT == 0) begin : g_no_thr
            wire unused_t = &{1'b0, trom[0], res_cf};
        end
    endgenerate

    // ---- decoded input elements (Elem<XB, XS>::decode, as ap_int<ACC>) ----
    wire [PE*ACC-1:0] x_dec;
    genvar p;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_dec
            wire [XB-1:0] r = s_axis_tdata[p*XB +: XB];
            wire signed [DW-1:0] d;
            if (XB == 1) begin : g_bip
                assign d = r[0] ? 1 : -1;
            end else if (XS != 0) begin : g_s
                assign d = {{(DW-XB){r[XB-1]}}, r};
            end else begin : g_u
                assign d = {{(DW-XB){1'b0}}, r};
            end
            assign x_dec[p*ACC +: ACC] = d[ACC-1:0];
            if (DW > ACC) begin : g_hi
                wire unused_hi = &{1'b0, d[DW-1:ACC]};
            end
        end
    endgenerate

    // ---- output queue and credit ----
    localparam integer CB = $clog2(QD + 1);
    wire [CB-1:0] q_count;
    wire [CB:0]   in_flight;                            // output words not yet queued
    wire ok = ({1'b0, q_count} + in_flight) < QD[CB:0];
    wire take = s_axis_tvalid && ok;
    assign s_axis_tready = ok;
    wire [PE*OB-1:0] q_word;
    wire             q_push;
    wire             unused_full;
    half_fifo #(.W(PE * OB), .DEPTH(QD), .RAM_STYLE("distributed")) queue (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axis_tdata(q_word), .s_axis_tvalid(q_push), .s_axis_tready(unused_full),
        .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
        .count(q_count));

    // The accumulators whose output is queued next, and their requantisation.
    wire [PE*ACC-1:0] res;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_out
            wire signed [ACC-1:0] a = res[p*ACC +: ACC];
            if (MAXPOOL != 0) begin : g_max
                if (XB == 1) begin : g_bip
                    assign q_word[p*OB +: OB] = (a > 0) ? 1'b1 : 1'b0;
                    wire unused_a = &{1'b0, a};
                end else begin : g_int
                    assign q_word[p*OB +: OB] = a[OB-1:0];
                    if (ACC > OB) begin : g_hi
                        wire unused_a = &{1'b0, a[ACC-1:OB]};
                    end
                end
            end else if (NT > 0) begin : g_thr
                half_thresh #(.ACC(TB - 1), .NT(NT), .BIAS(TBIAS), .OB(OB), .OS(OS), .RELU(0),
                    .SEARCH(TSEARCH)) th (
                    .acc(a[TB-2:0]), .thr(trom[res_cf][p*QW +: QW]), .q(q_word[p*OB +: OB]));
                if (ACC > TB - 1) begin : g_hi
                    wire unused_a = &{1'b0, a[ACC-1:TB-1]};
                end
            end else begin : g_rq
                half_requant #(.ACC(ACC), .SB(SB), .OB(OB), .OS(OS), .RELU(0), .HAS_RQ(HAS_RQ),
                .SCALE_LUT(SCALE_LUT), .SCALE(SCALE)) rq (
                    .acc(a), .scale(SCALE[SB-1:0]), .shift(SHIFT[5:0]), .q(q_word[p*OB +: OB]));
            end
        end
    endgenerate

    generate
        if (GLOBAL == 0) begin : g_window
            // ---- for pixel, cf: for k < KK: accumulate; the window's last word completes ----
            localparam integer KB = (KK > 1) ? $clog2(KK) : 1;
            localparam integer KLAST = KK - 1;
            localparam integer CFLAST = CF - 1;
            reg [KB-1:0] k;
            reg [PE*ACC-1:0] acc;
            reg done1;                                  // acc holds a completed window
            reg [FBW-1:0] cfw, cf_done;                 // the window's channel fold; acc's
            wire first = (k == {KB{1'b0}});
            wire last = (k == KLAST[KB-1:0]);
            integer i;
            reg [PE*ACC-1:0] acc_nxt;
            always @* begin
                for (i = 0; i < PE; i = i + 1) begin
                    if (first) acc_nxt[i*ACC +: ACC] = x_dec[i*ACC +: ACC];
                    else if (MAX != 0)
                        acc_nxt[i*ACC +: ACC] =
                            ($signed(acc[i*ACC +: ACC]) > $signed(x_dec[i*ACC +: ACC]))
                            ? acc[i*ACC +: ACC] : x_dec[i*ACC +: ACC];
                    else acc_nxt[i*ACC +: ACC] = acc[i*ACC +: ACC] + x_dec[i*ACC +: ACC];
                end
            end
            always @(posedge ap_clk) begin
                if (!ap_rst_n) begin
                    k <= {KB{1'b0}};
                    done1 <= 1'b0;
                    cfw <= {FBW{1'b0}};
                end else begin
                    done1 <= take && last;
                    if (take) k <= last ? {KB{1'b0}} : k + 1'b1;
                    if (take && last) cfw <= (cfw == CFLAST[FBW-1:0]) ? {FBW{1'b0}} : cfw + 1'b1;
                end
                if (take && last) cf_done <= cfw;
                if (take) acc <= acc_nxt;
            end
            assign res = acc;
            assign res_cf = cf_done;
            assign q_push = done1;
            assign in_flight = {{CB{1'b0}}, done1};
            wire unused_g = &{1'b0, PIXELS[0]};
        end else begin : g_global
            // ---- for pixel: for cf: sums[cf] = (pixel == 0 ? 0 : sums[cf]) + x ----
            localparam integer FB = (CF > 1) ? $clog2(CF) : 1;
            localparam integer PB = (PIXELS > 1) ? $clog2(PIXELS) : 1;
            localparam integer FLAST = CF - 1;
            localparam integer PLAST = PIXELS - 1;
            reg [PE*ACC-1:0] sums [0:CF-1];
            reg [FB-1:0] cf, cf1, cf2;
            reg [PB-1:0] px;
            reg [PE*ACC-1:0] x1, memq, a2;
            reg v1, first1, last1, v2, last2;
            wire cf_last = (cf == FLAST[FB-1:0]);
            // stage 1: the sum read at the last edge is stale when the previous word wrote
            // the same entry at that edge: take the previous word's sum instead.
            wire fwd = v2 && (cf2 == cf1);
            wire [PE*ACC-1:0] old = fwd ? a2 : memq;
            reg [PE*ACC-1:0] a1;
            integer i;
            always @* begin
                for (i = 0; i < PE; i = i + 1)
                    a1[i*ACC +: ACC] = first1 ? x1[i*ACC +: ACC]
                                              : old[i*ACC +: ACC] + x1[i*ACC +: ACC];
            end
            always @(posedge ap_clk) begin
                memq <= sums[cf];
                if (v1) sums[cf1] <= a1;
                if (take) begin
                    x1 <= x_dec;
                    cf1 <= cf;
                    first1 <= (px == {PB{1'b0}});
                    last1 <= (px == PLAST[PB-1:0]);
                end
                if (v1) begin
                    a2 <= a1;
                    cf2 <= cf1;
                    last2 <= last1;
                end
            end
            always @(posedge ap_clk) begin
                if (!ap_rst_n) begin
                    cf <= {FB{1'b0}};
                    px <= {PB{1'b0}};
                    v1 <= 1'b0;
                    v2 <= 1'b0;
                end else begin
                    v1 <= take;
                    v2 <= v1;
                    if (take) begin
                        cf <= cf_last ? {FB{1'b0}} : cf + 1'b1;
                        if (cf_last) px <= (px == PLAST[PB-1:0]) ? {PB{1'b0}} : px + 1'b1;
                    end
                end
            end
            assign res = a2;
            assign res_cf = cf2[FBW-1:0];
            assign q_push = v2 && last2;
            assign in_flight = {{CB{1'b0}}, v1 && last1} + {{CB{1'b0}}, v2 && last2};
            wire unused_g = &{1'b0, KK[0], MAX[0]};
        end
    endgenerate
endmodule

`default_nettype wire
