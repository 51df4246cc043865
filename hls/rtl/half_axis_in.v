// half-gen RTL: AXI-Stream input register stage (the accelerator's s_axis port); the data
// path of half_axis_out too. The stream's TLAST, if any, is not used (there is no port for it:
// frames are counted by the stages).
//
// Also the two-word queue in front of every width converter (half-gen writes one before each
// half_dwc, as the HLS project has a stream of depth 2 there).
//
// A two-register skid buffer: the output register drives m_axis_*, the skid register catches
// the word that arrives in a cycle where the output register is held.
//   s_axis_tready = skid register empty (registered), m_axis_tvalid = output register full,
// so there is no combinational path from m_axis_tready to s_axis_tready nor from s_axis_tvalid
// to m_axis_tvalid.
//   Latency: 1 cycle (a word accepted in cycle t is valid on m_axis in cycle t+1).
//   Throughput: 1 word per cycle, frames back to back.
`default_nettype none

module half_axis_in #(
    parameter integer W = 8
) (
    input  wire         ap_clk,
    input  wire         ap_rst_n,
    input  wire [W-1:0] s_axis_tdata,
    input  wire         s_axis_tvalid,
    output wire         s_axis_tready,
    output wire [W-1:0] m_axis_tdata,
    output wire         m_axis_tvalid,
    input  wire         m_axis_tready
);
    reg [W-1:0] out_d, skid_d;
    reg         out_v, skid_v;

    wire push = s_axis_tvalid && !skid_v;
    wire free = !out_v || m_axis_tready;    // the output register may load this cycle

    always @(posedge ap_clk) begin
        if (free) out_d <= skid_v ? skid_d : s_axis_tdata;
        if (push && !free) skid_d <= s_axis_tdata;
    end

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            out_v <= 1'b0;
            skid_v <= 1'b0;
        end else if (free) begin
            out_v <= skid_v || push;
            skid_v <= 1'b0;
        end else if (push) begin
            skid_v <= 1'b1;
        end
    end

    assign s_axis_tready = !skid_v;
    assign m_axis_tdata = out_d;
    assign m_axis_tvalid = out_v;
endmodule

`default_nettype wire
