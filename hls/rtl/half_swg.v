// half-gen RTL: sliding-window generator (im2col on a stream), padding generated on the fly.
// Same element order and padding semantics as hls/include/half/swg.h.
//
// Input: IH x IW x C in H, W, C order, P channels per word (CF = C/P words per pixel).
// Output, per output pixel (oy, ox) in raster order, OH = (IH+PT+PB-KH)/SH + 1 (OW likewise),
// with top = oy*SH - PT, left = ox*SW - PL:
//   DW = 0 (conv, KP must be 1): for ky, for kx, for cf: one word = the P channels of fold cf
//          of input pixel (top + ky, left + kx)
//   DW = 1 (depthwise, pools): for cf, for g < KK/KP: one word of KP kernel positions
//          k = g*KP + kp (ky = k / KW, kx = k % KW), element (kp, p) at element index kp*P + p
// Positions outside the image read PADRAW. Elements are B bits in and OB bits out: OB = B, or
// B = 1 and OB = 2 (bipolar input widened to 2-bit signed: raw 1 -> 01, raw 0 -> 11).
//
// Line buffer: BR = KH + SH rows of RW = IW*CF words (a simple dual-port RAM, KP read ports,
// synchronous read). Image row r of the global stream (frames back to back) lives in slot
// r mod BR, so the write address is simply the input word count mod BR*RW.
//
// Each cycle the module may accept one input word and emit one output word.
//   * Emit (load the output register): when every in-image position of the next output word
//     has been accepted in an earlier cycle (position (y, x, cf) lexicographically before the
//     input pointer) and the output register is empty or being read this cycle.
//   * Accept (s_axis_tready): the word (row r, column x, fold cf) of the input pointer goes to
//     the buffer place of word (r - BR, x, cf); it is accepted when that older word is free.
//     Rows are counted relative to the current output frame (the next frame's rows are IH, IH+1,
//     ..., the previous frame's are negative), top is the current output row's first window row.
//       RELEASE = 0: free when r - BR < top (row granularity: r < top + BR).
//       RELEASE = 1 (default): additionally free when no pending output word of the current
//         frame reads it: a row of the previous frame, or a row < IH not read by later output
//         rows, whose column is left of every remaining window of the current output row or is
//         in the current window and was already emitted.
//     RELEASE = 1 removes the per-frame bubble of the row rule when the last output row of a
//     frame shares buffer slots with the next frame's first window rows (OH*SH < IH + PT, e.g.
//     'valid' convs): at row granularity the last KH rows of a frame stay locked for the whole
//     last output row, so the next frame's first windows wait (measured: +27 cycles per frame on
//     CNV conv0 32x32x3 3x3 valid, 8127 instead of 8100; +31 on 12x9x2 5x3 valid).
//   s_axis_tready depends on registers only (never on m_axis_tready or s_axis_tvalid).
// Frames overlap: the output side moves to the next frame right after emitting a frame's last
// word (its leading padding-only words can leave before any of its input arrives), the input
// side right after accepting a frame's last word.
//
// Timing (edge = rising ap_clk edge at which a handshake is sampled):
//   * An input word accepted at edge t is readable at edge t+1: an output word whose last needed
//     input word was accepted at edge t is loaded into the output register at edge t+1 at the
//     earliest, m_axis_tvalid is high after it and the word is taken at edge t+2 at the
//     earliest. In general, with m_axis_tready high, output word j is taken at edge
//     max(T(j-1) + 1, A(need(j)) + 2), A = acceptance edge of an input word (T(-1) = the first
//     edge with ap_rst_n high), i.e. latency 1 from acceptance to the output register.
//   * Throughput: one input word and one output word per cycle. With s_axis_tvalid and
//     m_axis_tready always high the steady state is max(IN_WORDS, OUT_WORDS) cycles per frame,
//     IN_WORDS = IH*IW*CF, OUT_WORDS = OH*OW*KH*KW*CF/KP, with no per-frame bubble, except in
//     the cases below.
// Limits: frames overlap only as far as the BR = KH + SH buffer rows allow. The next frame's
//   first windows may read rows whose slots the last output row of a frame still holds
//   ('valid'-style windows, which leave the last image rows unread). Those slots are released
//   column by column as the last output row advances and, within its last pixel, word by word
//   in output order, and the input must pass all of them, row by row, before the words the
//   next frame's first pixel needs. When that takes longer than the last pixel lasts, the
//   frame starts late. Measured excess over max, cycles per frame:
//     DW = 0: 13x14x2 6x4 stride (1,2) valid P=2: +4; 4x14x1 4x2 stride (1,2) pads (0,0,1,0): +4
//     DW = 1 (a pixel leaves fold by fold, so the slots of a fold are freed late):
//       10x12x3 3x3 valid KP=3 P=3: +2; 10x12x6 same: +6; 12x8x4 4x3 stride (3,1) valid P=2: +4;
//       32x32x32 3x3 valid P=4: +18 with KP=1, +30 with KP=3.
//   None for 'same' padding with stride 1 or for any of the CNV / DS-CNN / pooling cases in
//   hls/rtl/tests/swg/run.sh. The input order forces this, not the release rule (word-exact
//   for DW = 0, kernel-group-exact for DW = 1); with one more buffer row (KH + SH + 1) every
//   case above was checked to reach exactly max.
// m_axis_tvalid is a register; m_axis_tdata is the RAM read register through the padding mux.
// Assumes PT < KH and PB < KH (padding smaller than the kernel), KK divisible by KP.
`default_nettype none

module half_swg #(
    parameter integer IH = 8,
    parameter integer IW = 8,
    parameter integer C = 4,
    parameter integer KH = 3,
    parameter integer KW = 3,
    parameter integer SH = 1,
    parameter integer SW = 1,
    parameter integer PT = 1,
    parameter integer PB = 1,
    parameter integer PL = 1,
    parameter integer PR = 1,
    parameter integer P = 2,
    parameter integer B = 4,
    parameter integer OB = 4,
    parameter integer KP = 1,
    parameter integer DW = 0,
    parameter integer PADRAW = 0,
    parameter integer RELEASE = 1
) (
    input  wire                  ap_clk,
    input  wire                  ap_rst_n,
    input  wire [P*B-1:0]        s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    output wire [KP*P*OB-1:0]    m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready
);
    // ---- geometry ----
    localparam integer CF = C / P;
    localparam integer RW = IW * CF;                 // words per buffer row
    localparam integer BR = KH + SH;                 // buffer rows
    localparam integer D = BR * RW;                  // buffer words
    localparam integer OH = (IH + PT + PB - KH) / SH + 1;
    localparam integer OW = (IW + PL + PR - KW) / SW + 1;
    localparam integer KK = KH * KW;
    localparam integer G = KK / KP;                  // output words per pixel and fold
    localparam integer LROW = (OH - 1) * SH - PT + KH - 1;   // last row any window reads
    localparam integer LCOL = (OW - 1) * SW - PL + KW - 1;   // last column any window reads
    // Buffer row offsets (times RW): first window row of frame 0, one output row down, and from
    // the last output row of a frame to the first of the next.
    localparam integer TRB0 = (((-PT) % BR + BR) % BR) * RW;
    localparam integer SHRW = SH * RW;
    localparam integer FRW = (((IH - (OH - 1) * SH) % BR + BR) % BR) * RW;
    // Kernel-position step of a group (KP positions) in (ky, kx).
    localparam integer DKY = KP / KW;
    localparam integer DKX = KP % KW;

    // ---- widths ----
    localparam integer AW = (D > 1) ? $clog2(D) : 1;
    localparam integer OYW = (OH > 1) ? $clog2(OH) : 1;
    localparam integer OXW = (OW > 1) ? $clog2(OW) : 1;
    localparam integer CFW = (CF > 1) ? $clog2(CF) : 1;
    localparam integer GW = (G > 1) ? $clog2(G) : 1;
    localparam integer IXW = (IW > 1) ? $clog2(IW) : 1;
    localparam integer KYW = (KH > 1) ? $clog2(KH) : 1;
    localparam integer KXW = (KW > 1) ? $clog2(KW) : 1;
    // One signed width for all coordinate arithmetic (rows, columns, column words, addresses).
    localparam integer MAXV = 2 * (IH + BR + PT + PB + KH + SH) + 2 * (IW + PL + PR + KW + SW) * CF
                              + 2 * D + 2 * KK + 16;
    localparam integer SWD = $clog2(MAXV) + 2;

    // ---- SWD-bit signed constants ----
    localparam integer I_NPT = -PT;
    localparam integer I_NPL = -PL;
    localparam integer I_NPLW = -PL * CF;
    localparam integer I_SWCF = SW * CF;
    localparam integer I_KH1 = KH - 1;
    localparam integer I_KW1 = KW - 1;
    localparam integer I_DKXW = DKX * CF;
    localparam integer I_DKXWM = DKX * CF - KW * CF;
    localparam integer I_DKYRW = DKY * RW;
    localparam integer I_DKY1RW = (DKY + 1) * RW;
    localparam integer I_DKY1 = DKY + 1;
    localparam signed [SWD-1:0] S_IH = IH[SWD-1:0];
    localparam signed [SWD-1:0] S_IW = IW[SWD-1:0];
    localparam signed [SWD-1:0] S_BR = BR[SWD-1:0];
    localparam signed [SWD-1:0] S_SH = SH[SWD-1:0];
    localparam signed [SWD-1:0] S_SW = SW[SWD-1:0];
    localparam signed [SWD-1:0] S_KW = KW[SWD-1:0];
    localparam signed [SWD-1:0] S_KH1 = I_KH1[SWD-1:0];
    localparam signed [SWD-1:0] S_KW1 = I_KW1[SWD-1:0];
    localparam signed [SWD-1:0] S_LROW = LROW[SWD-1:0];
    localparam signed [SWD-1:0] S_LCOL = LCOL[SWD-1:0];
    localparam signed [SWD-1:0] S_NPT = I_NPT[SWD-1:0];
    localparam signed [SWD-1:0] S_NPL = I_NPL[SWD-1:0];
    localparam signed [SWD-1:0] S_NPLW = I_NPLW[SWD-1:0];
    localparam signed [SWD-1:0] S_SWCF = I_SWCF[SWD-1:0];
    localparam signed [SWD-1:0] S_D = D[SWD-1:0];
    localparam signed [SWD-1:0] S_SHRW = SHRW[SWD-1:0];
    localparam signed [SWD-1:0] S_FRW = FRW[SWD-1:0];
    localparam signed [SWD-1:0] S_DKX = DKX[SWD-1:0];
    localparam signed [SWD-1:0] S_DKY = DKY[SWD-1:0];
    localparam signed [SWD-1:0] S_DKY1 = I_DKY1[SWD-1:0];
    localparam signed [SWD-1:0] S_DKXW = I_DKXW[SWD-1:0];
    localparam signed [SWD-1:0] S_DKXWM = I_DKXWM[SWD-1:0];
    localparam signed [SWD-1:0] S_DKYRW = I_DKYRW[SWD-1:0];
    localparam signed [SWD-1:0] S_DKY1RW = I_DKY1RW[SWD-1:0];
    // ---- counter limits ----
    localparam integer I_OY_LAST = OH - 1;
    localparam integer I_OX_LAST = OW - 1;
    localparam integer I_CF_LAST = CF - 1;
    localparam integer I_G_LAST = G - 1;
    localparam integer I_IX_LAST = IW - 1;
    localparam integer I_D_LAST = D - 1;

    // ---- line buffer ----
    reg [P*B-1:0] mem [0:D-1];

    // ---- input side: pointer (iy, ix, icf), iy relative to the current output frame ----
    reg        [AW-1:0]  in_addr;
    reg        [IXW-1:0] ix;
    reg        [CFW-1:0] icf;
    reg signed [SWD-1:0] iy;
    wire signed [SWD-1:0] ix_s = {{(SWD-IXW){1'b0}}, ix};
    wire signed [SWD-1:0] icf_s = {{(SWD-CFW){1'b0}}, icf};

    // ---- output side: pixel (oy, ox), fold cf, kernel group g ----
    reg        [OYW-1:0] oy;
    reg        [OXW-1:0] ox;
    reg        [CFW-1:0] cf;
    reg        [GW-1:0]  g;
    reg signed [SWD-1:0] top;       // oy*SH - PT
    reg signed [SWD-1:0] left;      // ox*SW - PL
    reg signed [SWD-1:0] left_w;    // left*CF
    reg        [AW-1:0]  top_rb;    // buffer slot of row top, times RW
    wire signed [SWD-1:0] cf_s = {{(SWD-CFW){1'b0}}, cf};
    wire signed [SWD-1:0] top_rb_s = {{(SWD-AW){1'b0}}, top_rb};

    reg out_valid;
    wire [KP-1:0] ok_all;           // per kernel position: padding or already accepted
    wire emit_ok = &ok_all;
    wire load = emit_ok && (!out_valid || m_axis_tready);
    wire cf_last = (cf == I_CF_LAST[CFW-1:0]);
    wire g_last = (g == I_G_LAST[GW-1:0]);
    wire pix_end = cf_last && g_last;
    wire ox_last = (ox == I_OX_LAST[OXW-1:0]);
    wire oy_last = (oy == I_OY_LAST[OYW-1:0]);
    wire pix_step = load && pix_end;
    wire frame_end = pix_step && ox_last && oy_last;
    wire adv_g, rst_g;              // next kernel group / back to the first group
    wire cf_step;                   // next channel fold (wrapping)
    generate
        if (DW != 0) begin : g_dw
            assign adv_g = load && !g_last;
            assign rst_g = load && g_last;
            assign cf_step = load && g_last;
        end else begin : g_conv
            assign adv_g = load && cf_last && !g_last;
            assign rst_g = load && cf_last && g_last;
            assign cf_step = load;
        end
    endgenerate

    // Kernel position 0 of the current word (for the input side's "already emitted" test).
    wire signed [SWD-1:0] y0, x0;

    // ---- per kernel position: coordinates, readiness, RAM read port, output lanes ----
    genvar i, p;
    generate
        for (i = 0; i < KP; i = i + 1) begin : g_kp
            localparam integer KY0 = i / KW;
            localparam integer KX0 = i % KW;
            localparam integer KXW0 = KX0 * CF;
            localparam integer KYRW0 = KY0 * RW;
            reg [KYW-1:0] ky;
            reg [KXW-1:0] kx;
            reg [AW-1:0]  kyrw;                 // ky*RW
            reg [SWD-1:0] kxw;                  // kx*CF
            wire signed [SWD-1:0] ky_s = {{(SWD-KYW){1'b0}}, ky};
            wire signed [SWD-1:0] kx_s = {{(SWD-KXW){1'b0}}, kx};
            wire signed [SWD-1:0] kyrw_s = {{(SWD-AW){1'b0}}, kyrw};
            wire signed [SWD-1:0] kxw_s = kxw;
            // Advance by KP kernel positions.
            wire signed [SWD-1:0] kx_n = kx_s + S_DKX;
            wire carry = (kx_n > S_KW1);
            wire signed [SWD-1:0] kx_nx = carry ? kx_n - S_KW : kx_n;
            wire signed [SWD-1:0] ky_nx = ky_s + (carry ? S_DKY1 : S_DKY);
            wire signed [SWD-1:0] kxw_nx = kxw_s + (carry ? S_DKXWM : S_DKXW);
            wire signed [SWD-1:0] kyrw_nx = kyrw_s + (carry ? S_DKY1RW : S_DKYRW);
            always @(posedge ap_clk) begin
                if (!ap_rst_n || rst_g) begin
                    ky <= KY0[KYW-1:0];
                    kx <= KX0[KXW-1:0];
                    kyrw <= KYRW0[AW-1:0];
                    kxw <= KXW0[SWD-1:0];
                end else if (adv_g) begin
                    ky <= ky_nx[KYW-1:0];
                    kx <= kx_nx[KXW-1:0];
                    kyrw <= kyrw_nx[AW-1:0];
                    kxw <= kxw_nx;
                end
            end
            // Input pixel, padding test, acceptance test.
            wire signed [SWD-1:0] y = top + ky_s;
            wire signed [SWD-1:0] x = left + kx_s;
            wire inimg = (y >= 0) && (y < S_IH) && (x >= 0) && (x < S_IW);
            wire acc = (y < iy) || (y == iy && (x < ix_s || (x == ix_s && cf_s < icf_s)));
            assign ok_all[i] = !inimg || acc;
            // Buffer address: slot base of row y plus the column word.
            wire signed [SWD-1:0] rb_sum = top_rb_s + kyrw_s;
            wire signed [SWD-1:0] rb = (rb_sum >= S_D) ? rb_sum - S_D : rb_sum;
            wire signed [SWD-1:0] addr_s = rb + left_w + kxw_s + cf_s;
            wire [AW-1:0] addr = inimg ? addr_s[AW-1:0] : {AW{1'b0}};
            // Only the low bits of the next-state and address sums are kept (values in range).
            wire unused_hi = &{1'b0, kx_nx[SWD-1:KXW], ky_nx[SWD-1:KYW], kyrw_nx[SWD-1:AW],
                               addr_s[SWD-1:AW]};
            reg [P*B-1:0] rdata;
            reg pad;
            always @(posedge ap_clk) begin
                if (load) begin
                    rdata <= mem[addr];
                    pad <= !inimg;
                end
            end
            for (p = 0; p < P; p = p + 1) begin : g_el
                wire [B-1:0] raw = rdata[p*B +: B];
                wire [OB-1:0] e;
                if (OB == B) begin : g_same
                    assign e = raw;
                end else begin : g_bip
                    // bipolar to signed: raw 1 -> +1, raw 0 -> -1
                    assign e = {{(OB-1){~raw[0]}}, 1'b1};
                end
                assign m_axis_tdata[(i*P + p)*OB +: OB] = pad ? PADRAW[OB-1:0] : e;
            end
            if (i == 0) begin : g_first
                assign y0 = y;
                assign x0 = x;
            end
        end
    endgenerate

    // ---- input acceptance: is the buffer place of the input pointer free? ----
    wire signed [SWD-1:0] q = iy - S_BR;    // row whose place the input word takes
    wire in_free;
    generate
        if (RELEASE == 0) begin : g_rowfree
            assign in_free = (q < top);
            wire unused_ok = &{1'b0, y0, x0};
        end else begin : g_wordfree
            // Rows read by later output rows of this frame.
            wire need_later = !oy_last && (q >= top + S_SH) && (q <= S_LROW);
            // Current window already emitted up to (not including) the current word.
            wire emitted;
            if (DW != 0) begin : g_em_dw
                assign emitted = (icf_s < cf_s) ||
                                 (icf_s == cf_s && (q < y0 || (q == y0 && ix_s < x0)));
            end else begin : g_em_conv
                assign emitted = (q < y0) ||
                                 (q == y0 && (ix_s < x0 || (ix_s == x0 && icf_s < cf_s)));
            end
            wire in_win = (ix_s >= left) && (ix_s <= left + S_KW1);
            wire need_cur = (q >= top) && (q <= top + S_KH1) && (ix_s <= S_LCOL) &&
                            ((!ox_last && ix_s >= left + S_SW) || (in_win && !emitted));
            assign in_free = (q < 0) || ((q < S_IH) && !need_later && !need_cur);
        end
    endgenerate
    assign s_axis_tready = in_free;
    wire in_fire = s_axis_tvalid && in_free;
    wire icf_last = (icf == I_CF_LAST[CFW-1:0]);
    wire ix_last = (ix == I_IX_LAST[IXW-1:0]);
    wire row_in = in_fire && icf_last && ix_last;

    always @(posedge ap_clk) begin
        if (in_fire) mem[in_addr] <= s_axis_tdata;
    end

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            in_addr <= {AW{1'b0}};
            ix <= {IXW{1'b0}};
            icf <= {CFW{1'b0}};
        end else if (in_fire) begin
            in_addr <= (in_addr == I_D_LAST[AW-1:0]) ? {AW{1'b0}} : in_addr + 1'b1;
            icf <= icf_last ? {CFW{1'b0}} : icf + 1'b1;
            if (icf_last) ix <= ix_last ? {IXW{1'b0}} : ix + 1'b1;
        end
    end

    // iy: +1 per completed input row, -IH when the output side moves to the next frame.
    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            iy <= {SWD{1'b0}};
        end else begin
            case ({row_in, frame_end})
                2'b10: iy <= iy + 1'b1;
                2'b01: iy <= iy - S_IH;
                2'b11: iy <= iy - S_IH + 1'b1;
                default: iy <= iy;
            endcase
        end
    end

    // ---- output side counters ----
    wire signed [SWD-1:0] trb_row_sum = top_rb_s + S_SHRW;
    wire signed [SWD-1:0] trb_frm_sum = top_rb_s + S_FRW;
    wire signed [SWD-1:0] trb_row = (trb_row_sum >= S_D) ? trb_row_sum - S_D : trb_row_sum;
    wire signed [SWD-1:0] trb_frm = (trb_frm_sum >= S_D) ? trb_frm_sum - S_D : trb_frm_sum;
    wire unused_trb = &{1'b0, trb_row[SWD-1:AW], trb_frm[SWD-1:AW]};
    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            oy <= {OYW{1'b0}};
            ox <= {OXW{1'b0}};
            cf <= {CFW{1'b0}};
            g <= {GW{1'b0}};
            top <= S_NPT;
            left <= S_NPL;
            left_w <= S_NPLW;
            top_rb <= TRB0[AW-1:0];
            out_valid <= 1'b0;
        end else begin
            if (load) out_valid <= 1'b1;
            else if (m_axis_tready) out_valid <= 1'b0;
            if (cf_step) cf <= cf_last ? {CFW{1'b0}} : cf + 1'b1;
            if (adv_g) g <= g + 1'b1;
            else if (rst_g) g <= {GW{1'b0}};
            if (pix_step) begin
                if (!ox_last) begin
                    ox <= ox + 1'b1;
                    left <= left + S_SW;
                    left_w <= left_w + S_SWCF;
                end else begin
                    ox <= {OXW{1'b0}};
                    left <= S_NPL;
                    left_w <= S_NPLW;
                    if (!oy_last) begin
                        oy <= oy + 1'b1;
                        top <= top + S_SH;
                        top_rb <= trb_row[AW-1:0];
                    end else begin
                        oy <= {OYW{1'b0}};
                        top <= S_NPT;
                        top_rb <= trb_frm[AW-1:0];
                    end
                end
            end
        end
    end

    assign m_axis_tvalid = out_valid;
endmodule

`default_nettype wire
