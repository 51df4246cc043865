// half-gen RTL: matrix-vector unit with requantisation (conv after a window generator, dense).
//
// Loop nest, one iteration per cycle, as hls/include/half/mvu.h and src/ops/mvu.rs:
//   for pixel < PIXELS: for nf < MH/PE: for sf < MW/SIMD: PE x SIMD multiply-accumulates
// The input vector (SF words) is read during the first neuron fold (nf = 0) and replayed from a
// buffer for the others.
//
// Pipeline (cycle t = the iteration issues, taking its input word when nf = 0):
//   t+1  weight ROM word, input word and control registered
//   t+2  PE x SIMD products registered
//   t+3  per-PE sums of the SIMD products registered
//   t+4  accumulators registered (bias loaded on sf = 0)
//   t+5  on sf = SF-1 the requantised word is in the output queue: m_axis_tvalid
// so an output word is valid DEPTH = 5 cycles after the iteration that completes it issued.
// Iterations issue only while the output queue (QD words) can take every output in flight, so
// the unit never drops a word and runs at one iteration per cycle while the consumer keeps up.
//
// Packed DSP products (PACK > 1, USE_DSP = 1): the weights of PACK neighbouring PEs share one
// multiplier per SIMD slot, as the operand sum_i w_i * 2^(i*LANE) times the common activation
// x. Every product fits LANE bits signed (the cost model's src/stage/mvu_cost.rs `packing`
// picks LANE so), so lane i of the result is exact: its LANE-bit field plus the sign bit of
// the lanes below it (the borrow their negative sum took), read as LANE-bit signed.
//
// Memories ($readmemh, one word per line):
//   WFILE: NF*SF words of PE*SIMD*WB bits; word nf*SF+sf holds, for PE p at bits
//          [p*SIMD*WB +: SIMD*WB], the SIMD weights of output channel nf*PE+p (element s at
//          [s*WB +: WB]).
//   BFILE: NF words of PE*ACC bits, bias of channel nf*PE+p at [p*ACC +: ACC] (HAS_BIAS = 1).
//   QFILE: NF words of PE*(SB+6) bits, {shift[5:0], scale[SB-1:0]} of channel nf*PE+p at
//          [p*(SB+6) +: SB+6] (PERCH = 1); otherwise the parameters SCALE and SHIFT. With
//          thresholds (NT > 0): NF words of PE*NT*TB bits, threshold i of channel nf*PE+p at
//          [(p*NT + i)*TB +: TB] (half_thresh).
`default_nettype none

module half_mvu #(
    parameter integer MW = 16,
    parameter integer MH = 8,
    parameter integer SIMD = 4,
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
    parameter integer PACK = 1,
    parameter integer LANE = 16,
    parameter ROM_STYLE = "block",
    parameter WFILE = "w.hex",
    parameter BFILE = "b.hex",
    parameter QFILE = "q.hex"
) (
    input  wire                 ap_clk,
    input  wire                 ap_rst_n,
    input  wire [SIMD*XB-1:0]   s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    output wire [PE*OB-1:0]     m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready
);
    localparam integer SF = MW / SIMD;
    localparam integer NF = MH / PE;
    // Product bits: a bipolar operand is 2 bits (+-1), an unsigned one gains a sign bit (the
    // cost model's `operand_bits`). An XNOR product (both bipolar) is summed as its match bit.
    localparam integer XNOR = (WB == 1 && XB == 1) ? 1 : 0;
    localparam integer PB = ((WB == 1) ? 2 : WB) + ((XB == 1) ? 2 : (XS != 0) ? XB : XB + 1);
    localparam integer PW = (XNOR != 0) ? 1 : PB;   // bits of one term of the sum
    // Fabric products of a weight of 5 bits or more and an activation of 3 or more are built
    // by half_mul (partial products, shifted tree): fewer LUTs than Yosys' `*` there, more
    // below (the cost model's `mvu_cost::partial_products`).
    localparam integer PPMUL = (USE_DSP == 0 && WB >= 5 && XB >= 3) ? 1 : 0;
    localparam integer WW = PE * SIMD * WB;         // weight word
    localparam integer QW = (NT > 0) ? NT * TB : SB + 6;
    localparam integer QD = 8;                      // output queue depth (> pipeline depth)
    // The memory style only matters to synthesis, through the rom_style attribute.
    wire unused_style = (ROM_STYLE == "block");
    localparam integer SFB = (SF > 1) ? $clog2(SF) : 1;
    localparam integer NFB = (NF > 1) ? $clog2(NF) : 1;
    localparam integer ROWS = NF * SF;
    localparam integer RB = (ROWS > 1) ? $clog2(ROWS) : 1;

    // ---- memories ----
    (* rom_style = ROM_STYLE *) reg [WW-1:0] wrom [0:ROWS-1];
    reg [PE*ACC-1:0] brom [0:NF-1];
    reg [PE*QW-1:0]  qrom [0:NF-1];
    initial begin
        $readmemh(WFILE, wrom);
        if (HAS_BIAS != 0) $readmemh(BFILE, brom);
        if (PERCH != 0 || NT > 0) $readmemh(QFILE, qrom);
    end
    reg [SIMD*XB-1:0] inbuf [0:SF-1];

    // ---- issue ----
    reg [SFB-1:0] sf;
    reg [NFB-1:0] nf;
    reg [RB-1:0]  row;                              // nf*SF + sf
    reg [3:0]     q_count;                          // words in the output queue
    reg [3:0]     inflight;                         // completing iterations not yet queued
    wire [4:0] in_use = {1'b0, q_count} + {1'b0, inflight};
    wire space = in_use < 5'd8;
    wire need_in = (nf == 0);
    wire go = space && (!need_in || s_axis_tvalid);
    localparam integer SF_LAST = SF - 1;
    localparam integer NF_LAST = NF - 1;
    wire is_last = (sf == SF_LAST[SFB-1:0]);
    assign s_axis_tready = need_in && space;
    wire [SIMD*XB-1:0] x_now = need_in ? s_axis_tdata : inbuf[sf];

    // ---- stage 1: ROM and input registered ----
    reg [WW-1:0]        w1;
    reg [SIMD*XB-1:0]   x1;
    reg                 v1, first1, last1;
    reg [NFB-1:0]       nf1;
    // ---- stage 2: products ----
    reg                 v2, first2, last2;
    reg [NFB-1:0]       nf2;
    // ---- stage 3: sums ----
    reg                 v3, first3, last3;
    reg [NFB-1:0]       nf3;
    // ---- stage 4: accumulators ----
    reg                 v4;
    reg [NFB-1:0]       nf4;

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            sf <= 0;
            nf <= 0;
            row <= 0;
            v1 <= 1'b0;
        end else begin
            v1 <= go;
            if (go) begin
                if (need_in) inbuf[sf] <= s_axis_tdata;
                w1 <= wrom[row];
                x1 <= x_now;
                first1 <= (sf == 0);
                last1 <= is_last;
                nf1 <= nf;
                if (is_last) begin
                    sf <= 0;
                    if (nf == NF_LAST[NFB-1:0]) begin
                        nf <= 0;
                        row <= 0;
                    end else begin
                        nf <= nf + 1'b1;
                        row <= row + 1'b1;
                    end
                end else begin
                    sf <= sf + 1'b1;
                    row <= row + 1'b1;
                end
            end
        end
    end

    // Products of PE p, SIMD slot s at prod[p*SIMD + s].
    wire signed [PB-1:0] prod [0:PE*SIMD-1];
    genvar p, s, g, j;
    generate
        if (PACK > 1) begin : g_packed
            localparam integer GROUPS = (PE + PACK - 1) / PACK;
            for (g = 0; g < GROUPS; g = g + 1) begin : g_group
                // The last group may have fewer PEs than PACK.
                localparam integer USED = (PE - g*PACK < PACK) ? PE - g*PACK : PACK;
                // Packed operand bits: the top lane's weight times 2^((USED-1) LANE), less up
                // to 2^((USED-1) LANE - 1) from the lanes below, needs one bit over the lanes.
                localparam integer AW = (USED - 1) * LANE + WB + 1;
                localparam integer MB = USED * LANE;                // packed product bits
                for (s = 0; s < SIMD; s = s + 1) begin : g_slot
                    wire [XB-1:0] xr = x1[s*XB +: XB];
                    wire signed [XB:0] xd = (XS != 0) ? {xr[XB-1], xr} : {1'b0, xr};
                    if (USED == 1) begin : g_one
                        // A slice left with one PE multiplies it alone (as PACK = 1).
                        wire [WB-1:0] wr = w1[(g*PACK*SIMD + s)*WB +: WB];
                        wire signed [WB:0] wd = {wr[WB-1], wr};
                        (* use_dsp = "yes" *) wire signed [PB-1:0] m = wd * xd;
                        assign prod[g*PACK*SIMD + s] = m;
                    end else begin : g_lanes
                        wire [AW-1:0] part [0:USED-1];
                        for (j = 0; j < USED; j = j + 1) begin : g_part
                            wire [WB-1:0] wr = w1[((g*PACK + j)*SIMD + s)*WB +: WB];
                            wire [AW-1:0] wx = {{(AW-WB){wr[WB-1]}}, wr};   // sign-extended
                            assign part[j] = wx << (j*LANE);
                        end
                        reg [AW-1:0] a;
                        integer k;
                        always @* begin
                            a = {AW{1'b0}};
                            for (k = 0; k < USED; k = k + 1) a = a + part[k];
                        end
                        // Exact modulo 2^MB, which holds every lane.
                        (* use_dsp = "yes" *) wire signed [MB-1:0] m = $signed(a) * xd;
                        for (j = 0; j < USED; j = j + 1) begin : g_lane
                            wire [LANE-1:0] f;
                            if (j == 0) begin : g_low
                                assign f = m[LANE-1:0];
                            end else begin : g_high
                                assign f = m[j*LANE +: LANE] + {{(LANE-1){1'b0}}, m[j*LANE-1]};
                            end
                            if (PB > LANE) begin : g_sext
                                assign prod[(g*PACK + j)*SIMD + s] = {{(PB-LANE){f[LANE-1]}}, f};
                            end else begin : g_full
                                assign prod[(g*PACK + j)*SIMD + s] = f;
                            end
                        end
                    end
                end
            end
        end else begin : g_single
            for (p = 0; p < PE; p = p + 1) begin : g_pe
                for (s = 0; s < SIMD; s = s + 1) begin : g_simd
                    wire [WB-1:0] wr = w1[(p*SIMD + s)*WB +: WB];
                    wire [XB-1:0] xr = x1[s*XB +: XB];
                    if (WB == 1 && XB == 1) begin : g_xnor
                        assign prod[p*SIMD + s] = (wr == xr) ? 1 : -1;
                    end else begin : g_mul
                        wire signed [WB:0] wd = (WB == 1) ? (wr[0] ? 1 : -1) : {wr[WB-1], wr};
                        wire signed [XB:0] xd = (XB == 1) ? (xr[0] ? 1 : -1)
                                              : (XS != 0) ? {xr[XB-1], xr} : {1'b0, xr};
                        if (USE_DSP != 0) begin : g_dsp
                            (* use_dsp = "yes" *) wire signed [PB-1:0] m = wd * xd;
                            assign prod[p*SIMD + s] = m;
                        end else if (PPMUL != 0) begin : g_pp
                            wire unused_ops = &{1'b0, wd, xd};      // half_mul takes the raw operands
                            half_mul #(.WB(WB), .XB(XB), .XS(XS), .P(PB)) mul (
                                .w(wr), .x(xr), .y(prod[p*SIMD + s]));
                        end else begin : g_lut
                            (* use_dsp = "no" *) wire signed [PB-1:0] m = wd * xd;
                            assign prod[p*SIMD + s] = m;
                        end
                    end
                end
            end
        end
    endgenerate

    // Registered products, sums and accumulators, one lane per PE. An XNOR product is
    // registered as its match bit alone: the SIMD match bits are counted and the sum is
    // 2 * count - SIMD.
    wire [PE*ACC-1:0] acc_flat;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_pe
            reg  [SIMD*PW-1:0] prod2;
            for (s = 0; s < SIMD; s = s + 1) begin : g_simd
                wire [PB-1:0] ps = prod[p*SIMD + s];
                if (XNOR != 0) begin : g_bit
                    // +1 (a match) has a clear sign bit, -1 a set one.
                    always @(posedge ap_clk) prod2[s*PW +: PW] <= ~ps[PB-1];
                    wire unused_ps = &{1'b0, ps[PB-2:0]};
                end else begin : g_word
                    always @(posedge ap_clk) prod2[s*PW +: PW] <= ps;
                end
            end
            // The lane's sum as an ACC-bit (wrapping) term (2 * count - SIMD for XNOR).
            wire signed [ACC-1:0] sum_now;
            half_lane_sum #(.SIMD(SIMD), .PW(PW), .XNOR(XNOR), .ACC(ACC)) lane_sum (
                .terms(prod2), .sum(sum_now));
            reg signed [ACC-1:0] sum3;
            always @(posedge ap_clk) sum3 <= sum_now;
            reg signed [ACC-1:0] acc4;
            wire signed [ACC-1:0] bias = (HAS_BIAS != 0) ? brom[nf3][p*ACC +: ACC] : {ACC{1'b0}};
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
        nf2 <= nf1;
        first3 <= first2;
        last3 <= last2;
        nf3 <= nf2;
        nf4 <= nf3;
    end

    // ---- requantise the completed accumulators into the output queue ----
    wire [PE*OB-1:0] q_word;
    generate
        for (p = 0; p < PE; p = p + 1) begin : g_rq
            if (NT > 0) begin : g_thr
                half_thresh #(.ACC(TB - 1), .NT(NT), .BIAS(TBIAS), .OB(OB), .OS(OS), .RELU(RELU),
                    .SEARCH(TSEARCH)) th (
                    .acc(acc_flat[p*ACC +: TB - 1]), .thr(qrom[nf4][p*QW +: QW]),
                    .q(q_word[p*OB +: OB]));
            end else begin : g_lin
                wire [SB-1:0] sc = (PERCH != 0) ? qrom[nf4][p*QW +: SB] : SCALE[SB-1:0];
                wire [5:0]    sh = (PERCH != 0) ? qrom[nf4][p*QW + SB +: 6] : SHIFT[5:0];
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
