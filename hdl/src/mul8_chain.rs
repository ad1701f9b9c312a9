//! The LUT form of one signed 8 x 8 -> 16 bit product for the ECP5: seven carry
//! chains of `CCU2C` cells whose LUTs also form the partial products, so one product
//! takes 36 `CCU2C` (72 LUT4 halves) and nothing else. (yosys 0.23 builds the same
//! product from `$signed(a) * $signed(b)` or from a shift-and-add sum in ~165 LUT4,
//! 8 `CCU2C` and wide-function muxes: its adder compressor is not mapped onto carry
//! chains.) Used by [`crate::Mul8x2`]'s `Lut` form under `` `ifdef ECP5 ``.
//!
//! ```text
//!   level 1 (10-bit chains)        level 2 (10-bit)        level 3 (12-bit)
//!   s0 = b0*A + 2*b1*A  ---+
//!                          +--> t0 = s0 + 4*s2  ---+
//!   s2 = b2*A + 2*b3*A  ---+                       |
//!                                                  +--> p = t0 + 16*t4
//!   s4 = b4*A + 2*b5*A  ---+                       |
//!                          +--> t4 = s4 + 4*s6  ---+
//!   s6 = b6*A - 2*b7*A  ---+
//! ```
//! `A` is the multiplicand `a` sign-extended; `b7` weighs `-128`.
//!
//! **How a `CCU2C` half adds.** Its LUT4 gives `P = f(A, B, C, D)` (table index
//! `{D, C, B, A}`); the sum is `P ^ carry_in`, the carry out is `P ? carry_in :
//! f(A, B, 0, 0)` (yosys's `ecp5/cells_sim.v`). Every bit here adds `y(A, B) + x`
//! with `x = C & D`: then `f(A, B, 0, 0) = y`, which is the carry when `P = 0`
//! (`x == y`), so any two-input `y` works. A level-1 bit `j` of `s_k` is
//! `y = a_{j-1} & b_{k+1}` plus `x = a_j & b_k`; the `-2*b7*A` row is `y = !(a_j & b7)` plus 2 (a set bit 0
//! and a carry in of 1), since `b7 ? !A : -1` is `-A - 1` or `-1`; a plain sum
//! `u + v` is `y = A = u`, `C = v`, `D = 1`.
//!
//! Combinational (between [`crate::Mul8x2`]'s operand and product registers); three
//! carry chains deep.

/// One bit of a chain: `y(A, B) + (C & D)`, with the Verilog of its four inputs.
struct ChainBit {
    a: String,
    b: String,
    c: String,
    d: String,
    /// `y` as a two-input truth table, index `{B, A}`.
    y: [bool; 4],
}

const Y_ZERO: [bool; 4] = [false; 4];
const Y_ONE: [bool; 4] = [true; 4];
const Y_A: [bool; 4] = [false, true, false, true];
const Y_AND: [bool; 4] = [false, false, false, true];
const Y_NAND: [bool; 4] = [true, true, true, false];

impl ChainBit {
    /// The LUT4's table: `y(A, B) ^ (C & D)`, index `{D, C, B, A}`.
    fn init(&self) -> u16 {
        (0..16).fold(0u16, |m, i| {
            let y = self.y[i & 3];
            let x = (i & 4 != 0) && (i & 8 != 0);
            if y ^ x {
                m | (1 << i)
            } else {
                m
            }
        })
    }
}

