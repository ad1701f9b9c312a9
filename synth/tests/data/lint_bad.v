// Deliberately not lint clean: `ghost` is read but never driven (UNDRIVEN) and `spare`
// is an input that is never used (UNUSEDSIGNAL, not covered by the `$`-only waiver).
module lint_bad (
    input wire clk,
    input wire [3:0] d,
    input wire spare,
    output reg [3:0] q
);
    wire [3:0] ghost;
    always @(posedge clk) q <= d ^ ghost;
endmodule
