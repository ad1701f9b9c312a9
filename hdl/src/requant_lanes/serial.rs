//! The digit-serial lanes of `RequantLanes` (`steps` = 2, 4, 8, 16): the
//! one-bit-per-step lane and the radix-4 Booth lanes (see the parent module's
//! documentation).

use super::param_wires;
use super::shift::{round_clamp, shift_chains};

/// One digit-serial lane of one multiplier bit per step (`steps` = 16; see the module
/// documentation).
pub(super) fn serial_lane_body(r: usize, steps: usize, late: bool) -> String {
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
pub(super) fn booth_lane_body(r: usize, steps: usize, late: bool) -> String {
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
