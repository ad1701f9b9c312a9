//! `RequantLanes`: `n` lanes that requantize one int32 accumulator each to int8 per the
//! arithmetic contract (`docs/arithmetic.md`).
//!
//! ```text
//!   c[r] (int32) ----------+
//!   bias_b[4r..4r+4] ------+--> t = c + bias --> p = t * m --> (reg) --> v = 2p >>> s --> y[r]
//!   m_b[2r..2r+2], s_b[r] -+    (m, s, relu travel alongside)   y = relu(clamp((v + 1) >>> 1))
//! ```
//! Parameters arrive as little-endian bytes (as `rq.param` loads them); a shift byte
//! above 47 counts as 47. Exact in 50-bit two's complement (|t*m| < 2^49), rounding half
//! up (toward +infinity).
//!
//! Two forms, by `steps` (the config's `requant_steps`):
//! - **`steps = 1`, parallel**: a value enters every cycle. Latency
//!   [`REQUANT_LANE_LATENCY`] = 5 clocks from `c` to `y`; parameters travel with their
//!   value, so every cycle may use different ones (the requantizer time-shares lanes).
//!   With `dsp` the product is two `*`s that yosys maps to one MULT18X18D each on ECP5
//!   (`t`'s low 17 bits and its high 16 bits times `m`), registered, then added in the
//!   next stage (the adder is not in the multipliers' cycle; [`RequantLanes::split_product`],
//!   the default), or one `*` whose halves yosys adds in the multipliers' cycle; without
//!   `dsp`, explicit shift-and-add logic in two stages. Rounding, shift and clamp are
//!   the Booth lanes' (below) in two stages: the shift by 32, 16, 8 then by 4, 2, 1, the
//!   rounding add and the clamp (no 50-bit rounding adder, barrel shifter or compares).
//! - **`steps` = 2, 4, 8 or 16, digit-serial** (LUT logic only): a value enters in a cycle
//!   with `start` high, one every `steps` cycles; `c`, the parameters and `relu` are
//!   sampled only then. `t = c + bias` is registered, then `steps` cycles each add `t`
//!   times the next `k = 16 / steps` bits of `m` (low digit first) into a running
//!   product whose low bits shift out into a 16-bit register (adders of 34 + k bits
//!   instead of a 33 x 16 array).
//!   - `steps` = 2, 4, 8 (`k` even): the `k` bits are `k / 2` radix-4 Booth digits of
//!     `m >> 1` (each 0, +-t or +-2t), and the product starts from `t * m[0]`, so an
//!     unsigned `m` needs no ninth digit. Each digit's partial product is registered the
//!     cycle before it is added (one LUT per bit: the digit's sign and size select,
//!     zero is the register's synchronous reset), so the steps run one cycle later
//!     (`start+2 ..`) as a chain of `k / 2` carry adders. Two stages then round, shift
//!     and clamp without a 50-bit barrel shifter: with `w = 2p`, `v = w >>> s` is
//!     formed by a logarithmic shifter that keeps only the 8 low bits of `v` plus a
//!     flag "a bit above them differs from the sign" (then `y` saturates by the sign),
//!     and `(v + 1) >>> 1` equals `(p + 2^(s-1)) >>> s` (and `p` for `s = 0`, `v`
//!     being even then); its carry out of a positive `v` is +128, which saturates.
//!   - `steps` = 16 (`k` = 1): one bit per step (`start+1 ..`), and three stages that
//!     round, shift (keeping 10 bits of `v` and the flag) and clamp, with
//!     `r = (v + (s != 0)) >>> 1`.
//!
//!   Latency `steps + 3` clocks from `start` to `y`, which is combinational from the
//!   last stage's registers and valid in that cycle only (the requantizer's row register
//!   takes it then): one clock before where the parallel form would have it.
//! - **Late parameters** ([`RequantLanes::late_params`], serial lanes with `steps` >= 4):
//!   `m` is sampled one cycle after `start` and the shift two cycles after (`c`, the
//!   bias and `relu` still with `start`), so that a requantizer can read them from one
//!   RAM port in successive cycles. Same latency.
//! - **Reset**: none; the pipelines power up to zeros (`y` of a serial lane is
//!   meaningless until a value has gone through).
//!
//! A Verilog leaf because rust-hdl 0.46 cannot express signed 33 x 17 multiplies or
//! arithmetic shifts (its literals are 32 bit; its signed casts break at the most
//! negative value), and cannot address `lanes[r].bias[j]` (one index per name).
//!
//! Example: `c = 3, bias = 0, m = 1, s = 1` gives `y = 2`; `c = -3` gives `y = -1`.
//!
//! The Verilog of each lane form is written by `requant_lanes/parallel.rs` and
//! `requant_lanes/serial.rs`, their shared shift chains and clamp by
//! `requant_lanes/shift.rs`.

