//! `RequantLanes`: `n` lanes that requantize one int32 accumulator each to int8 per the
//! arithmetic contract (`docs/arithmetic.md`).
//!
//! ```text
//!   c[r] (int32) ----------+
//!   bias_b[4r..4r+4] ------+--> t = c + bias --> p = t * m --> (reg) --> q = p + half --> y[r]
//!   m_b[2r..2r+2], s_b[r] -+    (m, s, relu travel alongside)        y = relu(clamp(q >>> s))
//! ```
//! Parameters arrive as little-endian bytes (as `rq.param` loads them); a shift byte
//! above 47 counts as 47. Exact in 50-bit two's complement (|t*m| < 2^49), rounding half
//! up (toward +infinity).
//! - **Latency**: [`REQUANT_LANE_LATENCY`] = 5 clocks from `c` to `y`.
//! - **Throughput**: one value per lane per cycle; parameters travel with their value,
//!   so every cycle may use different ones (the requantizer time-shares lanes).
//! - **Reset**: none; the pipeline powers up to zeros.
//! - **Multiplier**: with `dsp` the product is a `*` that yosys maps to DSPs (two
//!   MULT18X18D on ECP5); without, explicit shift-and-add logic in two stages (the
//!   iCE40 spends its DSPs on the array).
//!
//! A Verilog leaf because rust-hdl 0.46 cannot express signed 33 x 17 multiplies or
//! arithmetic shifts (its literals are 32 bit; its signed casts break at the most
//! negative value), and cannot address `lanes[r].bias[j]` (one index per name).
//!
//! Example: `c = 3, bias = 0, m = 1, s = 1` gives `y = 2`; `c = -3` gives `y = -1`.

use rust_hdl::prelude::*;

/// Clocks from `c` to `y`.
pub const REQUANT_LANE_LATENCY: usize = 5;

/// `n` requantization lanes.
#[derive(LogicBlock)]
pub struct RequantLanes {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Accumulator values, int32, one per lane.
    pub c: Vec<Signal<In, Bits<32>>>,
    /// Bias bytes, little-endian, 4 per lane; sampled with `c`.
    pub bias_b: Vec<Signal<In, Bits<8>>>,
    /// Multiplier bytes (uint16), little-endian, 2 per lane; sampled with `c`.
    pub m_b: Vec<Signal<In, Bits<8>>>,
    /// Shift byte per lane (0..=47; larger counts as 47); sampled with `c`.
    pub s_b: Vec<Signal<In, Bits<8>>>,
    /// Clamp negative results to zero; sampled with `c`.
    pub relu: Signal<In, Bit>,
    /// Requantized int8 per lane, [`REQUANT_LANE_LATENCY`] clocks after `c`.
    pub y: Vec<Signal<Out, Bits<8>>>,
    _dsp: bool,
    _pipe: Vec<[(i64, u16, u32, bool); REQUANT_LANE_LATENCY]>,
}

impl RequantLanes {
    /// `n` lanes whose multipliers are DSPs (`dsp`) or LUT logic.
    pub fn new(n: usize, dsp: bool) -> Self {
        Self {
            clock: Default::default(),
            c: crate::vec_of(n),
            bias_b: crate::vec_of(4 * n),
            m_b: crate::vec_of(2 * n),
            s_b: crate::vec_of(n),
            relu: Default::default(),
            y: crate::vec_of(n),
            _dsp: dsp,
            _pipe: vec![[(0, 0, 0, false); REQUANT_LANE_LATENCY]; n],
        }
    }
}

