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
//!   With `dsp` the product is a `*` that yosys maps to DSPs (two MULT18X18D on ECP5);
//!   without, explicit shift-and-add logic in two stages. Rounding, shift and clamp are
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

use rust_hdl::prelude::*;

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
            _pipe: vec![vec![Some((0, 0, 0, false)); requant_lane_latency(steps)]; n],
        }
    }
}

impl RequantLanes {
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
    // Round, shift and clamp as the Booth lanes do: w = 2p, v = w >>> s kept in 8 bits
    // plus a flag (stage 4, shift bits 5..3), then (v + 1) >>> 1 clamped (stage 5).
    let (shift1, shift2) = shift_chains(
        r,
        [51, 39, 23, 15, 11, 9, 8],
        &format!("s3_{r}"),
        &format!("s4_{r}"),
    );
    format!(
        "\
{params}reg signed [32:0] t{r};
reg signed [49:0] p2_{r};
reg [15:0] m1_{r};
reg [5:0] s1_{r}, s2_{r}, s3_{r}, s4_{r};
reg r1_{r}, r2_{r}, r3_{r}, r4_{r};
wire sg{r} = p2_{r}[49];
wire [50:0] w{r} = {{p2_{r}, 1'b0}};
{shift1}reg [14:0] v{r};
reg sv{r}, fv{r};
{shift2}{round}initial begin
    t{r} = 0; p2_{r} = 0; v{r} = 0; sv{r} = 0; fv{r} = 0; y${r} = 0; m1_{r} = 0;
    s1_{r} = 0; s2_{r} = 0; s3_{r} = 0; s4_{r} = 0; r1_{r} = 0; r2_{r} = 0; r3_{r} = 0; r4_{r} = 0;
end
always @(posedge clock) begin
    t{r} <= $signed({{c${r}[31], c${r}}}) + $signed({{bias{r}[31], bias{r}}});
    m1_{r} <= m{r};
    s1_{r} <= sx{r}; s2_{r} <= s1_{r}; s3_{r} <= s2_{r}; s4_{r} <= s3_{r};
    r1_{r} <= relu; r2_{r} <= r1_{r}; r3_{r} <= r2_{r}; r4_{r} <= r3_{r};
    v{r} <= wc{r}; sv{r} <= sg{r}; fv{r} <= waf{r} | wbf{r} | wcf{r};
    y${r} <= (r4_{r} && cl{r}[7]) ? 8'h00 : cl{r};
end
{multiply}",
        params = param_wires(r),
        round = round_clamp(r),
    )
}

/// One stage of serial lane `r`'s logarithmic right shift by `amt` (when `bit`), from
/// a window of `win` bits to one of `wout`; `f` collects "a dropped bit differs from the
/// sign" (the sign is `sg` for the `w` windows, `sv` for the `v` ones).
fn shift_stage(
    r: usize,
    src: &str,
    win: usize,
    wout: usize,
    amt: usize,
    bit: &str,
    dst: &str,
) -> String {
    let sg = if src.starts_with('w') { "sg" } else { "sv" };
    format!(
        "\
wire [{hi}:0] {dst}sh{r} = {bit} ? {{{{{amt}{{{sg}{r}}}}}, {src}{r}[{hi}:{amt}]}} : {src}{r};
wire [{wo1}:0] {dst}{r} = {dst}sh{r}[{wo1}:0];
wire {dst}f{r} = |({dst}sh{r}[{hi}:{wout}] ^ {{{drop}{{{sg}{r}}}}});
",
        hi = win - 1,
        wo1 = wout - 1,
        drop = win - wout,
    )
}

/// The two shift chains of a lane's shift-and-clamp: `w` through 32, 16 and 8 (bits
/// 5..3 of `s_hi`) into `wc`, and `v` through 4, 2 and 1 (bits 2..0 of `s3`) into `vf`;
/// `widths` are the seven widths along the way.
fn shift_chains(r: usize, widths: [usize; 7], s_hi: &str, s3: &str) -> (String, String) {
    let w = widths;
    let mut shift1 = shift_stage(r, "w", w[0], w[1], 32, &format!("{s_hi}[5]"), "wa");
    shift1 += &shift_stage(r, "wa", w[1], w[2], 16, &format!("{s_hi}[4]"), "wb");
    shift1 += &shift_stage(r, "wb", w[2], w[3], 8, &format!("{s_hi}[3]"), "wc");
    let mut shift2 = shift_stage(r, "v", w[3], w[4], 4, &format!("{s3}[2]"), "vd");
    shift2 += &shift_stage(r, "vd", w[4], w[5], 2, &format!("{s3}[1]"), "ve");
    shift2 += &shift_stage(r, "ve", w[5], w[6], 1, &format!("{s3}[0]"), "vf");
    (shift1, shift2)
}

/// One digit-serial lane of one multiplier bit per step (`steps` = 16; see the module
/// documentation).
fn serial_lane_body(r: usize, steps: usize, late: bool) -> String {
    let k = 16 / steps;
    // The multiplier digits come from `mr` (loaded at `start`), or with late parameters
    // from `m` itself in the first step (`mc`).
    let md = if late { "mc" } else { "mr" };
    // The step adder: 34 + k bits hold |h + t * digit| < 2^(33 + k).
    let w = 34 + k;
    let pp = (0..k)
        .map(|i| format!("({md}{r}[{i}] ? (tx{r} << {i}) : {w}'d0)"))
        .collect::<Vec<_>>()
        .join(" + ");
    let ph_next = if steps == 2 {
        format!("{{ph{r}[0], 1'b0}}")
    } else {
        format!("{{ph{r}[{}:0], 1'b0}}", steps - 2)
    };
    let l_next = if k == 16 {
        format!("sum{r}[15:0]")
    } else {
        format!("{{sum{r}[{}:0], l{r}[15:{k}]}}", k - 1)
    };
    let (mc_wire, mr_next, late_load, start_m, start_s) = if late {
        (
            format!("wire [15:0] mc{r} = ph{r}[0] ? m{r} : mr{r};\n"),
            format!("mc{r} >> {k}"),
            format!("    if (ph{r}[1]) s1_{r} <= sx{r};\n"),
            String::new(),
            format!("        r1_{r} <= relu;\n"),
        )
    } else {
        (
            String::new(),
            format!("mr{r} >> {k}"),
            String::new(),
            format!("        mr{r} <= m{r};\n"),
            format!("        s1_{r} <= sx{r}; r1_{r} <= relu;\n"),
        )
    };
    let (shift1, shift2) = shift_chains(
        r,
        [51, 41, 25, 17, 13, 11, 10],
        &format!("s2_{r}"),
        &format!("s3_{r}"),
    );
    format!(
        "\
{params}reg signed [32:0] t{r};
reg [15:0] mr{r};
reg [{sm1}:0] ph{r};
reg [5:0] s1_{r}, s2_{r};
reg r1_{r}, r2_{r};
reg [33:0] h{r};
reg [15:0] l{r};
wire [{wm1}:0] tx{r} = {{{{{tx_ext}{{t{r}[32]}}}}, t{r}}};
wire [{wm1}:0] hx{r} = ph{r}[0] ? {w}'d0 : {{{{{h_ext}{{h{r}[33]}}}}, h{r}}};
{mc_wire}wire [{wm1}:0] sum{r} = hx{r} + {pp};
// Round, shift, clamp: w = 2p, v = w >>> s kept in 10 bits plus a flag.
wire sg{r} = h{r}[33];
wire [50:0] w{r} = {{h{r}, l{r}, 1'b0}};
{shift1}reg [16:0] v{r};
reg sv{r}, fv{r}, bv{r}, r3_{r}, r4_{r};
reg [2:0] s3_{r};
reg [7:0] sat{r};
{shift2}wire signed [11:0] z{r} = $signed({{sv{r}, sv{r}, vf{r}}}) + $signed({{11'd0, bv{r}}});
wire signed [10:0] rr{r} = z{r}[11:1];
// rr is outside int8 when its bits 10..7 differ (plain logic, no compare chains).
wire ro{r} = (rr{r}[10:7] != 4'b0000) & (rr{r}[10:7] != 4'b1111);
wire [7:0] cl{r} = (fv{r} | vdf{r} | vef{r} | vff{r}) ? (sv{r} ? 8'h80 : 8'h7f)
    : (ro{r} ? (rr{r}[10] ? 8'h80 : 8'h7f) : rr{r}[7:0]);
initial begin
    t{r} = 0; mr{r} = 0; ph{r} = 0; s1_{r} = 0; s2_{r} = 0; r1_{r} = 0; r2_{r} = 0;
    h{r} = 0; l{r} = 0; v{r} = 0; sv{r} = 0; fv{r} = 0; bv{r} = 0; r3_{r} = 0; r4_{r} = 0;
    s3_{r} = 0; sat{r} = 0;
end
always @(posedge clock) begin
    h{r} <= sum{r}[{wm1}:{k}];
    l{r} <= {l_next};
    mr{r} <= {mr_next};
    ph{r} <= {ph_next};
    if (ph{r}[{sm1}]) begin
        s2_{r} <= s1_{r}; r2_{r} <= r1_{r};
    end
{late_load}    if (start) begin
        t{r} <= $signed({{c${r}[31], c${r}}}) + $signed({{bias{r}[31], bias{r}}});
{start_m}        ph{r} <= {steps}'d1;
{start_s}    end
    v{r} <= wc{r}; sv{r} <= sg{r}; fv{r} <= waf{r} | wbf{r} | wcf{r};
    bv{r} <= s2_{r} != 6'd0; s3_{r} <= s2_{r}[2:0]; r3_{r} <= r2_{r};
    sat{r} <= cl{r}; r4_{r} <= r3_{r};
end
always @(*) y${r} = (r4_{r} && sat{r}[7]) ? 8'h00 : sat{r};
",
        sm1 = steps - 1,
        wm1 = w - 1,
        tx_ext = w - 33,
        h_ext = w - 34,
        params = param_wires(r),
    )
}

/// One digit-serial lane with radix-4 Booth digits (`steps` 2, 4 or 8, `k = 16 / steps`
/// even; see the module documentation).
fn booth_lane_body(r: usize, steps: usize, late: bool) -> String {
    let k = 16 / steps;
    // Booth digits of m >> 1 (`k / 2` per step): digit q of a step takes bits 2q+2,
    // 2q+1, 2q of the step's multiplier bits `md` (value -2 b2 + b1 + b0, weight 2 * 4^q;
    // b0 of the very first digit is bit -1 of m >> 1, i.e. 0), so that
    // p = t * (m >> 1) * 2 + t * m[0] with no digit for bit 16 (m is unsigned):
    // the `t * m[0]` term is the accumulator's initial value.
    let w = 34 + k;
    let mut digits = String::new();
    let mut regs = String::new();
    let mut loads = String::new();
    let mut chain = format!("wire [{wm1}:0] a0_{r} = hx{r};\n", wm1 = w - 1);
    for q in 0..k / 2 {
        let (b1, b2) = (2 * q + 1, 2 * q + 2);
        // Bit -1 of m >> 1 is 0: the first step's lowest digit has no borrow bit.
        let b0 = if q == 0 {
            format!("(md{r}[0] & ~ph{r}[0])")
        } else {
            format!("md{r}[{}]", 2 * q)
        };
        digits += &format!(
            "\
wire bz{q}_{r} = ({b0} == md{r}[{b1}]) & (md{r}[{b1}] == md{r}[{b2}]);
wire b2x{q}_{r} = ({b0} == md{r}[{b1}]) & (md{r}[{b1}] != md{r}[{b2}]);
"
        );
        regs += &format!("reg [33:0] pp{q}_{r};\nreg pn{q}_{r};\n");
        // A zero digit clears the register (a synchronous reset on iCE40): the partial
        // product t, 2t, ~t or ~2t (the +1 of a negation enters as the adder's carry).
        loads += &format!(
            "\
    pp{q}_{r} <= bz{q}_{r} ? 34'd0
        : ((b2x{q}_{r} ? {{t{r}, 1'b0}} : {{t{r}[32], t{r}}}) ^ {{34{{md{r}[{b2}]}}}});
    pn{q}_{r} <= md{r}[{b2}] & ~bz{q}_{r};
"
        );
        // a{q+1} = a{q} + (pp + pn) << (2q + 1): the low bits pass, the carry-in comes
        // from a one-bit extension ({x, 1} + {y, c} carries c into bit 1).
        let lo = 2 * q + 1;
        let ew = w - lo + 1; // bits of the extended adder: w - lo data bits + 1
        chain += &format!(
            "\
wire [{em1}:0] e{q}_{r} = {{a{q}_{r}[{wm1}:{lo}], 1'b1}}
    + {{{{{pext}{{pp{q}_{r}[33]}}}}, pp{q}_{r}, pn{q}_{r}}};
wire [{wm1}:0] a{qn}_{r} = {{e{q}_{r}[{em1}:1], a{q}_{r}[{lom1}:0]}};
",
            em1 = ew - 1,
            wm1 = w - 1,
            pext = ew - 1 - 34,
            qn = q + 1,
            lom1 = lo - 1,
        );
    }
    let (md_wire, start_m, start_s, s_hold, s_src) = if late {
        (
            format!("wire [15:0] md{r} = ph{r}[0] ? m{r} : mr{r};\n"),
            String::new(),
            format!("        r1_{r} <= relu;\n"),
            format!("    if (ph{r}[1]) s1_{r} <= sx{r};\n"),
            // Sampled two cycles after `start`, s1 holds until the next value's shift
            // arrives (steps + 2 cycles after start), which is when stage 1 reads it.
            format!("s1_{r}"),
        )
    } else {
        (
            format!("wire [15:0] md{r} = mr{r};\n"),
            format!("        mr{r} <= m{r};\n"),
            format!("        s1_{r} <= sx{r}; r1_{r} <= relu;\n"),
            format!("    if (ph{r}[{sm1}]) s2_{r} <= s1_{r};\n", sm1 = steps - 1),
            format!("s2_{r}"),
        )
    };
    let (shift1, shift2) = shift_chains(r, [51, 39, 23, 15, 11, 9, 8], &s_src, &format!("s3_{r}"));
    format!(
        "\
{params}reg signed [32:0] t{r};
reg [15:0] mr{r};
reg [{sm1}:0] ph{r};
reg [5:0] {s_regs};
reg r1_{r}, r2_{r};
reg m0_{r};
reg [33:0] h{r};
reg [15:0] l{r};
{md_wire}{digits}{regs}wire [{wm1}:0] tx{r} = {{{{{tx_ext}{{t{r}[32]}}}}, t{r}}};
// The first step (ph[1]) starts from t * m[0].
wire [{wm1}:0] hx{r} = ph{r}[1] ? (m0_{r} ? tx{r} : {w}'d0) : {{{{{h_ext}{{h{r}[33]}}}}, h{r}}};
{chain}wire [{wm1}:0] sum{r} = a{kh}_{r};
// Round, shift, clamp: w = 2p, v = w >>> s kept in 8 bits plus a flag.
wire sg{r} = h{r}[33];
wire [50:0] w{r} = {{h{r}, l{r}, 1'b0}};
{shift1}reg [14:0] v{r};
reg sv{r}, fv{r}, r3_{r};
reg [2:0] s3_{r};
{shift2}{round}initial begin
    t{r} = 0; mr{r} = 0; ph{r} = 0; {s_init} r1_{r} = 0; r2_{r} = 0; m0_{r} = 0;
    h{r} = 0; l{r} = 0; v{r} = 0; sv{r} = 0; fv{r} = 0; r3_{r} = 0; s3_{r} = 0;
{pinit}end
always @(posedge clock) begin
{loads}    m0_{r} <= md{r}[0];
    h{r} <= sum{r}[{wm1}:{k}];
    l{r} <= {{sum{r}[{km1}:0], l{r}[15:{k}]}};
    mr{r} <= md{r} >> {k};
    ph{r} <= {ph_next};
    if (ph{r}[{sm1}]) r2_{r} <= r1_{r};
{s_hold}    if (start) begin
        t{r} <= $signed({{c${r}[31], c${r}}}) + $signed({{bias{r}[31], bias{r}}});
{start_m}        ph{r} <= {steps}'d1;
{start_s}    end
    v{r} <= wc{r}; sv{r} <= sg{r}; fv{r} <= waf{r} | wbf{r} | wcf{r};
    s3_{r} <= {s_src}[2:0]; r3_{r} <= r2_{r};
end
always @(*) y${r} = (r3_{r} && cl{r}[7]) ? 8'h00 : cl{r};
",
        sm1 = steps - 1,
        wm1 = w - 1,
        km1 = k - 1,
        s_regs = if late {
            format!("s1_{r}")
        } else {
            format!("s1_{r}, s2_{r}")
        },
        s_init = if late {
            format!("s1_{r} = 0;")
        } else {
            format!("s1_{r} = 0; s2_{r} = 0;")
        },
        kh = k / 2,
        tx_ext = w - 33,
        h_ext = w - 34,
        ph_next = if steps == 2 {
            format!("{{ph{r}[0], 1'b0}}")
        } else {
            format!("{{ph{r}[{}:0], 1'b0}}", steps - 2)
        },
        pinit = (0..k / 2)
            .map(|q| format!("    pp{q}_{r} = 0; pn{q}_{r} = 0;\n"))
            .collect::<String>(),
        params = param_wires(r),
        round = round_clamp(r),
    )
}

/// Lane `r`'s rounding and clamp after the second shift chain (parallel and Booth
/// lanes): `(v + 1) >>> 1` of the 8-bit window `vf` with sign `sv`, saturated when a
/// flag says a dropped bit differed from the sign or the rounding carried a positive
/// `v` out of 8 bits (+128).
fn round_clamp(r: usize) -> String {
    format!(
        "\
// (v + 1) >>> 1 is the rounded value; its carry out of 8 bits with a positive v
// means +128.
wire [8:0] z{r} = {{sv{r}, vf{r}}} + 9'd1;
wire ov{r} = fv{r} | vdf{r} | vef{r} | vff{r} | (~sv{r} & z{r}[8]);
wire [7:0] cl{r} = ov{r} ? (sv{r} ? 8'h80 : 8'h7f) : z{r}[8:1];
"
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
                + &(0..n).map(|r| lane_body(r, self._dsp)).collect::<String>()
        } else {
            (0..n)
                .map(|r| {
                    if self._steps == 16 {
                        serial_lane_body(r, self._steps, self._late)
                    } else {
                        booth_lane_body(r, self._steps, self._late)
                    }
                })
                .collect()
        })
    }
}

/// The Verilog of `n` [`RequantLanes`] alone (top module [`crate::TOP_MODULE`], ports
/// `c$0`, `bias_b$0` .. as in the tile), for lane-level tests.
pub fn requant_lanes_verilog(n: usize, dsp: bool, steps: usize) -> String {
    let mut lanes = RequantLanes::new(n, dsp, steps);
    lanes.connect_all();
    generate_verilog(&lanes)
}

/// As [`requant_lanes_verilog`] for serial lanes with [`RequantLanes::late_params`].
pub fn requant_lanes_late_verilog(n: usize, steps: usize) -> String {
    let mut lanes = RequantLanes::new(n, false, steps).late_params();
    lanes.connect_all();
    generate_verilog(&lanes)
}