use rust_hdl::prelude::*;

mod parallel;
mod serial;
mod shift;

/// Clocks from `c` to `y` (parallel lanes); serial lanes output one clock earlier
/// (see [`requant_lane_latency`]).
pub const REQUANT_LANE_LATENCY: usize = 5;

/// Clocks from a value's input (`start` for serial lanes) to its `y`: 5 for parallel
/// lanes, `steps + 3` for serial ones (whose `y` is combinational from the last stage's
/// registers and valid for that one cycle, so that the requantizer's row register is
/// its output register).
pub fn requant_lane_latency(steps: usize) -> usize {
    if steps == 1 {
        REQUANT_LANE_LATENCY
    } else {
        steps + 3
    }
}

/// One value in the behavioural pipeline: `t = c + bias`, `m`, shift, `relu`.
type LaneInput = (i64, u16, u32, bool);

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
    /// Serial lanes: sample the inputs and start a value this cycle (unused by parallel
    /// lanes, which sample every cycle).
    pub start: Signal<In, Bit>,
    /// Requantized int8 per lane, [`requant_lane_latency`] clocks after its input
    /// (serial lanes: valid in that cycle only).
    pub y: Vec<Signal<Out, Bits<8>>>,
    _dsp: bool,
    _steps: usize,
    _late: bool,
    _split: bool,
    /// Behavioural pipeline: per lane, the value that entered `i` edges ago (if any).
    _pipe: Vec<Vec<Option<LaneInput>>>,
}

impl RequantLanes {
    /// `n` lanes whose multipliers are DSPs (`dsp`) or LUT logic, taking `steps` (1, 2,
    /// 4, 8, 16; more than 1 only without `dsp`) cycles per value.
    pub fn new(n: usize, dsp: bool, steps: usize) -> Self {
        assert!(
            [1, 2, 4, 8, 16].contains(&steps) && (steps == 1 || !dsp),
            "requant steps {steps} (dsp {dsp})"
        );
        Self {
            clock: Default::default(),
            c: crate::vec_of(n),
            bias_b: crate::vec_of(4 * n),
            m_b: crate::vec_of(2 * n),
            s_b: crate::vec_of(n),
            relu: Default::default(),
            start: Default::default(),
            y: crate::vec_of(n),
            _dsp: dsp,
            _steps: steps,
            _late: false,
            _split: true,
            _pipe: vec![vec![Some((0, 0, 0, false)); requant_lane_latency(steps)]; n],
        }
    }
}

impl RequantLanes {
    /// With `split` false, a DSP lane's product `t * m` is one `*` whose halves are added
    /// in the multipliers' cycle (`TileConfig::requant_split_product`).
    pub fn split_product(mut self, split: bool) -> Self {
        self._split = split;
        self
    }

    /// The same serial lanes sampling `m` one cycle and the shift two cycles after
    /// `start` (see the module documentation); needs `steps` >= 4.
    pub fn late_params(mut self) -> Self {
        assert!(self._steps >= 4, "late parameters need 4 or more steps");
        self._late = true;
        self
    }
}