fn lane_body(r: usize, dsp: bool) -> String {
    let multiply = if dsp {
        format!(
            "\
reg signed [49:0] p{r};
initial p{r} = 0;
always @(posedge clock) begin
    p{r} <= t{r} * $signed({{1'b0, m1_{r}}});
    p2_{r} <= p{r};
end
"
        )
    } else {
        let half = |lo: usize| -> String {
            (lo..lo + 8)
                .map(|i| format!("(m1_{r}[{i}] ? (tx{r} << {i}) : 50'd0)"))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        format!(
            "\
wire [49:0] tx{r} = {{{{17{{t{r}[32]}}}}, t{r}}};
reg [49:0] pa{r};
reg [49:0] pb{r};
initial begin
    pa{r} = 0; pb{r} = 0;
end
always @(posedge clock) begin
    pa{r} <= {};
    pb{r} <= {};
    p2_{r} <= pa{r} + pb{r};
end
",
            half(0),
            half(8)
        )
    };
    format!(
        "\
wire [31:0] bias{r} = {{bias_b${b3}, bias_b${b2}, bias_b${b1}, bias_b${b0}}};
wire [15:0] m{r} = {{m_b${m1}, m_b${m0}}};
wire [5:0] sx{r} = (s_b${r} > 8'd47) ? 6'd47 : s_b${r}[5:0];
reg signed [32:0] t{r};
reg signed [49:0] p2_{r};
reg signed [49:0] q{r};
reg [15:0] m1_{r};
reg [5:0] s1_{r}, s2_{r}, s3_{r}, s4_{r};
reg r1_{r}, r2_{r}, r3_{r}, r4_{r};
wire signed [49:0] half{r} = (s3_{r} == 6'd0) ? 50'sd0 : (50'sd1 <<< (s3_{r} - 6'd1));
wire signed [49:0] sh{r} = q{r} >>> s4_{r};
wire [7:0] sat{r} = (sh{r} > 50'sd127) ? 8'h7f : ((sh{r} < -50'sd128) ? 8'h80 : sh{r}[7:0]);
initial begin
    t{r} = 0; p2_{r} = 0; q{r} = 0; y${r} = 0; m1_{r} = 0;
    s1_{r} = 0; s2_{r} = 0; s3_{r} = 0; s4_{r} = 0; r1_{r} = 0; r2_{r} = 0; r3_{r} = 0; r4_{r} = 0;
end
always @(posedge clock) begin
    t{r} <= $signed({{c${r}[31], c${r}}}) + $signed({{bias{r}[31], bias{r}}});
    m1_{r} <= m{r};
    s1_{r} <= sx{r}; s2_{r} <= s1_{r}; s3_{r} <= s2_{r}; s4_{r} <= s3_{r};
    r1_{r} <= relu; r2_{r} <= r1_{r}; r3_{r} <= r2_{r}; r4_{r} <= r3_{r};
    q{r} <= p2_{r} + half{r};
    y${r} <= (r4_{r} && sat{r}[7]) ? 8'h00 : sat{r};
end
{multiply}",
        b0 = 4 * r,
        b1 = 4 * r + 1,
        b2 = 4 * r + 2,
        b3 = 4 * r + 3,
        m0 = 2 * r,
        m1 = 2 * r + 1,
    )
}

impl Logic for RequantLanes {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            // Behavioural model for rust-hdl's simulator: the contract on the value
            // that entered REQUANT_LANE_LATENCY edges ago.
            let byte = |s: &Signal<In, Bits<8>>| s.val().index() as u64;
            for (r, pipe) in self._pipe.iter_mut().enumerate() {
                let (t, m, s, relu) = pipe[REQUANT_LANE_LATENCY - 1];
                let p = t * m as i64;
                let v = if s == 0 {
                    p
                } else {
                    (p + (1i64 << (s - 1))) >> s
                };
                let mut y = v.clamp(-128, 127);
                if relu && y < 0 {
                    y = 0;
                }
                self.y[r].next = ((y as i8 as u8) as u64).to_bits();
                pipe.rotate_right(1);
                let bias = (0..4).fold(0u64, |a, j| a | byte(&self.bias_b[4 * r + j]) << (8 * j));
                let m = byte(&self.m_b[2 * r]) | byte(&self.m_b[2 * r + 1]) << 8;
                let c = self.c[r].val().index() as u32 as i32 as i64;
                pipe[0] = (
                    c + bias as u32 as i32 as i64,
                    m as u16,
                    (byte(&self.s_b[r]) as u32).min(47),
                    self.relu.val(),
                );
            }
        }
    }
    fn connect(&mut self) {
        for y in &mut self.y {
            y.connect();
        }
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom((0..self.y.len()).map(|r| lane_body(r, self._dsp)).collect())
    }
}
