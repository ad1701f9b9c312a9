//! The parallel lane of `RequantLanes` (`steps = 1`): a value enters every
//! cycle, its product in DSPs or in two stages of shift-and-add logic, then the shift
//! chains and clamp of `shift.rs`.

use super::param_wires;
use super::shift::{round_clamp, shift_chains};

/// Parallel lane `r` (with its product in DSPs when `dsp`, as two registered halves when
/// `split`).
pub(super) fn lane_body(r: usize, dsp: bool, split: bool) -> String {
    let multiply = if dsp && !split {
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
    } else if dsp {
        // Two products that each fit one 18 x 18 multiplier (t's low 17 bits, unsigned,
        // and its high 16 bits, signed, times m), registered before the fabric adds
        // them: the adder is not in one cycle with the multipliers.
        format!(
            "\
reg signed [34:0] plo{r};
reg signed [32:0] phi{r};
initial begin
    plo{r} = 0; phi{r} = 0;
end
always @(posedge clock) begin
    plo{r} <= $signed({{1'b0, t{r}[16:0]}}) * $signed({{1'b0, m1_{r}}});
    phi{r} <= $signed(t{r}[32:17]) * $signed({{1'b0, m1_{r}}});
    p2_{r} <= {{phi{r}, 17'd0}} + {{15'd0, plo{r}}};
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
