// half-gen RTL: data width converter. A frame of N elements of B bits arrives PI elements per
// word and leaves PO elements per word, element order preserved (element i of a word at bits
// [i*B +: B]). N must be a multiple of PI and of PO, so frame boundaries fall on word
// boundaries on both sides and frames follow each other with no gap; PI and PO need not be
// multiples of each other.
//
// An element shift register of CAP = PI + PO + min(PI, PO) - gcd(PI, PO) elements holding
// `have` elements; element 0 is the oldest. In one cycle it can give an output word (the PO
// oldest elements, when have >= PO) and take an input word (appended behind what remains).
//   m_axis_tvalid = (have >= PO), s_axis_tready = (have + PI <= CAP), both registered, so there
//   is no combinational path from m_axis_tready to s_axis_tready nor from s_axis_tvalid to
//   m_axis_tvalid. CAP is the smallest size for which neither flag ever throttles the other
//   side in steady state: PI <= PO: with the output always ready, have never exceeds
//   PO + PI - gcd, so the input is never refused; PI >= PO: with the input always valid, have
//   never falls below PO, so the output never runs dry.
//   Latency: 1 cycle (the output word completed by an input word accepted in cycle t is valid
//   in cycle t+1; when PI > PO the further output words an input word completes follow one per
//   cycle, behind any earlier words still waiting).
//   Throughput: one input and one output word per cycle at most: max(N/PI, N/PO) cycles per
//   frame in steady state.
`default_nettype none

module half_dwc #(
    parameter integer N = 8,
    parameter integer B = 8,
    parameter integer PI = 2,
    parameter integer PO = 4
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

    localparam integer G = gcd(PI, PO);
    localparam integer MN = (PI < PO) ? PI : PO;
    localparam integer CAP = PI + PO + MN - G;
    localparam integer HB = $clog2(CAP + PI + 1);
    localparam [HB-1:0] PI_H = PI[HB-1:0];
    localparam [HB-1:0] PO_H = PO[HB-1:0];
    localparam [HB-1:0] CAP_H = CAP[HB-1:0];
    localparam [HB-1:0] ZERO_H = 0;
    // N only documents the frame: the converter works on the element stream.
    wire unused_n = (N % PI == 0) && (N % PO == 0);

    reg [CAP*B-1:0] sr;
    reg [HB-1:0]    have;
    reg             out_v, in_r;

    wire pop = out_v && m_axis_tready;
    wire push = s_axis_tvalid && in_r;
    wire [HB-1:0] remain = have - (pop ? PO_H : ZERO_H);      // where the input word goes
    wire [HB-1:0] have_nxt = remain + (push ? PI_H : ZERO_H);
    wire [31:0] remain32 = {{(32 - HB){1'b0}}, remain};
    wire [CAP*B-1:0] shifted = pop ? (sr >> (PO * B)) : sr;

    // Next contents, slot by slot: the input element that lands there, or the (shifted) old one.
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
            out_v <= (have_nxt >= PO_H);
            in_r <= (have_nxt + PI_H <= CAP_H);
        end
    end

    assign s_axis_tready = in_r;
    assign m_axis_tvalid = out_v;
    assign m_axis_tdata = sr[PO*B-1:0];
endmodule

`default_nettype wire
