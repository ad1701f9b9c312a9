//! `RequantLane`: requantizes one int32 accumulator to int8 per the arithmetic
//! contract (`docs/arithmetic.md`).
//!
//! ```text
//!   c (int32) ----+
//!   bias (int32) -+--> t = c + bias --> p = t * m --> q = p + half --> y = relu(clamp(q >>> s))
//!   m (uint16), s (0..47), relu (static while running)
//! ```
//! Exact in 50-bit two's complement (|t*m| < 2^49), rounding half up (toward +inf).
//! - **Latency**: [`REQUANT_LANE_LATENCY`] = 4 clocks from `c` to `y`.
//! - **Throughput**: one value per cycle.
//! - **Reset**: none; the pipeline powers up to zeros.
//! - `bias`, `m`, `s`, `relu` must be stable while values stream (they are not
//!   pipelined).
//!
//! A Verilog leaf because rust-hdl 0.46 cannot express signed 33 x 17 multiplies or
//! arithmetic shifts correctly (its literals are 32 bit and its signed casts break
//! at the most negative value). The 33 x 17 multiply maps to two MULT18X18D on ECP5.
//!
//! Example: `c = 3, bias = 0, m = 1, s = 1` gives `y = 2`; `c = -3` gives `y = -1`.

use rust_hdl::prelude::*;

/// Clocks from `c` to `y`.
pub const REQUANT_LANE_LATENCY: usize = 4;

/// One requantization lane.
#[derive(LogicBlock, Default)]
pub struct RequantLane {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Accumulator value, int32.
    pub c: Signal<In, Bits<32>>,
    /// Bias added before scaling, int32.
    pub bias: Signal<In, Bits<32>>,
    /// Multiplier, uint16.
    pub m: Signal<In, Bits<16>>,
    /// Right shift, 0..=47 (values above 47 are outside the contract).
    pub s: Signal<In, Bits<6>>,
    /// Clamp negative results to zero.
    pub relu: Signal<In, Bit>,
    /// Requantized int8, [`REQUANT_LANE_LATENCY`] clocks after `c`.
    pub y: Signal<Out, Bits<8>>,
    _pipe: [i64; 3],
}

impl Logic for RequantLane {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            // Behavioural model for rust-hdl's simulator.
            let s = self.s.val().index() as u32;
            let q = self._pipe[2];
            let r = q >> s.min(63);
            let mut y = r.clamp(-128, 127);
            if self.relu.val() && y < 0 {
                y = 0;
            }
            self.y.next = ((y as i8 as u8) as u64).to_bits();
            let half = if s == 0 { 0 } else { 1i64 << (s - 1) };
            self._pipe[2] = self._pipe[1] + half;
            self._pipe[1] = self._pipe[0] * self.m.val().index() as i64;
            self._pipe[0] = self.c.val().index() as u32 as i32 as i64
                + self.bias.val().index() as u32 as i32 as i64;
        }
    }
    fn connect(&mut self) {
        self.y.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
reg signed [32:0] t;
reg signed [49:0] p;
reg signed [49:0] q;
wire signed [49:0] half = (s == 6'd0) ? 50'sd0 : (50'sd1 <<< (s - 6'd1));
wire signed [49:0] r = q >>> s;
wire hi = (r > 50'sd127);
wire lo = (r < -50'sd128);
wire [7:0] sat = hi ? 8'h7f : (lo ? 8'h80 : r[7:0]);
initial begin
    t = 0; p = 0; q = 0; y = 0;
end
always @(posedge clock) begin
    t <= $signed({c[31], c}) + $signed({bias[31], bias});
    p <= t * $signed({1'b0, m});
    q <= p + half;
    y <= (relu && sat[7]) ? 8'h00 : sat;
end
"
            .into(),
        )
    }
}
