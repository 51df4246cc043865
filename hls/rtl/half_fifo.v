// half-gen RTL: first-word-fall-through FIFO of DEPTH words of W bits.
//
//   s_axis_tready = not full (count < DEPTH), m_axis_tvalid = not empty (count > 0); both are
//   functions of the registered occupancy only, so there is no combinational path from
//   m_axis_tready to s_axis_tready nor from s_axis_tvalid to m_axis_tvalid.
//   Latency: 1 cycle (a word accepted in cycle t is valid on m_axis in cycle t+1).
//   Throughput: 1 word per cycle when DEPTH >= 2 (in steady state one word is held while the
//   next is written); DEPTH = 1 alternates write and read, 1 word every 2 cycles.
//   count: current occupancy (0..DEPTH), a register; for deadlock diagnosis and for the
//   credit logic of the stages that use a FIFO as their output queue.
//
// The memory has a synchronous read port (so RAM_STYLE = "block" can map it to block RAM,
// "distributed" to LUT RAM): every cycle it reads the entry the read pointer will point to
// after this cycle's pop; when that entry is being written in the same cycle the written word
// is taken from a bypass register instead (read-before-write collision).
`default_nettype none

module half_fifo #(
    parameter integer W = 8,
    parameter integer DEPTH = 2,
    parameter RAM_STYLE = "distributed"
) (
    input  wire                          ap_clk,
    input  wire                          ap_rst_n,
    input  wire [W-1:0]                  s_axis_tdata,
    input  wire                          s_axis_tvalid,
    output wire                          s_axis_tready,
    output wire [W-1:0]                  m_axis_tdata,
    output wire                          m_axis_tvalid,
    input  wire                          m_axis_tready,
    output wire [$clog2(DEPTH+1)-1:0]    count
);
    localparam integer CB = $clog2(DEPTH + 1);
    localparam integer AB = (DEPTH > 1) ? $clog2(DEPTH) : 1;
    localparam integer LAST = DEPTH - 1;
    localparam [CB-1:0] FULL = DEPTH[CB-1:0];
    localparam [CB-1:0] ONE = 1;
    localparam [CB-1:0] ZERO = 0;
    // The memory style only matters to synthesis, through the ram_style attribute.
    wire unused_style = (RAM_STYLE == "block");

    (* ram_style = RAM_STYLE *) reg [W-1:0] mem [0:DEPTH-1];
    reg [AB-1:0] wr, rd;
    reg [CB-1:0] cnt;
    reg [W-1:0]  memq;          // mem[rd], read one cycle earlier
    reg [W-1:0]  byp;           // the word written when it collided with the read
    reg          use_byp;

    wire push = s_axis_tvalid && (cnt != FULL);
    wire pop  = m_axis_tready && (cnt != {CB{1'b0}});
    wire [AB-1:0] wr_inc = (wr == LAST[AB-1:0]) ? {AB{1'b0}} : wr + 1'b1;
    wire [AB-1:0] rd_inc = (rd == LAST[AB-1:0]) ? {AB{1'b0}} : rd + 1'b1;
    wire [AB-1:0] rd_nxt = pop ? rd_inc : rd;

    always @(posedge ap_clk) begin
        if (push) mem[wr] <= s_axis_tdata;
        memq <= mem[rd_nxt];
        byp <= s_axis_tdata;
    end

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            wr <= {AB{1'b0}};
            rd <= {AB{1'b0}};
            cnt <= {CB{1'b0}};
            use_byp <= 1'b0;
        end else begin
            if (push) wr <= wr_inc;
            rd <= rd_nxt;
            cnt <= cnt + (push ? ONE : ZERO) - (pop ? ONE : ZERO);
            use_byp <= push && (wr == rd_nxt);
        end
    end

    assign s_axis_tready = (cnt != FULL);
    assign m_axis_tvalid = (cnt != {CB{1'b0}});
    assign m_axis_tdata = use_byp ? byp : memq;
    assign count = cnt;
endmodule

`default_nettype wire