/// Verilog of one carry chain `name[n-1:0]` (`n` even) of `CCU2C` cells.
fn chain(name: &str, bits: &[ChainBit], cin: &str) -> String {
    assert!(
        bits.len().is_multiple_of(2),
        "{name}: a chain of CCU2C pairs"
    );
    let n = bits.len();
    let mut v = format!(
        "wire [{}:0] {name};\nwire [{}:0] {name}_co;\n",
        n - 1,
        n / 2 - 1
    );
    for k in 0..n / 2 {
        let (l, h) = (&bits[2 * k], &bits[2 * k + 1]);
        let ci = if k == 0 {
            cin.to_string()
        } else {
            format!("{name}_co[{}]", k - 1)
        };
        v += &format!(
            "CCU2C #(.INIT0(16'h{:04x}), .INIT1(16'h{:04x}), .INJECT1_0(\"NO\"), .INJECT1_1(\"NO\")) \
             {name}_{k} (.CIN({ci}), .A0({}), .B0({}), .C0({}), .D0({}), .A1({}), .B1({}), \
             .C1({}), .D1({}), .S0({name}[{}]), .S1({name}[{}]), .COUT({name}_co[{k}]));\n",
            l.init(),
            h.init(),
            l.a,
            l.b,
            l.c,
            l.d,
            h.a,
            h.b,
            h.c,
            h.d,
            2 * k,
            2 * k + 1
        );
    }
    v
}

/// Verilog of `wire [width-1:0] out = lo + (hi << shift)`: the low `shift` bits are
/// `lo`'s, the rest one plain-sum chain (`y = A = lo`, `C = hi`, `D = 1`); `lo` is
/// sign-extended from its bit `lo_top`; the chain's wire is `ch`.
fn shifted_sum(
    out: &str,
    ch: &str,
    width: usize,
    lo: &str,
    lo_top: usize,
    hi: &str,
    shift: usize,
) -> String {
    let bits: Vec<ChainBit> = (0..width - shift)
        .map(|j| ChainBit {
            a: format!("{lo}[{}]", (j + shift).min(lo_top)),
            b: "1'b0".into(),
            c: format!("{hi}[{j}]"),
            d: "1'b1".into(),
            y: Y_A,
        })
        .collect();
    chain(ch, &bits, "1'b0")
        + &format!(
            "wire [{}:0] {out} = {{{ch}, {lo}[{}:0]}};\n",
            width - 1,
            shift - 1
        )
}

/// Verilog (ECP5 `CCU2C` cells) of `wire [15:0] prod{i} = int8(ar{i}) * int8(br{i})`.
pub fn ecp5_chain_product(i: usize) -> String {
    let a = |j: usize| format!("ar{i}[{}]", j.min(7));
    let b = |k: usize| format!("br{i}[{k}]");
    let m = format!("m{i}");
    let mut v = String::new();
    // Level 1: s_k = b_k*A + 2*b_{k+1}*A (k = 0, 2, 4); s6 = b6*A - 2*b7*A.
    for k in [0, 2, 4, 6] {
        let last = k == 6;
        let bits: Vec<ChainBit> = (0..10)
            .map(|j| {
                let (ya, yb, y) = match (j, last) {
                    (0, false) => ("1'b0".into(), "1'b0".into(), Y_ZERO),
                    (0, true) => ("1'b0".into(), "1'b0".into(), Y_ONE),
                    (_, false) => (a(j - 1), b(k + 1), Y_AND),
                    (_, true) => (a(j - 1), b(7), Y_NAND),
                };
                ChainBit {
                    a: ya,
                    b: yb,
                    c: a(j),
                    d: b(k),
                    y,
                }
            })
            .collect();
        v += &chain(
            &format!("{m}_s{k}"),
            &bits,
            if last { "1'b1" } else { "1'b0" },
        );
    }
    // Level 2: t_k = s_k + 4*s_{k+2} (12 bits); level 3: p = t0 + 16*t4.
    for k in [0, 4] {
        v += &shifted_sum(
            &format!("{m}_t{k}"),
            &format!("{m}_t{k}h"),
            12,
            &format!("{m}_s{k}"),
            9,
            &format!("{m}_s{}", k + 2),
            2,
        );
    }
    v += &shifted_sum(
        &format!("prod{i}"),
        &format!("{m}_ph"),
        16,
        &format!("{m}_t0"),
        11,
        &format!("{m}_t4"),
        4,
    );
    v
}
