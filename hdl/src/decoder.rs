//! `Decoder`: splits a 64-bit instruction word into its fields and flags every word the
//! tile must refuse (`docs/isa.md`): illegal encodings and operands, and accesses past
//! the end of a memory for this configuration. The checks that do not depend on
//! run-time state are the [`crate::Predecoder`]'s (`predecoder.rs`), made when the host writes the word and
//! stored beside it in instruction memory; at issue only the `vlen` ranges remain.
//!
//! ```text
//!   host word --> Predecoder --> p (stored as byte 8 of the instruction memory word)
//!   word (ib[0..8]), p (ib[8]), vlen --> op, unit strobes, fields (rows, acc, w, n, end, vector addresses)
//!                                    --> illegal, range
//! ```
//! - **Latency**: 0 (combinational).
//! - **Reset**: none (no state).
//!
//! Emitted as Verilog by Rust code with the configuration's sizes as constants; rust-hdl
//! 0.46 cannot slice fields across its 32-bit literals and has no `case` on wide words.
//! Loop nesting and `BUSY` are the sequencer's (they need its state).

use minilpu_model::isa::{op, OPCODE_SHIFT};
use minilpu_model::TileConfig;
use rust_hdl::prelude::*;

/// Predecode bit: the word is a legal instruction (so that an empty word, all zero,
/// is illegal).
pub const PD_OK: usize = 0;
/// Predecode bit: a vlen-independent range check fails.
pub const PD_RANGE: usize = 1;
/// Predecode bit: the destination / only address (`f0`) spans `vlen` words.
pub const PD_VDST: usize = 2;
/// Predecode bit: the first source (`f1`) spans `vlen` words.
pub const PD_VSRC1: usize = 3;
/// Predecode bit: the second source (`f2`) spans `vlen` words.
pub const PD_VSRC2: usize = 4;
/// Predecode bit: the opcode is `loop` (so that the loop counter's carry chain does
/// not wait for an opcode compare at issue).
pub const PD_LOOP: usize = 5;
/// Predecode bit: the opcode is `wait` (the same, for the wait counter).
pub const PD_WAIT: usize = 6;
/// Predecode bit: `wait 0` (the wait counter stays idle).
pub const PD_WAIT0: usize = 7;

/// The instruction decoder for one configuration.
#[derive(LogicBlock)]
pub struct Decoder {
    /// Instruction word as 8 bytes, little-endian (`ib[0]` = bits 7..0), and its
    /// [`crate::Predecoder`] byte (`ib[8]`), stored beside it in instruction memory.
    pub ib: Vec<Signal<In, Bits<8>>>,
    /// Current vector length minus one, `vlen - 1` (0..=16383; for the range checks of
    /// vector instructions). The sequencer keeps it in a register of its own, so that
    /// no subtraction sits in the issue cycle.
    pub vm1: Signal<In, Bits<16>>,
    /// The word is not a legal instruction for this configuration.
    pub illegal: Signal<Out, Bit>,
    /// A legal instruction that would access past the end of a memory.
    pub range: Signal<Out, Bit>,
    /// `send src` (its address on `d_bank` / `d_word`).
    pub is_send: Signal<Out, Bit>,
    /// `recv dst` (its address on `d_bank` / `d_word`).
    pub is_recv: Signal<Out, Bit>,
    /// Sequencer instructions.
    pub is_nop: Signal<Out, Bit>,
    /// `wait`.
    pub is_wait: Signal<Out, Bit>,
    /// `loop`.
    pub is_loop: Signal<Out, Bit>,
    /// `wait 0` (with `is_wait`): no cycles to wait. With `is_loop` (fetch stage only):
    /// a `loop` whose body is its next word alone, run more than once (the predecode
    /// byte's `PD_WAIT0`, [`crate::Predecoder`]).
    pub wait0: Signal<Out, Bit>,
    /// `halt`.
    pub is_halt: Signal<Out, Bit>,
    /// `vlen`.
    pub is_vlen: Signal<Out, Bit>,
    /// Uses MXU-load (`mxu.load`, or `mxu.run ... load`).
    pub use_mxl: Signal<Out, Bit>,
    /// Uses MXU-run (`mxu.run`).
    pub use_mxr: Signal<Out, Bit>,
    /// `rq.param`.
    pub is_rqp: Signal<Out, Bit>,
    /// `rq.run`.
    pub is_rqr: Signal<Out, Bit>,
    /// A vector instruction.
    pub is_vx: Signal<Out, Bit>,
    /// Vector operation (0 add, 1 max, 2 relu, 3 copy, 4 argmax).
    pub vop: Signal<Out, Bits<3>>,
    /// Count field, bits 31..0 of the word: `wait n`; its low 24 bits are `loop n`'s,
    /// its low 16 bits `vlen n`'s (the bits above are zero in a legal word).
    pub n: Signal<Out, Bits<32>>,
    /// `loop` end pc.
    pub loop_end: Signal<Out, Bits<16>>,
    /// Weight word of an install (`mxu.load w`, `mxu.run ... load w`).
    pub w: Signal<Out, Bits<16>>,
    /// `mxu.run` / `rq.run`: rows.
    pub rows: Signal<Out, Bits<16>>,
    /// `mxu.run` / `rq.run`: first accumulator row.
    pub acc: Signal<Out, Bits<16>>,
    /// `mxu.run` swap flag.
    pub swap: Signal<Out, Bit>,
    /// `mxu.run` accumulate flag.
    pub accumulate: Signal<Out, Bit>,
    /// `rq.run` ReLU flag.
    pub relu: Signal<Out, Bit>,
    /// Destination (or only) vector address: bank (`rq.param`, `send` and `recv`: their
    /// one address).
    pub d_bank: Signal<Out, Bits<8>>,
    /// Destination vector address: word.
    pub d_word: Signal<Out, Bits<16>>,
    /// First source: bank.
    pub a_bank: Signal<Out, Bits<8>>,
    /// First source: word.
    pub a_word: Signal<Out, Bits<16>>,
    /// Second source: bank.
    pub b_bank: Signal<Out, Bits<8>>,
    /// Second source: word.
    pub b_word: Signal<Out, Bits<16>>,
    _cfg: TileConfig,
}

