// half-gen RTL: stream fork, every input word copied to WAYS (2..4) outputs m0_axis .. m3_axis
// (the ports of outputs >= WAYS are present, their tvalid is 0 and their tready is ignored).
//
// A buffer of two words shared by all outputs, with one read pointer and one occupancy per
// output: an output that is ready takes its copy of the head word without waiting for the
// others, and a buffer slot is reused once every output has taken the word it held.
//   s_axis_tready  = every output has fewer than 2 words pending (registered)
//   mK_axis_tvalid = output K has a word pending (registered)
// so there is no combinational path from any mK_axis_tready to s_axis_tready nor from
// s_axis_tvalid to any mK_axis_tvalid.
//   Latency: 1 cycle (a word accepted in cycle t is valid on every output in cycle t+1).
//   Throughput: 1 word per cycle while every output is ready; an output that falls behind
//   stalls the input only when it is 2 words behind.
`default_nettype none

module half_fork #(
    parameter integer W = 8,
    parameter integer WAYS = 2
) (
    input  wire         ap_clk,
    input  wire         ap_rst_n,
    input  wire [W-1:0] s_axis_tdata,
    input  wire         s_axis_tvalid,
    output wire         s_axis_tready,
    output wire [W-1:0] m0_axis_tdata,
    output wire         m0_axis_tvalid,
    input  wire         m0_axis_tready,
    output wire [W-1:0] m1_axis_tdata,
    output wire         m1_axis_tvalid,
    input  wire         m1_axis_tready,
    output wire [W-1:0] m2_axis_tdata,
    output wire         m2_axis_tvalid,
    input  wire         m2_axis_tready,
    output wire [W-1:0] m3_axis_tdata,
    output wire         m3_axis_tvalid,
    input  wire         m3_axis_tready
);
    reg [W-1:0] slot0, slot1;
    reg         wr;                 // slot the next input word goes to
    reg         in_rdy;             // registered s_axis_tready
    reg [3:0]   rd;                 // per output: slot of its next word
    reg [7:0]   occ;                // per output: words pending (0..2), 2 bits each

    wire [3:0] m_rdy = {m3_axis_tready, m2_axis_tready, m1_axis_tready, m0_axis_tready};
    wire [3:0] active = (4'b0001 << WAYS) - 4'b0001;
    wire push = s_axis_tvalid && in_rdy;

    reg [3:0] pop;
    reg [7:0] occ_nxt;
    reg       rdy_nxt;
    integer k;
    always @* begin
        rdy_nxt = 1'b1;
        for (k = 0; k < 4; k = k + 1) begin
            pop[k] = active[k] && m_rdy[k] && (occ[2*k +: 2] != 2'd0);
            occ_nxt[2*k +: 2] = occ[2*k +: 2] + (push ? 2'd1 : 2'd0) - (pop[k] ? 2'd1 : 2'd0);
            if (active[k] && occ_nxt[2*k +: 2] == 2'd2) rdy_nxt = 1'b0;
        end
    end

    always @(posedge ap_clk) begin
        if (push) begin
            if (wr) slot1 <= s_axis_tdata;
            else slot0 <= s_axis_tdata;
        end
    end

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wr <= 1'b0;
            in_rdy <= 1'b0;
            rd <= 4'd0;
            occ <= 8'd0;
        end else begin
            if (push) wr <= ~wr;
            in_rdy <= rdy_nxt;
            rd <= rd ^ pop;
            occ <= occ_nxt;
        end
    end

    assign s_axis_tready = in_rdy;
    assign m0_axis_tdata = rd[0] ? slot1 : slot0;
    assign m1_axis_tdata = rd[1] ? slot1 : slot0;
    assign m2_axis_tdata = rd[2] ? slot1 : slot0;
    assign m3_axis_tdata = rd[3] ? slot1 : slot0;
    assign m0_axis_tvalid = active[0] && (occ[1:0] != 2'd0);
    assign m1_axis_tvalid = active[1] && (occ[3:2] != 2'd0);
    assign m2_axis_tvalid = active[2] && (occ[5:4] != 2'd0);
    assign m3_axis_tvalid = active[3] && (occ[7:6] != 2'd0);
endmodule

`default_nettype wire
