// half-gen RTL: data width converter. A frame of N elements of B bits arrives PI elements per
// word and leaves PO elements per word, element order preserved (element i of a word at bits
// [i*B +: B]). The frame is a sequence of rows: LI elements an input row, LO an output row
// (both divide N; by default N). A row takes ceil(LI/PI) input words; when PI does not divide
// LI, its last word holds the row's last TI = LI - (ceil(LI/PI) - 1) * PI elements in its low
// slots and the rest is ignored (a matrix unit's padded output lanes). Likewise an output row
// takes ceil(LO/PO) words, the last one's slots past TO = LO - (ceil(LO/PO) - 1) * PO zero (a
// matrix unit's padded input lanes: docs/cost-model.md, padded lanes). PI and PO need not be
// multiples of each other.
//
// An element shift register of CAP elements holding `have` elements; element 0 is the oldest.
// In one cycle it can give an output word (the oldest PO, or TO at a row's end, when it holds
// that many) and take an input word (its PI, or TI, elements appended behind what remains).
//   m_axis_tvalid = (have >= elements of the next output word), s_axis_tready = (have +
//   elements of the next input word <= CAP), both registered, so there is no combinational
//   path from m_axis_tready to s_axis_tready nor from s_axis_tvalid to m_axis_tvalid. Without
//   padding CAP = PI + PO + min(PI, PO) - gcd(PI, PO), the smallest size for which neither flag
//   ever throttles the other side in steady state: PI <= PO: with the output always ready,
//   have never exceeds PO + PI - gcd, so the input is never refused; PI >= PO: with the input
//   always valid, have never falls below PO, so the output never runs dry. With padding CAP =
//   PI + PO + max(PI, PO) - G, G = gcd(PI, PO, TI, TO) (the fill level stays a multiple of G);
//   the min form throttles some padded cases (PI = 3, PO = 4, LI = 3, LO = 13: 14 cycles a
//   frame for 13 words), the max form none, as src/stage/glue.rs's exhaustive test of the
//   converter's model (PI, PO up to 8, rows up to 13) checks.
//   Latency: 1 cycle (the output word completed by an input word accepted in cycle t is valid
//   in cycle t+1; when PI > PO the further output words an input word completes follow one per
//   cycle, behind any earlier words still waiting).
//   Throughput: one input and one output word per cycle at most: max(input words, output
//   words) cycles per frame in steady state.
`default_nettype none

module half_dwc #(
    parameter integer N = 8,
    parameter integer B = 8,
    parameter integer PI = 2,
    parameter integer PO = 4,
    parameter integer LI = N,
    parameter integer LO = N
) (
    input  wire            ap_clk,
    input  wire            ap_rst_n,
    input  wire [PI*B-1:0] s_axis_tdata,
    input  wire            s_axis_tvalid,
    output wire            s_axis_tready,
    output wire [PO*B-1:0] m_axis_tdata,
    output wire            m_axis_tvalid,
    input  wire            m_axis_tready
);
    function integer gcd(input integer a, input integer b);
        integer x, y, t;
        begin
            x = a;
            y = b;
            while (y != 0) begin
                t = x % y;
                x = y;
                y = t;
            end
            gcd = x;
        end
    endfunction

    localparam integer WI = (LI + PI - 1) / PI;         // words of an input row
    localparam integer TI = LI - (WI - 1) * PI;         // elements of a row's last input word
    localparam integer WO = (LO + PO - 1) / PO;         // words of an output row
    localparam integer TO = LO - (WO - 1) * PO;         // elements of a row's last output word
    localparam PADDED = (TI != PI) || (TO != PO);
    localparam integer G = gcd(gcd(PI, PO), gcd(TI, TO));
    localparam integer MN = (PI < PO) ? PI : PO;
    localparam integer MX = (PI < PO) ? PO : PI;
    localparam integer CAP = PI + PO + (PADDED ? MX : MN) - G;
    localparam integer HB = $clog2(CAP + PI + 1);
    localparam [HB-1:0] PO_H = PO[HB-1:0];
    localparam [HB-1:0] CAP_H = CAP[HB-1:0];
    localparam [HB-1:0] ZERO_H = 0;
    // N only documents the frame: the converter works on the element stream and its rows.
    wire unused_n = (N % LI == 0) && (N % LO == 0);

    reg [CAP*B-1:0] sr;
    reg [HB-1:0]    have;
    reg             out_v, in_r;

    wire pop = out_v && m_axis_tready;
    wire push = s_axis_tvalid && in_r;
    // Elements of the current and of the next input and output words (the next: after this
    // cycle's handshakes), from the row counters when a row's last word is short.
    wire [HB-1:0] in_n, in_n_nxt, out_n, out_n_nxt;
    half_row_words #(.W(WI), .P(PI), .T(TI), .HB(HB)) u_in_rows (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .step(push), .n(in_n), .n_nxt(in_n_nxt)
    );
    half_row_words #(.W(WO), .P(PO), .T(TO), .HB(HB)) u_out_rows (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .step(pop), .n(out_n), .n_nxt(out_n_nxt)
    );
    wire [HB-1:0] remain = have - (pop ? out_n : ZERO_H);     // where the input word goes
    wire [HB-1:0] have_nxt = remain + (push ? in_n : ZERO_H);
    wire [31:0] remain32 = {{(32 - HB){1'b0}}, remain};
    wire short_out = (TO != PO) && (out_n != PO_H);
    wire [CAP*B-1:0] shifted = !pop ? sr : short_out ? (sr >> (TO * B)) : (sr >> (PO * B));

    // Next contents, slot by slot: the input element that lands there, or the (shifted) old one.
    // Slots past the fill level hold don't-cares (a short input word's ignored elements).
    reg [CAP*B-1:0] sr_nxt;
    integer j, i;
    always @* begin
        sr_nxt = shifted;
        if (push) begin
            for (j = 0; j < CAP; j = j + 1) begin
                for (i = 0; i < PI; i = i + 1) begin
                    if (j - i >= 0 && remain32 == j - i) sr_nxt[j*B +: B] = s_axis_tdata[i*B +: B];
                end
            end
        end
    end

    always @(posedge ap_clk) sr <= sr_nxt;

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            have <= ZERO_H;
            out_v <= 1'b0;
            in_r <= 1'b0;
        end else begin
            have <= have_nxt;
            out_v <= (have_nxt >= out_n_nxt);
            in_r <= (have_nxt + in_n_nxt <= CAP_H);
        end
    end

    // A row's short last word: its slots past TO are zero.
    reg [PO*B-1:0] out_word;
    integer k;
    always @* begin
        out_word = sr[PO*B-1:0];
        if (short_out) begin
            for (k = TO; k < PO; k = k + 1) out_word[k*B +: B] = {B{1'b0}};
        end
    end

    assign s_axis_tready = in_r;
    assign m_axis_tvalid = out_v;
    assign m_axis_tdata = out_word;
endmodule

`default_nettype wire