impl Decoder {
    /// A decoder for `cfg`.
    pub fn new(cfg: &TileConfig) -> Self {
        Self {
            ib: crate::vec_of(9),
            vm1: Default::default(),
            illegal: Default::default(),
            range: Default::default(),
            is_send: Default::default(),
            is_recv: Default::default(),
            is_nop: Default::default(),
            is_wait: Default::default(),
            is_loop: Default::default(),
            wait0: Default::default(),
            is_halt: Default::default(),
            is_vlen: Default::default(),
            use_mxl: Default::default(),
            use_mxr: Default::default(),
            is_rqp: Default::default(),
            is_rqr: Default::default(),
            is_vx: Default::default(),
            vop: Default::default(),
            n: Default::default(),
            loop_end: Default::default(),
            w: Default::default(),
            rows: Default::default(),
            acc: Default::default(),
            swap: Default::default(),
            accumulate: Default::default(),
            relu: Default::default(),
            d_bank: Default::default(),
            d_word: Default::default(),
            a_bank: Default::default(),
            a_word: Default::default(),
            b_bank: Default::default(),
            b_word: Default::default(),
            _cfg: cfg.clone(),
        }
    }
}

impl Logic for Decoder {
    fn update(&mut self) {
        // No behavioural model: the decoder is checked in Verilator through the tile
        // against minilpu_model::isa and the golden model.
    }
    fn connect(&mut self) {
        for s in [
            &mut self.illegal,
            &mut self.range,
            &mut self.is_send,
            &mut self.is_recv,
            &mut self.is_nop,
            &mut self.is_wait,
            &mut self.is_loop,
            &mut self.wait0,
            &mut self.is_halt,
            &mut self.is_vlen,
            &mut self.use_mxl,
            &mut self.use_mxr,
            &mut self.is_rqp,
            &mut self.is_rqr,
            &mut self.is_vx,
            &mut self.swap,
            &mut self.accumulate,
            &mut self.relu,
        ] {
            s.connect();
        }
        self.vop.connect();
        self.n.connect();
        self.loop_end.connect();
        for s in [
            &mut self.w,
            &mut self.rows,
            &mut self.acc,
            &mut self.d_word,
            &mut self.a_word,
            &mut self.b_word,
        ] {
            s.connect();
        }
        self.d_bank.connect();
        self.a_bank.connect();
        self.b_bank.connect();
    }
    fn hdl(&self) -> Verilog {
        let c = &self._cfg;
        // `x + vlen > depth(b)` is `x + (vlen - 1) >= depth = 2^k` (a power of two, k <=
        // 14; vlen is 1..=16384 while the program runs, `vlen - 1` comes from a register,
        // `vm1`): either `x` or `vm1` has a bit at or above k (both are 14-bit, so
        // `|x[13:k]` is a LUT off the fields and `|vm1[13:k]` one off a register), or
        // else both are below 2^k and their sum is at most 2^(k+1) - 2, so bit k of the
        // sum is its carry out of the low k bits. Only that one sum bit is late: one LUT
        // after the carry chain, not an OR over the sum's upper bits.
        let lg = |d: usize| d.trailing_zeros();
        let hi = |v: &str, k: u32| -> String {
            if k >= 14 {
                "1'b0".into()
            } else {
                format!("(|{v}[13:{k}])")
            }
        };
        let over_v = |x: &str, b: &str| -> String {
            let (la, lb) = (lg(c.act_depth), lg(c.bank_depth));
            format!(
                "(({b} == 5'd0) ? ({xa} | {va} | s_{x}[{la}]) : ({xb} | {vb} | s_{x}[{lb}]))",
                xa = hi(x, la),
                va = hi("vm1", la),
                xb = hi(x, lb),
                vb = hi("vm1", lb),
            )
        };
        Verilog::Custom(format!(
            "\
{fields}
wire [7:0] pd = ib$8;
wire [14:0] s_f0w = {{1'b0, f0w}} + vm1[14:0];
wire [14:0] s_f1w = {{1'b0, f1w}} + vm1[14:0];
wire [14:0] s_f2w = {{1'b0, f2w}} + vm1[14:0];
wire r_vlen = (pd[{vd}] & {over0}) | (pd[{va}] & {over1}) | (pd[{vb}] & {over2});
always @(*) begin
    illegal = !pd[{ok}];
    range = pd[{ok}] & (pd[{rc}] | r_vlen);
    is_send = k_send; is_recv = k_recv;
    is_nop = k_nop; is_wait = pd[{pw}]; wait0 = pd[{pw0}]; is_loop = pd[{pl}]; is_halt = k_halt; is_vlen = k_vlen;
    use_mxl = k_mxl | (k_mxr & rload);
    use_mxr = k_mxr;
    is_rqp = k_rqp; is_rqr = k_rqr;
    is_vx = k_vbin | k_vun;
    vop = opc[2:0];
    n = iw[31:0];
    loop_end = iw[47:32];
    w = {{2'b0, (k_mxl ? f0w : rw)}};
    rows = {{2'b0, k_rqr ? qrows : rrows}};
    acc = {{2'b0, k_rqr ? qacc : racc}};
    swap = iw[42]; accumulate = iw[43]; relu = iw[52];
    d_bank = {{3'b0, k_rqr ? rqb : f0b}};
    d_word = {{2'b0, k_rqr ? rqw : f0w}};
    a_bank = {{3'b0, f1b}}; a_word = {{2'b0, f1w}};
    b_bank = {{3'b0, f2b}}; b_word = {{2'b0, f2w}};
end
",
            fields = fields_v(false),
            over0 = over_v("f0w", "f0b"),
            over1 = over_v("f1w", "f1b"),
            over2 = over_v("f2w", "f2b"),
            ok = PD_OK,
            rc = PD_RANGE,
            vd = PD_VDST,
            va = PD_VSRC1,
            vb = PD_VSRC2,
            pw = PD_WAIT,
            pw0 = PD_WAIT0,
            pl = PD_LOOP,
        ))
    }
}

/// Verilog shared by the [`Predecoder`] and the [`Decoder`]: the word `iw` from `ib$0..7`,
/// its fields and the opcode classes `k_*` (each side declares only what it reads, for
/// the lint).
pub(crate) fn fields_v(predecoder: bool) -> String {
    let only = if predecoder {
        format!(
            "wire [58:0] body = iw[58:0];\nwire k_vam = opc == 5'd{};\nwire [13:0] ra = iw[13:0];\n\
             wire k_wait = opc == 5'd{};\nwire k_loop = opc == 5'd{};\n",
            op::V_ARGMAX,
            op::WAIT,
            op::LOOP
        )
    } else {
        "wire [13:0] f1w = iw[32:19];\nwire [13:0] f2w = iw[51:38];\n".to_string()
    };
    format!(
        "\
wire [63:0] iw = {{ib$7, ib$6, ib$5, ib$4, ib$3, ib$2, ib$1, ib$0}};
wire [4:0] opc = iw[63:{sh}];
{only}// vector address fields
wire [4:0] f0b = iw[18:14];  wire [13:0] f0w = iw[13:0];
wire [4:0] f1b = iw[37:33];
wire [4:0] f2b = iw[56:52];
wire [4:0] rqb = iw[50:46];  wire [13:0] rqw = iw[45:32];
// mxu.run fields (`ra` is `f0w`)
wire [13:0] rrows = iw[27:14]; wire [13:0] racc = iw[41:28];
wire rload = iw[44];         wire [13:0] rw = iw[58:45];
// rq.run fields
wire [13:0] qacc = iw[13:0]; wire [13:0] qrows = iw[29:16];
wire k_nop = opc == 5'd{nop};
wire k_halt = opc == 5'd{halt};
wire k_vlen = opc == 5'd{vlen};
wire k_mxl = opc == 5'd{mxl};
wire k_mxr = opc == 5'd{mxr};
wire k_rqp = opc == 5'd{rqp};
wire k_rqr = opc == 5'd{rqr};
wire k_vbin = (opc == 5'd{vadd}) | (opc == 5'd{vmax});
wire k_vun = (opc == 5'd{vrelu}) | (opc == 5'd{vcopy}) | (opc == 5'd{vam});
wire k_send = opc == 5'd{send};
wire k_recv = opc == 5'd{recv};
",
        sh = OPCODE_SHIFT,
        only = only,
        nop = op::NOP,
        halt = op::HALT,
        vlen = op::VLEN,
        mxl = op::MXU_LOAD,
        mxr = op::MXU_RUN,
        rqp = op::RQ_PARAM,
        rqr = op::RQ_RUN,
        vadd = op::V_ADD,
        vmax = op::V_MAX,
        vrelu = op::V_RELU,
        vcopy = op::V_COPY,
        vam = op::V_ARGMAX,
        send = op::SEND,
        recv = op::RECV,
    )
}
