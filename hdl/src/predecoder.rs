//! `Predecoder`: everything about an instruction word that does not depend on run-time
//! state, computed when the host writes the word and stored beside it in instruction
//! memory (the ninth byte of a 72-bit word: four ECP5 `DP16KD` of 1024 x 18 hold it, as
//! they held the 64-bit word). At issue the [`crate::Decoder`] is left with the checks that
//! need `vlen`.
//!
//! ```text
//!   word (ib[0..8]) --> p[PD_OK]     legal: known opcode, unused bits zero, no zero
//!                                    count, vlen <= 16384, banks < `banks`, loop end
//!                                    <= imem_depth and past the body's first word
//!                                    (`addr` + 1: the word's pc is its address)
//!                   --> p[PD_RANGE]  an access past a memory's end that does not
//!                                    involve vlen (constant-length and mxu/rq extents)
//!                   --> p[PD_VDST], p[PD_VSRC1], p[PD_VSRC2]: which address fields
//!                                    span vlen words (checked at issue)
//!                   --> p[PD_LOOP], p[PD_WAIT]: the opcode is `loop` / `wait`;
//!                       p[PD_WAIT0]: `wait 0`; with the fetch stage also a `loop`
//!                       whose body is one word run more than once (end = pc + 2,
//!                       n > 1; the opcode bits tell the two apart)
//! ```
//! - **Latency**: 0 (combinational, on the host's store path; `addr` is the store's word).
//! - **Reset**: none; an all-zero byte (empty instruction memory) reads as illegal.
//! - **Throughput**: one word per host store.

use crate::decoder::{
    fields_v, PD_LOOP, PD_OK, PD_RANGE, PD_VDST, PD_VSRC1, PD_VSRC2, PD_WAIT, PD_WAIT0,
};
use minilpu_model::TileConfig;
use rust_hdl::prelude::*;

/// The predecoder (see the module documentation).
#[derive(LogicBlock)]
pub struct Predecoder {
    /// Instruction word as 8 bytes, little-endian.
    pub ib: Vec<Signal<In, Bits<8>>>,
    /// The word's address in instruction memory (its pc; below `imem_depth`), valid
    /// with `ib`.
    pub addr: Signal<In, Bits<16>>,
    /// The predecode byte (bits `PD_*`, the rest 0).
    pub p: Signal<Out, Bits<8>>,
    _cfg: TileConfig,
}

impl Predecoder {
    /// A predecoder for `cfg`.
    pub fn new(cfg: &TileConfig) -> Self {
        Self {
            ib: crate::vec_of(8),
            addr: Default::default(),
            p: Default::default(),
            _cfg: cfg.clone(),
        }
    }
}

