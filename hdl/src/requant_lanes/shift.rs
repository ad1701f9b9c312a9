//! The shift-and-clamp of the requantizer lanes (parallel and Booth): two logarithmic
//! shift chains over narrowing windows, then the rounding add and the clamp.

/// One stage of serial lane `r`'s logarithmic right shift by `amt` (when `bit`), from
/// a window of `win` bits to one of `wout`; `f` collects "a dropped bit differs from the
/// sign" (the sign is `sg` for the `w` windows, `sv` for the `v` ones).
pub(super) fn shift_stage(
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
pub(super) fn shift_chains(r: usize, widths: [usize; 7], s_hi: &str, s3: &str) -> (String, String) {
    let w = widths;
    let mut shift1 = shift_stage(r, "w", w[0], w[1], 32, &format!("{s_hi}[5]"), "wa");
    shift1 += &shift_stage(r, "wa", w[1], w[2], 16, &format!("{s_hi}[4]"), "wb");
    shift1 += &shift_stage(r, "wb", w[2], w[3], 8, &format!("{s_hi}[3]"), "wc");
    let mut shift2 = shift_stage(r, "v", w[3], w[4], 4, &format!("{s3}[2]"), "vd");
    shift2 += &shift_stage(r, "vd", w[4], w[5], 2, &format!("{s3}[1]"), "ve");
    shift2 += &shift_stage(r, "ve", w[5], w[6], 1, &format!("{s3}[0]"), "vf");
    (shift1, shift2)
}

/// Lane `r`'s rounding and clamp after the second shift chain (parallel and Booth
/// lanes): `(v + 1) >>> 1` of the 8-bit window `vf` with sign `sv`, saturated when a
/// flag says a dropped bit differed from the sign or the rounding carried a positive
/// `v` out of 8 bits (+128).
pub(super) fn round_clamp(r: usize) -> String {
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
