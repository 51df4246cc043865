// half-gen RTL: the model format's threshold requantisation (docs/model-format.md 9.1),
// combinational:
//   level = BIAS + #{i : acc >= thr[i]} over the NT sorted thresholds of the channel, then relu
//   and saturation (bipolar: level >= 0 gives raw 1 = +1).
// Threshold i is the TB-bit signed field thr[i*TB +: TB], TB = ACC + 1 (a threshold above
// every accumulator, acc_max + 1, still fits).
// SEARCH = 0: a comparator per threshold and the count of those passed (a comparator tree);
// SEARCH = 1: a binary search, one comparator per step of ceil(log2(NT + 1)), each step's
// threshold picked by the bits already decided (the sorted thresholds make the count the
// position of the first threshold above acc). The cost model picks the smaller
// (src/stage/requant.rs `threshold_luts`).
`default_nettype none

module half_thresh #(
    parameter integer ACC = 16,   // signed accumulator bits
    parameter integer NT = 3,     // thresholds per channel
    parameter integer BIAS = 0,   // level of an accumulator below every threshold
    parameter integer OB = 2,
    parameter integer OS = 0,
    parameter integer RELU = 0,
    parameter integer SEARCH = 0
) (
    input  wire signed [ACC-1:0]        acc,
    input  wire        [NT*(ACC+1)-1:0] thr,
    output wire        [OB-1:0]         q
);
    localparam integer TB = ACC + 1;
    localparam integer CB = $clog2(NT + 1);          // bits of the count 0..NT
    localparam integer LB = CB + 34;                 // level: count + 32-bit BIAS, signed
    wire signed [TB-1:0] a = {acc[ACC-1], acc};
    wire [CB-1:0] count;
    generate
        if (SEARCH == 0) begin : g_tree
            wire [NT-1:0] passed;
            genvar i;
            for (i = 0; i < NT; i = i + 1) begin : g_cmp
                assign passed[i] = a >= $signed(thr[i*TB +: TB]);
            end
            // The sum of the passed bits (a thermometer code for sorted thresholds).
            reg [CB-1:0] n;
            integer k;
            always @* begin
                n = {CB{1'b0}};
                for (k = 0; k < NT; k = k + 1) n = n + {{(CB-1){1'b0}}, passed[k]};
            end
            assign count = n;
        end else begin : g_search
            // Step s knows the count down to bit CB-s (`prev`, its low bits still zero) and
            // asks whether threshold prev + 2^(CB-1-s) - 1 (when it exists) is passed.
            localparam [CB:0] NTW = NT[CB:0];
            genvar s;
            for (s = 0; s < CB; s = s + 1) begin : g_step
                localparam integer STEP = 1 << (CB - 1 - s);
                wire [CB-1:0] prev;
                if (s == 0) begin : g_first
                    assign prev = {CB{1'b0}};
                end else begin : g_next
                    assign prev = g_step[s-1].pos;
                end
                wire [CB:0] step_w = STEP[CB:0];
                wire [CB:0] probe = {1'b0, prev} + step_w;      // the count if passed
                wire exists = probe <= NTW;
                wire [CB:0] idx = exists ? probe - 1'b1 : {(CB+1){1'b0}};
                wire signed [TB-1:0] t = thr[idx*TB +: TB];
                wire [CB-1:0] pos = (exists && a >= t) ? probe[CB-1:0] : prev;
            end
            assign count = g_step[CB-1].pos;
        end
    endgenerate
    localparam signed [31:0] BIAS32 = BIAS;
    wire signed [LB-1:0] bias_w = {{(LB-32){BIAS32[31]}}, BIAS32};
    wire signed [LB-1:0] level = bias_w + $signed({{(LB-CB){1'b0}}, count});
    wire signed [LB-1:0] r = (RELU != 0 && level[LB-1]) ? {LB{1'b0}} : level;
    localparam integer HI_BITS = (OS != 0) ? OB - 1 : OB;
    wire signed [LB-1:0] one = {{(LB-1){1'b0}}, 1'b1};
    wire signed [LB-1:0] hi = (OB == 1) ? {LB{1'b0}} : ((one <<< HI_BITS) - one);
    wire signed [LB-1:0] lo = (OB == 1 || OS == 0) ? {LB{1'b0}} : -(one <<< (OB - 1));
    wire signed [LB-1:0] sat = (r > hi) ? hi : (r < lo) ? lo : r;
    generate
        if (OB == 1) begin : g_bipolar
            assign q = r[LB-1] ? 1'b0 : 1'b1;
            wire unused_sat = &{1'b0, sat};
        end else begin : g_int
            assign q = sat[OB-1:0];
            wire unused_hi = &{1'b0, sat[LB-1:OB]};
        end
    endgenerate
endmodule

`default_nettype wire
