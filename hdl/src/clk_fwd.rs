//! `ClkFwd`: the link's forwarded clock on its output pin, as a DDR output register that
//! drives 0 after the clock's rising edge and 1 after its falling edge: the pin carries
//! the clock **inverted**, so the rising edge on which the neighbour's receiver samples
//! the lanes falls in the middle of each bit (the lanes change on the rising edge).
//!
//! ```text
//!   clk --> ODDRX1F (ECP5) / SB_IO DDR (iCE40) / ~clk --> pin (link_tx_clk)
//!           D0 = 0 (first half), D1 = 1 (second half)
//! ```
//! The primitive is emitted inside `` `ifdef ECP5 `` / `` `ifdef ICE40 `` (the defines
//! the synthesis flow passes to yosys), as in [`crate::pll`]; without them (Verilator,
//! lint) the block is the behavioural `pin = ~clk`. Its output must go straight to a
//! top-level pin (the DDR register is in the I/O cell).
//! - **Latency**: none (the I/O cell's clock-to-out).
//! - **Reset**: none.

use rust_hdl::prelude::*;

/// The forwarded-clock output leaf.
#[derive(LogicBlock, Default)]
pub struct ClkFwd {
    /// The clock to forward (the tile clock).
    pub clk: Signal<In, Clock>,
    /// The pin: `clk` inverted.
    pub pin: Signal<Out, Bit>,
}

impl Logic for ClkFwd {
    fn update(&mut self) {
        self.pin.next = !self.clk.val().clk;
    }
    fn connect(&mut self) {
        self.pin.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
`ifdef ECP5
wire fwd_q;
ODDRX1F fwd_i (.SCLK(clk), .RST(1'b0), .D0(1'b0), .D1(1'b1), .Q(fwd_q));
always @(*) pin = fwd_q;
`elsif ICE40
wire fwd_q;
// PIN_OUTPUT_DDR, PIN_INPUT: D_OUT_0 after the rising edge, D_OUT_1 after the falling.
SB_IO #(.PIN_TYPE(6'b010001)) fwd_i (
    .PACKAGE_PIN(fwd_q),
    .OUTPUT_CLK(clk),
    .CLOCK_ENABLE(1'b1),
    .OUTPUT_ENABLE(1'b1),
    .D_OUT_0(1'b0),
    .D_OUT_1(1'b1)
);
always @(*) pin = fwd_q;
`else
always @(*) pin = ~clk;
`endif
"
            .into(),
        )
    }
}