impl Logic for Predecoder {
    fn update(&mut self) {
        // No behavioural model: checked in Verilator through the tile (see Decoder).
    }
    fn connect(&mut self) {
        self.p.connect();
    }
    fn hdl(&self) -> Verilog {
        let c = &self._cfg;
        let [wb, wm, ws] = minilpu_model::schedule::param_sections(c);
        let pw = wb + wm + ws;
        // Range checks: `x + k > D` (constants) is `x > D - k`, a compare with a
        // constant in LUTs (`gt_const`); `x + y > K` is the 15-bit sum `s_*` (one carry
        // chain, shared by the checks of one sum) compared with `K` in LUTs.
        let gt_k = |x: &str, k: i64| -> String { gt_const(x, 14, k) };
        // `x + k > depth(b)`: bank 0 holds activations, the others weights.
        let over_k = |x: &str, b: &str, k: i64| -> String {
            format!(
                "(({b} == 5'd0) ? {} : {})",
                gt_k(x, c.act_depth as i64 - k),
                gt_k(x, c.bank_depth as i64 - k)
            )
        };
        // `x + y > k` for the 15-bit sum `s` of two 14-bit fields and a constant `k`.
        let over_xy = |s: &str, k: usize| -> String { gt_const(s, 15, k as i64) };
        // The format's unused bits must be zero: each bit is checked once, against the
        // formats that may use it (the `k_*` are exclusive), grouped by that set.
        let formats: [(&str, u64); 10] = [
            ("k_wait", 0x0_0000_FFFF_FFFF),
            ("k_loop", 0x0_FFFF_00FF_FFFF),
            ("k_vlen", 0x0_0000_0000_FFFF),
            ("k_mxl", 0x0_0000_0000_3FFF),
            ("(k_mxr & rload)", 0x7FF_FFFF_FFFF_FFFF),
            ("(k_mxr & !rload)", 0x0_1FFF_FFFF_FFFF),
            ("(k_rqp | k_send | k_recv)", 0x0_0000_0007_FFFF),
            ("k_rqr", 0x17_FFFF_3FFF_3FFF),
            ("k_vbin", 0x1FF_FFFF_FFFF_FFFF),
            ("k_vun", 0x0_0000_003F_FFFF_FFFF),
        ];
        let mut groups: Vec<(Vec<&str>, u64)> = Vec::new();
        for bit in 0..59 {
            let users: Vec<&str> = formats
                .iter()
                .filter(|(_, m)| (m >> bit) & 1 == 1)
                .map(|(k, _)| *k)
                .collect();
            match groups.iter_mut().find(|(u, _)| *u == users) {
                Some((_, m)) => *m |= 1 << bit,
                None => groups.push((users, 1 << bit)),
            }
        }
        let unused = groups
            .iter()
            .map(|(users, m)| {
                if users.is_empty() {
                    format!("(|(body & 59'h{m:x}))")
                } else {
                    format!("((|(body & 59'h{m:x})) & !({}))", users.join(" | "))
                }
            })
            .collect::<Vec<_>>()
            .join(" |\n    ");
        Verilog::Custom(format!(
            "\
{fields}
wire known = k_nop | k_wait | k_loop | k_halt | k_vlen | k_mxl | k_mxr | k_rqp | k_rqr | k_vbin | k_vun | k_send | k_recv;
// a bit set that the instruction's format does not use
wire unused_set =
    {unused};
wire zero_n = (k_loop & (iw[23:0] == 24'd0)) | (k_vlen & (iw[15:0] == 16'd0)) |
              (k_mxr & (rrows == 14'd0)) | (k_rqr & (qrows == 14'd0));
wire [15:0] vlen_n = iw[15:0];
wire big_vlen = k_vlen & {big_vlen};
wire badbank = ((k_rqp | k_send | k_recv | k_vun | k_vbin) & {bad_f0b}) |
               ((k_vun | k_vbin) & {bad_f1b}) |
               (k_vbin & {bad_f2b}) |
               (k_rqr & {bad_rqb});
wire [15:0] lend = iw[47:32];
wire loop_past = k_loop & {loop_past};
// a `loop` at pc p must end past its body's first word: e > p + 1 (p < imem_depth;
// an end past imem_depth is `loop_past`, so the compare needs only log2(depth) + 1 bits)
wire loop_short = k_loop & (lend[{lw}:0] <= {{1'b0, addr[{aw}:0]}} + {lw1}'d1);
// x + y for the 14-bit extents
wire [14:0] s_ra = {{1'b0, ra}} + {{1'b0, rrows}};
wire [14:0] s_racc = {{1'b0, racc}} + {{1'b0, rrows}};
wire [14:0] s_qacc = {{1'b0, qacc}} + {{1'b0, qrows}};
wire [14:0] s_rqw = {{1'b0, rqw}} + {{1'b0, qrows}};
wire mxl_over = k_mxl ? {mxl_f0} : {mxl_rw};
wire r_mxl = (k_mxl | (k_mxr & rload)) & mxl_over;
wire r_mxr = k_mxr & ({mxr_a} | {mxr_acc});
wire r_rqp = k_rqp & {rqp_over};
wire r_rqr = k_rqr & ({rqr_acc} | ((rqb == 5'd0) ? {rqr_a} : {rqr_b}));
wire r_vam = k_vam & {vdst1};
wire bad = !known | unused_set | zero_n | big_vlen | badbank | loop_past | loop_short;
always @(*) begin
    p = 8'd0;
    p[{ok}] = !bad;
    p[{rc}] = r_mxl | r_mxr | r_rqp | r_rqr | r_vam;
    p[{vd}] = (k_vun & !k_vam) | k_vbin | k_recv | k_send;
    p[{va}] = k_vun | k_vbin;
    p[{vb}] = k_vbin;
    p[{pl}] = k_loop;
    p[{pw}] = k_wait;
    p[{pw0}] = {wait0};
end
",
            fields = fields_v(true),
            unused = unused,
            big_vlen = gt_const("vlen_n", 16, 16384),
            bad_f0b = gt_const("f0b", 5, c.banks as i64 - 1),
            bad_f1b = gt_const("f1b", 5, c.banks as i64 - 1),
            bad_f2b = gt_const("f2b", 5, c.banks as i64 - 1),
            bad_rqb = gt_const("rqb", 5, c.banks as i64 - 1),
            loop_past = gt_const("lend", 16, c.imem_depth as i64),
            lw = c.imem_depth.trailing_zeros(),
            lw1 = c.imem_depth.trailing_zeros() + 1,
            aw = c.imem_depth.trailing_zeros() - 1,
            mxl_f0 = gt_k("f0w", c.bank_depth as i64 - c.install_cycles() as i64),
            mxl_rw = gt_k("rw", c.bank_depth as i64 - c.install_cycles() as i64),
            mxr_a = over_xy("s_ra", c.act_depth),
            mxr_acc = over_xy("s_racc", c.acc_depth),
            rqp_over = over_k("f0w", "f0b", pw as i64),
            rqr_acc = over_xy("s_qacc", c.acc_depth),
            rqr_a = over_xy("s_rqw", c.act_depth),
            rqr_b = over_xy("s_rqw", c.bank_depth),
            vdst1 = over_k("f0w", "f0b", 1),
            ok = PD_OK,
            rc = PD_RANGE,
            vd = PD_VDST,
            va = PD_VSRC1,
            vb = PD_VSRC2,
            pl = PD_LOOP,
            pw = PD_WAIT,
            pw0 = PD_WAIT0,
            // With the fetch stage the bit also marks a `loop` whose body is its next
            // word alone and runs more than once (end = pc + 2, n > 1): the fetch reads
            // that word again, and the sequencer takes this from a flip-flop instead of
            // comparing the end with its fetch address (`Sequencer`, `fnext`).
            wait0 = if c.fetch_stage {
                format!(
                    "(k_wait & (iw[31:0] == 32'd0)) |\n        \
                     (k_loop & (lend[{lw}:0] == {{1'b0, addr[{aw}:0]}} + {lw1}'d2) \
                     & (|iw[23:1]))",
                    lw = c.imem_depth.trailing_zeros(),
                    aw = c.imem_depth.trailing_zeros() - 1,
                    lw1 = c.imem_depth.trailing_zeros() + 1,
                )
            } else {
                "k_wait & (iw[31:0] == 32'd0)".to_string()
            },
        ))
    }
}

/// `x > k` for the `width`-bit wire `x` and a constant `k`, as AND/OR logic (no carry
/// chain): from the top bit down, a 1 in `x` where `k` has a 0 decides "greater" unless
/// a higher bit already decided; built from the bottom bit up.
fn gt_const(x: &str, width: u32, k: i64) -> String {
    if k < 0 {
        return "1'b1".into();
    }
    if k >= (1i64 << width) - 1 {
        return "1'b0".into();
    }
    let mut e = String::from("1'b0");
    for i in 0..width {
        let xi = format!("{x}[{i}]");
        e = match ((k >> i) & 1 == 1, e == "1'b0") {
            (true, true) => "1'b0".into(),
            (true, false) => format!("({xi} & {e})"),
            (false, true) => xi,
            (false, false) => format!("({xi} | {e})"),
        };
    }
    e
}
