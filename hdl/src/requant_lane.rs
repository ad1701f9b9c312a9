//! `RequantLane`: requantizes one int32 accumulator to int8 per the arithmetic
//! contract (`docs/arithmetic.md`).
//!
//! ```text
//!   c (int32) ----+
//!   bias (int32) -+--> t = c + bias --> p = t * m --> (reg) --> q = p + half --> y = relu(clamp(q >>> s))
//!   m (uint16), s (0..47), relu --> pipelined alongside
//! ```
//! Exact in 50-bit two's complement (|t*m| < 2^49), rounding half up (toward +inf).
//! - **Latency**: [`REQUANT_LANE_LATENCY`] = 5 clocks from `c` to `y`.
//! - **Throughput**: one value per cycle; the parameters travel with their value, so
//!   every cycle may use different ones (the requantizer time-shares lanes).
//! - **Reset**: none; the pipeline powers up to zeros.
//! - **Multiplier**: with `dsp` the product is a `*` that yosys maps to DSPs (two
//!   MULT18X18D on ECP5); without, it is explicit shift-and-add logic in two stages
//!   (the iCE40 spends its DSPs on the array).
//!
//! A Verilog leaf because rust-hdl 0.46 cannot express signed 33 x 17 multiplies or
//! arithmetic shifts correctly (its literals are 32 bit and its signed casts break
//! at the most negative value). The 33 x 17 multiply maps to two MULT18X18D on ECP5.
//!
//! Example: `c = 3, bias = 0, m = 1, s = 1` gives `y = 2`; `c = -3` gives `y = -1`.

use rust_hdl::prelude::*;

/// Clocks from `c` to `y`.
pub const REQUANT_LANE_LATENCY: usize = 5;

/// One requantization lane.
#[derive(LogicBlock, Default)]
pub struct RequantLane {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Accumulator value, int32.
    pub c: Signal<In, Bits<32>>,
    /// Bias added before scaling, int32; sampled with `c`.
    pub bias: Signal<In, Bits<32>>,
    /// Multiplier, uint16; sampled with `c`.
    pub m: Signal<In, Bits<16>>,
    /// Right shift, 0..=47 (values above 47 are outside the contract); sampled with `c`.
    pub s: Signal<In, Bits<6>>,
    /// Clamp negative results to zero; sampled with `c`.
    pub relu: Signal<In, Bit>,
    /// Requantized int8, [`REQUANT_LANE_LATENCY`] clocks after `c`.
    pub y: Signal<Out, Bits<8>>,
    _dsp: bool,
    _pipe: [(i64, u16, u32, bool); REQUANT_LANE_LATENCY],
}

impl RequantLane {
    /// A lane whose multiplier is a DSP (`dsp`) or LUT logic.
    pub fn new(dsp: bool) -> Self {
        Self {
            _dsp: dsp,
            ..Default::default()
        }
    }
}

impl Logic for RequantLane {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            // Behavioural model for rust-hdl's simulator: the contract on the value
            // that entered REQUANT_LANE_LATENCY edges ago.
            let (t, m, s, relu) = self._pipe[REQUANT_LANE_LATENCY - 1];
            let p = t * m as i64;
            let r = if s == 0 {
                p
            } else {
                (p + (1i64 << (s - 1))) >> s.min(63)
            };
            let mut y = r.clamp(-128, 127);
            if relu && y < 0 {
                y = 0;
            }
            self.y.next = ((y as i8 as u8) as u64).to_bits();
            self._pipe.rotate_right(1);
            let c = self.c.val().index() as u32 as i32 as i64;
            let b = self.bias.val().index() as u32 as i32 as i64;
            self._pipe[0] = (
                c + b,
                self.m.val().index() as u16,
                self.s.val().index() as u32,
                self.relu.val(),
            );
        }
    }
    fn connect(&mut self) {
        self.y.connect();
    }
    fn hdl(&self) -> Verilog {
        let multiply = if self._dsp {
            "\
reg signed [49:0] p;
initial p = 0;
always @(posedge clock) begin
    p <= t * $signed({1'b0, m1});
    p2 <= p;
end
"
            .to_string()
        } else {
            // Explicit partial products in two halves, summed in the next stage.
            let half = |lo: usize| -> String {
                (lo..lo + 8)
                    .map(|i| format!("(m1[{i}] ? (tx << {i}) : 50'd0)"))
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            format!(
                "\
wire [49:0] tx = {{{{17{{t[32]}}}}, t}};
reg [49:0] pa;
reg [49:0] pb;
initial begin
    pa = 0; pb = 0;
end
always @(posedge clock) begin
    pa <= {};
    pb <= {};
    p2 <= pa + pb;
end
",
                half(0),
                half(8)
            )
        };
        Verilog::Custom(format!(
            "\
reg signed [32:0] t;
reg signed [49:0] p2;
reg signed [49:0] q;
reg [15:0] m1;
reg [5:0] s1, s2, s3, s4;
reg r1, r2, r3, r4;
wire signed [49:0] half = (s3 == 6'd0) ? 50'sd0 : (50'sd1 <<< (s3 - 6'd1));
wire signed [49:0] r = q >>> s4;
wire hi = (r > 50'sd127);
wire lo = (r < -50'sd128);
wire [7:0] sat = hi ? 8'h7f : (lo ? 8'h80 : r[7:0]);
initial begin
    t = 0; p2 = 0; q = 0; y = 0; m1 = 0;
    s1 = 0; s2 = 0; s3 = 0; s4 = 0; r1 = 0; r2 = 0; r3 = 0; r4 = 0;
end
always @(posedge clock) begin
    t <= $signed({{c[31], c}}) + $signed({{bias[31], bias}});
    m1 <= m;
    s1 <= s; s2 <= s1; s3 <= s2; s4 <= s3;
    r1 <= relu; r2 <= r1; r3 <= r2; r4 <= r3;
    q <= p2 + half;
    y <= (r4 && sat[7]) ? 8'h00 : sat;
end
{multiply}"
        ))
    }
}
