// half-gen RTL: vector-vector unit with requantisation (depthwise conv after a window generator
// in depthwise order), the twin of hls/include/half/vvu.h and src/ops/dwconv.rs.
//
// Loop nest, one iteration per cycle, every iteration consuming one input word:
//   for pixel < PIXELS: for cf < C/PE: for kf < KK/SIMD: PE x SIMD multiply-accumulates
// Input word: SIMD kernel positions x PE channels, element (s, p) at element index s*PE + p,
// i.e. bits [(s*PE + p)*XB +: XB], kernel position kf*SIMD + s of channel cf*PE + p.
// PE p accumulates only the SIMD products of its own channel; on kf = KF-1 the PE accumulators
// are requantised into one output word of PE elements (channel cf*PE + p at [p*OB +: OB]).
// Elements: activations XB bits, bipolar when XB = 1 (raw 1 = +1, raw 0 = -1), else signed
// (XS = 1) or unsigned; weights WB bits, bipolar when WB = 1, else signed. Products are exact,
// sums and accumulators wrap to ACC bits (signed). Output: half_requant (HAS_RQ, SCALE, SHIFT or
// per-channel values, OB, OS, RELU). The unit has no frame counter: cf and kf wrap, so frames of
// PIXELS*CF*KF words follow each other with no gap.
//
// Pipeline (cycle t = the iteration issues, taking its input word):
//   t+1  weight ROM word, input word and control registered
//   t+2  PE x SIMD products registered
//   t+3  per-PE sums of the SIMD products registered
//   t+4  accumulators registered (bias loaded on kf = 0)
//   t+5  on kf = KF-1 the requantised word is in the output queue: m_axis_tvalid
// so an output word is valid DEPTH = 5 cycles after the iteration that completes it issued
// (or, if earlier words are still queued, once they have been taken).
//
// Issue rule (cycle-exact; all terms are registers, so there is no combinational path from
// m_axis_tready to s_axis_tready, nor from s_axis_tvalid to m_axis_tvalid):
//   q(t)     words in the output queue (QD = 8 words), m_axis_tvalid(t) = (q(t) != 0)
//   f(t)     issued iterations with kf = KF-1 whose word has not entered the queue yet
//   s_axis_tready(t) = (q(t) + f(t) < QD)
//   issue(t) = s_axis_tready(t) && s_axis_tvalid(t)        (the input word moves at the edge)
//   push(t)  = issue(t-4) && kf(t-4) = KF-1                (written at the edge ending t)
//   pop(t)   = m_axis_tvalid(t) && m_axis_tready(t)
//   q(t+1) = q(t) + push(t) - pop(t),   f(t+1) = f(t) + (issue(t) && kf(t) = KF-1) - push(t)
// An output word thus occupies q + f for 5 cycles when it is taken at once, so with the input
// always valid and the output always ready q + f <= 5 < QD: one iteration per cycle, and a frame
// takes exactly PIXELS*CF*KF cycles in steady state (CF = C/PE, KF = KK/SIMD).
//
// Memories ($readmemh, one word per line):
//   WFILE: CF*KF words of PE*SIMD*WB bits; word cf*KF+kf holds, for PE p at bits
//          [p*SIMD*WB +: SIMD*WB], the weights of channel cf*PE+p at kernel positions
//          kf*SIMD+s (element s at [s*WB +: WB]).
//   BFILE: CF words of PE*ACC bits, bias of channel cf*PE+p at [p*ACC +: ACC] (HAS_BIAS = 1).
//   QFILE: CF words of PE*(SB+6) bits, {shift[5:0], scale[SB-1:0]} of channel cf*PE+p at
//          [p*(SB+6) +: SB+6] (PERCH = 1); otherwise the parameters SCALE and SHIFT.
`default_nettype none

module half_vvu #(
    parameter integer C = 8,
    parameter integer KK = 9,
    parameter integer SIMD = 3,
    parameter integer PE = 2,
    parameter integer XB = 8,
    parameter integer XS = 0,
    parameter integer WB = 8,
    parameter integer ACC = 24,
    parameter integer HAS_BIAS = 1,
    parameter integer HAS_RQ = 1,
    parameter integer SB = 9,
    parameter integer PERCH = 0,
    parameter integer NT = 0,          // thresholds per channel (half_thresh); 0: scale, shift
    parameter integer TB = 2,          // bits of a threshold (the accumulator's + 1)
    parameter integer TBIAS = 0,       // the level below every threshold
    parameter integer TSEARCH = 0,     // 1: binary search of the thresholds
    parameter integer SCALE = 1,
    parameter integer SCALE_LUT = 0,   // 1: the constant SCALE by shift-adds (half_const_mul)
    parameter integer SHIFT = 0,
    parameter integer OB = 8,
    parameter integer OS = 0,
    parameter integer RELU = 0,
    parameter integer USE_DSP = 0,
    parameter ROM_STYLE = "block",
    parameter WFILE = "w.hex",
    parameter BFILE = "b.hex",
    parameter QFILE = "q.hex"
) (
    input  wire                    ap_clk,
    input  wire                    ap_rst_n,
    input  wire [SIMD*PE*XB-1:0]   s_axis_tdata,
    input  wire                    s_axis_tvalid,
    output wire                    s_axis_tready,
    output wire [PE*OB-1:0]        m_axis_tdata,
    output wire                    m_axis_tvalid,
    input  wire                    m_axis_tready
);
    localparam integer KF = KK / SIMD;
    localparam integer CF = C / PE;
    // Product bits: a bipolar operand is 2 bits (+-1), an unsigned one gains a sign bit (the
    // cost model's `operand_bits`). An XNOR product (both bipolar) is summed as its match bit.
    localparam integer XNOR = (WB == 1 && XB == 1) ? 1 : 0;
    localparam integer PB = ((WB == 1) ? 2 : WB) + ((XB == 1) ? 2 : (XS != 0) ? XB : XB + 1);
    localparam integer PW = (XNOR != 0) ? 1 : PB;   // bits of one term of the sum
    // Fabric products of a weight of 5 bits or more and an activation of 3 or more are built
    // by half_mul (partial products, shifted tree): fewer LUTs than Yosys' `*` there, more
    // below (as half_mvu; the cost model's `mvu_cost::partial_products`).
    localparam integer PPMUL = (USE_DSP == 0 && WB >= 5 && XB >= 3) ? 1 : 0;
    localparam integer WW = PE * SIMD * WB;         // weight word
    localparam integer XW = SIMD * PE * XB;         // input word
    localparam integer QW = (NT > 0) ? NT * TB : SB + 6;
    localparam integer QD = 8;                      // output queue depth (> pipeline depth)
    // The memory style only matters to synthesis, through the rom_style attribute.
    wire unused_style = (ROM_STYLE == "block");
    localparam integer KFB = (KF > 1) ? $clog2(KF) : 1;
    localparam integer CFB = (CF > 1) ? $clog2(CF) : 1;
    localparam integer ROWS = CF * KF;
    localparam integer RB = (ROWS > 1) ? $clog2(ROWS) : 1;

    // ---- memories ----
    (* rom_style = ROM_STYLE *) reg [WW-1:0] wrom [0:ROWS-1];
    reg [PE*ACC-1:0] brom [0:CF-1];
    reg [PE*QW-1:0]  qrom [0:CF-1];
    initial begin
        $readmemh(WFILE, wrom);
        if (HAS_BIAS != 0) $readmemh(BFILE, brom);
        if (PERCH != 0 || NT > 0) $readmemh(QFILE, qrom);
    end

    // ---- issue ----
    reg [KFB-1:0] kf;
    reg [CFB-1:0] cf;
    reg [RB-1:0]  row;                              // cf*KF + kf
    reg [3:0]     q_count;                          // words in the output queue
    reg [3:0]     inflight;                         // completing iterations not yet queued
    wire [4:0] in_use = {1'b0, q_count} + {1'b0, inflight};
    wire space = in_use < 5'd8;
    wire go = space && s_axis_tvalid;
    localparam integer KF_LAST = KF - 1;
    localparam integer CF_LAST = CF - 1;
    wire is_last = (kf == KF_LAST[KFB-1:0]);
    assign s_axis_tready = space;

    // ---- stage 1: ROM and input registered ----
    reg [WW-1:0]        w1;
    reg [XW-1:0]        x1;
    reg                 v1, first1, last1;
    reg [CFB-1:0]       cf1;
    // ---- stage 2: products ----
    reg                 v2, first2, last2;
    reg [CFB-1:0]       cf2;
    // ---- stage 3: sums ----
    reg                 v3, first3, last3;
    reg [CFB-1:0]       cf3;
    // ---- stage 4: accumulators ----
    reg                 v4;
    reg [CFB-1:0]       cf4;

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            kf <= 0;
            cf <= 0;
            row <= 0;
            v1 <= 1'b0;
        end else begin
            v1 <= go;
            if (go) begin
                w1 <= wrom[row];
                x1 <= s_axis_tdata;
                first1 <= (kf == 0);
                last1 <= is_last;
                cf1 <= cf;
                if (is_last) begin
                    kf <= 0;
                    if (cf == CF_LAST[CFB-1:0]) begin
                        cf <= 0;
                        row <= 0;
                    end else begin
                        cf <= cf + 1'b1;
                        row <= row + 1'b1;
                    end
                end else begin
                    kf <= kf + 1'b1;
                    row <= row + 1'b1;
                end
            end
        end
    end

    // Products, sums and accumulators, one lane per PE over the SIMD elements of its channel.
    // An XNOR product is registered as its match bit alone (the sum is 2 * count - SIMD);
    // half_sum adds the terms.
    wire [PE*ACC-1:0] acc_flat;
    genvar p, s;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            reg  [SIMD*PW-1:0] prod2;
            for (s = 0; s < SIMD; s = s + 1) begin : g_simd
                wire [WB-1:0] wr = w1[(p*SIMD + s)*WB +: WB];
                wire [XB-1:0] xr = x1[(s*PE + p)*XB +: XB];
                if (XNOR != 0) begin : g_xnor
                    always @(posedge ap_clk) prod2[s*PW +: PW] <= (wr == xr);
                end else begin : g_mul
                    wire signed [WB:0] wd = (WB == 1) ? (wr[0] ? 1 : -1) : {wr[WB-1], wr};
                    wire signed [XB:0] xd = (XB == 1) ? (xr[0] ? 1 : -1)
                                          : (XS != 0) ? {xr[XB-1], xr} : {1'b0, xr};
                    // The product wire carries the use_dsp attribute (the synthesis flow finds
                    // the multiplier through it).
                    if (USE_DSP != 0) begin : g_dsp
                        (* use_dsp = "yes" *) wire signed [PB-1:0] m = wd * xd;
                        always @(posedge ap_clk) prod2[s*PW +: PW] <= m;
                    end else if (PPMUL != 0) begin : g_pp
                        wire unused_ops = &{1'b0, wd, xd};      // half_mul takes the raw operands
                        wire [PB-1:0] m;
                        half_mul #(.WB(WB), .XB(XB), .XS(XS), .P(PB)) mul (.w(wr), .x(xr), .y(m));
                        always @(posedge ap_clk) prod2[s*PW +: PW] <= m;
                    end else begin : g_lut
                        (* use_dsp = "no" *) wire signed [PB-1:0] m = wd * xd;
                        always @(posedge ap_clk) prod2[s*PW +: PW] <= m;
                    end
                end
            end
            // The lane's sum as an ACC-bit (wrapping) term (2 * count - SIMD for XNOR).
            wire signed [ACC-1:0] sum_now;
            half_lane_sum #(.SIMD(SIMD), .PW(PW), .XNOR(XNOR), .ACC(ACC)) lane_sum (
                .terms(prod2), .sum(sum_now));
            reg signed [ACC-1:0] sum3;
            always @(posedge ap_clk) sum3 <= sum_now;
            reg signed [ACC-1:0] acc4;
            wire signed [ACC-1:0] bias = (HAS_BIAS != 0) ? brom[cf3][p*ACC +: ACC] : {ACC{1'b0}};
            always @(posedge ap_clk) if (v3) acc4 <= (first3 ? bias : acc4) + sum3;
            assign acc_flat[p*ACC +: ACC] = acc4;
        end
    endgenerate

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            v2 <= 1'b0;
            v3 <= 1'b0;
            v4 <= 1'b0;
        end else begin
            v2 <= v1;
            v3 <= v2;
            v4 <= v3 && last3;
        end
        first2 <= first1;
        last2 <= last1;
        cf2 <= cf1;
        first3 <= first2;
        last3 <= last2;
        cf3 <= cf2;
        cf4 <= cf3;
    end

    // ---- requantise the completed accumulators into the output queue ----
    wire [PE*OB-1:0] q_word;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_rq
            if (NT > 0) begin : g_thr
                half_thresh #(.ACC(TB - 1), .NT(NT), .BIAS(TBIAS), .OB(OB), .OS(OS), .RELU(RELU),
                    .SEARCH(TSEARCH)) th (
                    .acc(acc_flat[p*ACC +: TB - 1]), .thr(qrom[cf4][p*QW +: QW]),
                    .q(q_word[p*OB +: OB]));
            end else begin : g_lin
                wire [SB-1:0] sc = (PERCH != 0) ? qrom[cf4][p*QW +: SB] : SCALE[SB-1:0];
                wire [5:0]    sh = (PERCH != 0) ? qrom[cf4][p*QW + SB +: 6] : SHIFT[5:0];
                half_requant #(.ACC(ACC), .SB(SB), .OB(OB), .OS(OS), .RELU(RELU), .HAS_RQ(HAS_RQ),
                    .SCALE_LUT((PERCH == 0 && SCALE_LUT != 0) ? 1 : 0), .SCALE(SCALE)) rq (
                    .acc(acc_flat[p*ACC +: ACC]), .scale(sc), .shift(sh), .q(q_word[p*OB +: OB]));
            end
        end
    endgenerate

    reg [PE*OB-1:0] queue [0:QD-1];
    reg [2:0] q_wr, q_rd;
    wire push = v4;
    wire pop = m_axis_tvalid && m_axis_tready;
    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            q_wr <= 0;
            q_rd <= 0;
            q_count <= 0;
            inflight <= 0;
        end else begin
            if (push) begin
                queue[q_wr] <= q_word;
                q_wr <= q_wr + 1'b1;
            end
            if (pop) q_rd <= q_rd + 1'b1;
            q_count <= q_count + {3'b0, push} - {3'b0, pop};
            inflight <= inflight + {3'b0, go && is_last} - {3'b0, push};
        end
    end
    assign m_axis_tvalid = (q_count != 0);
    assign m_axis_tdata = queue[q_rd];
endmodule

`default_nettype wire
