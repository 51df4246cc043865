// half-gen RTL: AXI-Stream output stage (the accelerator's m_axis port): a register stage
// (half_axis_in) that adds m_axis_tlast on the last word of every frame of WORDS words.
// The word counter advances on every accepted input word and restarts after WORDS, so frames
// follow each other without a gap.
//   No combinational path from m_axis_tready to s_axis_tready nor from s_axis_tvalid to
//   m_axis_tvalid (both registered in half_axis_in).
//   Latency: 1 cycle (a word accepted in cycle t is valid on m_axis, with its tlast, in t+1).
//   Throughput: 1 word per cycle, WORDS cycles per frame.
`default_nettype none

module half_axis_out #(
    parameter integer WORDS = 16,
    parameter integer W = 8
) (
    input  wire         ap_clk,
    input  wire         ap_rst_n,
    input  wire [W-1:0] s_axis_tdata,
    input  wire         s_axis_tvalid,
    output wire         s_axis_tready,
    output wire [W-1:0] m_axis_tdata,
    output wire         m_axis_tvalid,
    input  wire         m_axis_tready,
    output wire         m_axis_tlast
);
    localparam integer NB = (WORDS > 1) ? $clog2(WORDS) : 1;
    localparam integer LAST = WORDS - 1;
    reg [NB-1:0] n;
    wire last = (n == LAST[NB-1:0]);
    wire push = s_axis_tvalid && s_axis_tready;

    always @(posedge ap_clk) begin
        if (!ap_rst_n) n <= {NB{1'b0}};
        else if (push) n <= last ? {NB{1'b0}} : n + 1'b1;
    end

    half_axis_in #(.W(W + 1)) reg_stage (
        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
        .s_axis_tdata({last, s_axis_tdata}), .s_axis_tvalid(s_axis_tvalid),
        .s_axis_tready(s_axis_tready),
        .m_axis_tdata({m_axis_tlast, m_axis_tdata}), .m_axis_tvalid(m_axis_tvalid),
        .m_axis_tready(m_axis_tready));
endmodule

`default_nettype wire
