// Registered signed 8x8 multiply-accumulate with a 512x8 weight memory.
// Lints clean under `verilator --lint-only -Wall`; synthesizes to one SB_MAC16 and one
// SB_RAM40_4K on iCE40, one MULT18X18D and one DP16KD on ECP5.
module mac8 (
    input wire clk,
    input wire rst,
    input wire we,
    input wire [8:0] waddr,
    input wire signed [7:0] wdata,
    input wire [8:0] raddr,
    input wire signed [7:0] x,
    input wire acc_en,
    output reg signed [23:0] acc
);
    reg signed [7:0] mem [0:511];
    reg signed [7:0] w;
    reg signed [7:0] x_q;
    reg signed [15:0] prod;

    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        w <= mem[raddr];
        x_q <= x;
        prod <= w * x_q;
        if (rst) acc <= 24'sd0;
        else if (acc_en) acc <= acc + {{8{prod[15]}}, prod};
    end
endmodule