/// Lane `r`'s parameters from their bytes: `bias{r}` (int32), `m{r}` (uint16) and
/// `sx{r}` (the shift, bytes above 47 counting as 47).
fn param_wires(r: usize) -> String {
    format!(
        "\
wire [31:0] bias{r} = {{bias_b${b3}, bias_b${b2}, bias_b${b1}, bias_b${b0}}};
wire [15:0] m{r} = {{m_b${m1}, m_b${m0}}};
// s > 47 (s >= 48) without a compare chain.
wire [5:0] sx{r} = ((|s_b${r}[7:6]) | (&s_b${r}[5:4])) ? 6'd47 : s_b${r}[5:0];
",
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
            // that entered requant_lane_latency(steps) edges ago (serial lanes: the
            // output holds between values).
            let byte = |s: &Signal<In, Bits<8>>| s.val().index() as u64;
            let take = self._steps == 1 || self.start.val();
            for (r, pipe) in self._pipe.iter_mut().enumerate() {
                if let Some((t, m, s, relu)) = pipe[pipe.len() - 1] {
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
                }
                pipe.rotate_right(1);
                let s_now = (byte(&self.s_b[r]) as u32).min(47);
                let m_now = (byte(&self.m_b[2 * r]) | byte(&self.m_b[2 * r + 1]) << 8) as u16;
                if self._late {
                    // The value started one edge ago takes `m` now, two edges ago the shift.
                    if let Some(v) = pipe[1].as_mut() {
                        v.1 = m_now;
                    }
                    if let Some(v) = pipe[2].as_mut() {
                        v.2 = s_now;
                    }
                }
                let bias = (0..4).fold(0u64, |a, j| a | byte(&self.bias_b[4 * r + j]) << (8 * j));
                let c = self.c[r].val().index() as u32 as i32 as i64;
                pipe[0] =
                    take.then_some((c + bias as u32 as i32 as i64, m_now, s_now, self.relu.val()));
            }
        }
    }
    fn connect(&mut self) {
        for y in &mut self.y {
            y.connect();
        }
    }
    fn hdl(&self) -> Verilog {
        let n = self.y.len();
        Verilog::Custom(if self._steps == 1 {
            // `start` is only for serial lanes; Verilator's default --unused-regexp
            // (`*unused*`) keeps this from being reported.
            "wire unused_start = start;\n".to_string()
                + &(0..n)
                    .map(|r| parallel::lane_body(r, self._dsp, self._split))
                    .collect::<String>()
        } else {
            (0..n)
                .map(|r| {
                    if self._steps == 16 {
                        serial::serial_lane_body(r, self._steps, self._late)
                    } else {
                        serial::booth_lane_body(r, self._steps, self._late)
                    }
                })
                .collect()
        })
    }
}

/// The Verilog of `n` [`RequantLanes`] alone (top module [`crate::TOP_MODULE`], ports
/// `c$0`, `bias_b$0` .. as in the tile), for lane-level tests.
pub fn requant_lanes_verilog(n: usize, dsp: bool, steps: usize) -> String {
    requant_lanes_verilog_with(n, dsp, steps, true)
}

/// As [`requant_lanes_verilog`], with the DSP lanes' product split or not
/// ([`RequantLanes::split_product`]).
pub fn requant_lanes_verilog_with(n: usize, dsp: bool, steps: usize, split: bool) -> String {
    let mut lanes = RequantLanes::new(n, dsp, steps).split_product(split);
    lanes.connect_all();
    generate_verilog(&lanes)
}

/// As [`requant_lanes_verilog`] for serial lanes with [`RequantLanes::late_params`].
pub fn requant_lanes_late_verilog(n: usize, steps: usize) -> String {
    let mut lanes = RequantLanes::new(n, false, steps).late_params();
    lanes.connect_all();
    generate_verilog(&lanes)
}
