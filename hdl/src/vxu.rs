//! `Vxu`: the vector unit: `v.add`, `v.max`, `v.relu`, `v.copy` and `v.argmax` over
//! `vlen` words, one word per cycle, through a [`VecAlu`].
//!
//! ```text
//!   issue, op, dst, a, b, vlen --> read side: re_a/a_bank/a_addr, re_b/b_bank/b_addr
//!   ra[lanes], rb[lanes] --> [ra_r, rb_r] --> VecAlu --> [y_r] --> write side:
//!                                                  we/w_bank/w_addr/w_data
//!                                           --> argmax: best value and index
//! ```
//! Issued at cycle `t`: reads word `i` of the sources in `t+1+i` (`i < V`), registers
//! the words that arrive in `t+2+i` (the operand stage), computes word `i` in `t+3+i`
//! into the result register and writes `dst + i` in `t+4+i`; argmax writes its one
//! result word in `t+V+5` (these are the cycles the unit drives its write port; the
//! tile's registered bank write ports land them a cycle later, `docs/isa.md`). The
//! operand stage keeps the banks' read multiplexer and the ALU out of one cycle; a tile
//! built with `vector_operand_stage = false` has none, and every cycle after the read
//! is one earlier (`TileConfig::vector_write_delay`). With the stage each lane also
//! takes the ALU's select bits from a register of its own ([`LaneOps`], loaded from
//! `op_d` a cycle early), not from one shared decode of the operation. The write side
//! carries its own copy of the operation and destination, so a new instruction may
//! issue while the last words of the previous one are still in flight.
//!
//! Argmax is a three-stage pipeline after the operand stage, so that no cycle holds a
//! whole word's reduction: in `t+3+i` the word read in `t+1+i` goes through the first
//! half of the ALU's compare tree (largest lane, lowest index on ties) into registers;
//! in `t+4+i` the second half finishes the word's maximum and index into registers; in
//! `t+5+i` they are compared with the running best; the index is written in `t+V+5`.
//! With 16 lanes (and `argmax_flat_halves`) the tree is split otherwise, in the same
//! cycles: the first stage is one level of pairs, the second two flat halves side by
//! side (`VecAlu::final_nodes`; their twelve compares made in the first stage from the
//! operands and registered, `VecAlu::cross_width`), and the third keeps the first maximum of the running
//! best and the two halves' maxima (three compares side by side).
//! - **Latency**: 3 cycles from a word's read to its write port (`t+1+i` -> `t+4+i`),
//!   2 without the operand stage; `b` more with `b` bank read stages
//!   (`TileConfig::bank_read_stages`: the tile registers the read address, so every
//!   word arrives, and everything after it happens, `b` cycles later; the read side and
//!   `ready` do not move).
//! - **Throughput**: one word per cycle; back-to-back instructions without a gap.
//! - **Occupancy**: `ready` from `t+V` (`t+V+2` for argmax).
//! - **Activity**: until `t+V+3+b` (`t+V+5+b` for argmax); a cycle less without the
//!   stage.
//! - **Reset**: none; idle at power-up.

use crate::vec_alu::{vop, VecAlu};
use crate::{Delay, ReadTail};
use crate::{KeptByte, LaneOps};
use minilpu_model::isa::MAX_DEPTH;
use minilpu_model::TileConfig;
use rust_hdl::prelude::*;

/// The vector unit.
#[derive(LogicBlock)]
pub struct Vxu {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// An instruction was issued in the previous cycle `t` (when `ready`; the sequencer's
    /// registered strobe): this cycle, `t+1`, runs as if it had been latched at the end of `t`.
    pub issue: Signal<In, Bit>,
    /// The issue strobe before a refusal withdraws it: for the read address and bank
    /// multiplexers only, while idle (the contract is at [`crate::Sequencer::pre_mxl`]).
    pub pre: Signal<In, Bit>,
    /// Operation ([`vop`]); valid with `issue`.
    pub op: Signal<In, Bits<3>>,
    /// Words (`vlen`, >= 1); valid with `issue`.
    pub len: Signal<In, Bits<16>>,
    /// Destination bank and first word; valid with `issue`.
    pub dst_bank: Signal<In, Bits<8>>,
    /// First destination word.
    pub dst_word: Signal<In, Bits<16>>,
    /// First source bank.
    pub a_bank: Signal<In, Bits<8>>,
    /// First source word.
    pub a_word: Signal<In, Bits<16>>,
    /// Second source bank (add, max).
    pub b_bank: Signal<In, Bits<8>>,
    /// Second source word.
    pub b_word: Signal<In, Bits<16>>,
    /// Can accept an issue this cycle.
    pub ready: Signal<Out, Bit>,
    /// Has effects pending in this or a later cycle.
    pub active: Signal<Out, Bit>,
    /// Read the first source this cycle.
    pub re_a: Signal<Out, Bit>,
    /// Bank of that read.
    pub ra_bank: Signal<Out, Bits<8>>,
    /// Word of that read.
    pub ra_addr: Signal<Out, Bits<16>>,
    /// Read the second source this cycle.
    pub re_b: Signal<Out, Bit>,
    /// Bank of that read.
    pub rb_bank: Signal<Out, Bits<8>>,
    /// Word of that read.
    pub rb_addr: Signal<Out, Bits<16>>,
    /// First source word read at the previous cycle.
    pub ra: Vec<Signal<In, Bits<8>>>,
    /// Second source word read at the previous cycle.
    pub rb: Vec<Signal<In, Bits<8>>>,
    /// Write `w_data` this cycle.
    pub we: Signal<Out, Bit>,
    /// Bank of the write.
    pub w_bank: Signal<Out, Bits<8>>,
    /// Word of the write.
    pub w_addr: Signal<Out, Bits<16>>,
    /// Data of the write.
    pub w_data: Vec<Signal<Out, Bits<8>>>,
    alu: VecAlu,
    // With the operand stage: the ALU's select bits, registered per lane from `op_d`
    // (which `op_a` copies), so no shared decode of `op_a` fans out to every lane.
    lops: Vec<LaneOps>,
    left: DFF<Bits<16>>,
    aaddr: DFF<Bits<16>>,
    baddr: DFF<Bits<16>>,
    abank: DFF<Bits<8>>,
    bbank: DFF<Bits<8>>,
    // write side: one cycle behind the reads; operation, bank and address latched at
    // issue, the address counted up per word written
    v_d: DFF<Bit>,
    last_d: DFF<Bit>,
    op_d: DFF<Bits<3>>,
    addr_d: DFF<Bits<16>>,
    bank_d: DFF<Bits<8>>,
    first_d: DFF<Bit>,
    // operand stage: the words read, and the write side's state, one cycle later
    ra_r: Vec<DFF<Bits<8>>>,
    rb_r: Vec<DFF<Bits<8>>>,
    v_a: DFF<Bit>,
    last_a: DFF<Bit>,
    first_a: DFF<Bit>,
    op_a: DFF<Bits<3>>,
    addr_x: DFF<Bits<16>>,
    bank_x: DFF<Bits<8>>,
    // argmax: stage 1 (the word's maximum and its index), stage 2 (running best)
    p_v: DFF<Bit>,
    p_first: DFF<Bit>,
    p_last: DFF<Bit>,
    p_m: Vec<DFF<Bits<8>>>,
    p_i: Vec<DFF<Bits<8>>>,
    // The split form's cross compares (`VecAlu::cross_width`), beside `p_m`.
    p_c: Vec<DFF<Bit>>,
    // The split form's copy of the operand registers `ra_r`, for the cross compares
    // only (kept flip-flops: `ra_r` then drives the lanes and the pairs).
    ra_x: Vec<KeptByte>,
    p_base: DFF<Bits<32>>,
    wm_r: DFF<Bits<8>>,
    wx_r: DFF<Bits<32>>,
    // The split form's second node (`VecAlu::final_nodes`): its maximum and flat index.
    wm_r1: Vec<DFF<Bits<8>>>,
    wx_r1: Vec<DFF<Bits<32>>>,
    q_v: DFF<Bit>,
    q_first: DFF<Bit>,
    q_last: DFF<Bit>,
    best: DFF<Bits<8>>,
    bidx: DFF<Bits<32>>,
    am_we: DFF<Bit>,
    lnz: DFF<Bit>,
    y_r: Vec<DFF<Bits<8>>>,
    wv: DFF<Bit>,
    addr_w: DFF<Bits<16>>,
    bank_w: DFF<Bits<8>>,
    // With `b` bank read stages (each vector has one entry when `b` > 0) the words
    // arrive `b` cycles later: the write side's inputs (`wi_*`) wait `b` cycles in
    // `w_*_p`, so that the whole write side runs `b` cycles later, and `w_bt` keeps the
    // unit active in those cycles after its last read. The read side keeps
    // its own copy of the operation (`r_op`) and of "an argmax's last word was read"
    // (`am_last`).
    w_iss_p: Vec<Delay<1>>,
    w_op_p: Vec<Delay<3>>,
    w_dw_p: Vec<Delay<16>>,
    w_db_p: Vec<Delay<8>>,
    w_v_p: Vec<Delay<1>>,
    w_last_p: Vec<Delay<1>>,
    w_bt: Vec<ReadTail>,
    r_op: Vec<DFF<Bits<3>>>,
    am_last: Vec<DFF<Bit>>,
    wi_issue: Signal<Local, Bit>,
    wi_op: Signal<Local, Bits<3>>,
    wi_dw: Signal<Local, Bits<16>>,
    wi_db: Signal<Local, Bits<8>>,
    wi_v: Signal<Local, Bit>,
    wi_last: Signal<Local, Bit>,
    is_am: Signal<Local, Bit>,
    e_left: Signal<Local, Bits<16>>,
    e_r_op: Signal<Local, Bits<3>>,
    e_aaddr: Signal<Local, Bits<16>>,
    e_baddr: Signal<Local, Bits<16>>,
    e_abank: Signal<Local, Bits<8>>,
    e_bbank: Signal<Local, Bits<8>>,
    am_tail: Signal<Local, Bit>,
    // the ALU stage's word valid, first, last, operation, destination word and bank:
    // the operand stage's copies, or without it the write side's own
    s_v: Signal<Local, Bit>,
    s_first: Signal<Local, Bit>,
    s_last: Signal<Local, Bit>,
    s_op: Signal<Local, Bits<3>>,
    s_addr: Signal<Local, Bits<16>>,
    s_bank: Signal<Local, Bits<8>>,
    k_stage: Constant<Bit>,
    len_mask: Constant<Bits<16>>,
    addr_mask: Constant<Bits<16>>,
    bank_mask: Constant<Bits<8>>,
    k_lanes: Constant<Bits<32>>,
    idx_mask: Constant<Bits<32>>,
    k_add: Constant<Bits<3>>,
    k_max: Constant<Bits<3>>,
    k_argmax: Constant<Bits<3>>,
    _lanes: usize,
    _n1: usize,
    _nc: usize,
    _n2: usize,
    _b: usize,
}

impl Vxu {
    /// A vector unit for the tile `cfg` (`lanes`-wide words, `banks` banks).
    pub fn new(cfg: &TileConfig) -> Self {
        let lanes = cfg.lanes;
        let flat = cfg.argmax_flat_halves;
        let b = cfg.bank_read_stages;
        let ba = b.min(1);
        Self {
            clock: Default::default(),
            issue: Default::default(),
            pre: Default::default(),
            op: Default::default(),
            len: Default::default(),
            dst_bank: Default::default(),
            dst_word: Default::default(),
            a_bank: Default::default(),
            a_word: Default::default(),
            b_bank: Default::default(),
            b_word: Default::default(),
            ready: Default::default(),
            active: Default::default(),
            re_a: Default::default(),
            ra_bank: Default::default(),
            ra_addr: Default::default(),
            re_b: Default::default(),
            rb_bank: Default::default(),
            rb_addr: Default::default(),
            ra: crate::vec_of(lanes),
            rb: crate::vec_of(lanes),
            we: Default::default(),
            w_bank: Default::default(),
            w_addr: Default::default(),
            w_data: crate::vec_of(lanes),
            alu: VecAlu::new(lanes)
                .flat_halves(flat)
                .lane_ops(cfg.vector_operand_stage),
            lops: crate::vec_of(lanes * cfg.vector_operand_stage as usize),
            left: Default::default(),
            aaddr: Default::default(),
            baddr: Default::default(),
            abank: Default::default(),
            bbank: Default::default(),
            v_d: Default::default(),
            last_d: Default::default(),
            op_d: Default::default(),
            addr_d: Default::default(),
            bank_d: Default::default(),
            first_d: Default::default(),
            ra_r: crate::vec_of(lanes),
            rb_r: crate::vec_of(lanes),
            v_a: Default::default(),
            last_a: Default::default(),
            first_a: Default::default(),
            op_a: Default::default(),
            addr_x: Default::default(),
            bank_x: Default::default(),
            p_v: Default::default(),
            p_first: Default::default(),
            p_last: Default::default(),
            p_m: crate::vec_of(VecAlu::partial_width(lanes, flat)),
            p_i: crate::vec_of(VecAlu::partial_width(lanes, flat)),
            p_c: crate::vec_of(VecAlu::cross_width(lanes, flat)),
            ra_x: crate::vec_of(VecAlu::cross_operands(lanes, flat)),
            p_base: Default::default(),
            wm_r: Default::default(),
            wx_r: Default::default(),
            wm_r1: crate::vec_of(VecAlu::final_nodes(lanes, flat) - 1),
            wx_r1: crate::vec_of(VecAlu::final_nodes(lanes, flat) - 1),
            q_v: Default::default(),
            q_first: Default::default(),
            q_last: Default::default(),
            best: Default::default(),
            bidx: Default::default(),
            am_we: Default::default(),
            lnz: Default::default(),
            y_r: crate::vec_of(lanes),
            wv: Default::default(),
            addr_w: Default::default(),
            bank_w: Default::default(),
            w_iss_p: crate::delays(b),
            w_op_p: crate::delays(b),
            w_dw_p: crate::delays(b),
            w_db_p: crate::delays(b),
            w_v_p: crate::delays(b),
            w_last_p: crate::delays(b),
            w_bt: crate::read_tail::read_tails(b),
            r_op: crate::vec_of(ba),
            am_last: crate::vec_of(ba),
            wi_issue: Default::default(),
            wi_op: Default::default(),
            wi_dw: Default::default(),
            wi_db: Default::default(),
            wi_v: Default::default(),
            wi_last: Default::default(),
            is_am: Default::default(),
            e_left: Default::default(),
            e_r_op: Default::default(),
            e_aaddr: Default::default(),
            e_baddr: Default::default(),
            e_abank: Default::default(),
            e_bbank: Default::default(),
            am_tail: Default::default(),
            s_v: Default::default(),
            s_first: Default::default(),
            s_last: Default::default(),
            s_op: Default::default(),
            s_addr: Default::default(),
            s_bank: Default::default(),
            k_stage: Constant::new(cfg.vector_operand_stage),
            // The issue checks (docs/isa.md, RANGE) guarantee vlen <= MAX_DEPTH, every
            // word address < the bank's depth, every bank < banks: the masks let
            // synthesis drop the constant upper bits.
            len_mask: crate::range_mask(MAX_DEPTH + 1),
            addr_mask: crate::range_mask(cfg.act_depth.max(cfg.bank_depth)),
            bank_mask: crate::range_mask(cfg.banks),
            k_lanes: Constant::new((lanes as u64).to_bits()),
            // Flat argmax indices are below vlen * lanes <= 16384 * lanes (docs/isa.md).
            idx_mask: Constant::new(((16384 * lanes).next_power_of_two() as u64 - 1).to_bits()),
            k_add: Constant::new(vop::ADD.to_bits()),
            k_max: Constant::new(vop::MAX.to_bits()),
            k_argmax: Constant::new(vop::ARGMAX.to_bits()),
            _lanes: lanes,
            _n1: VecAlu::partial_width(lanes, flat),
            _nc: VecAlu::cross_width(lanes, flat),
            _n2: VecAlu::final_nodes(lanes, flat) - 1,
            _b: ba,
        }
    }
}

impl Logic for Vxu {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, left, aaddr, baddr, abank, bbank, v_d, last_d, op_d, addr_d, bank_d,
            first_d, v_a, last_a, first_a, op_a, addr_x, bank_x, p_v, p_first, p_last, p_base,
            wm_r, wx_r, q_v, q_first, q_last, best, bidx, am_we, lnz, wv, addr_w, bank_w
        );
        // The issue arrives registered: this cycle's state is the issue's. The read side
        // takes its operation from the write side's copy, latched at the issue.
        self.e_left.next = self.left.q.val();
        self.e_r_op.next = self.op_d.q.val();
        for k in 0..self._b {
            self.e_r_op.next = self.r_op[k].q.val();
        }
        self.e_aaddr.next = self.aaddr.q.val();
        self.e_baddr.next = self.baddr.q.val();
        self.e_abank.next = self.abank.q.val();
        self.e_bbank.next = self.bbank.q.val();
        if self.issue.val() {
            self.e_left.next = self.len.val() & self.len_mask.val();
            self.e_r_op.next = self.op.val();
        }
        // The read addresses and banks switch on `pre` (a legal issue finds `left` = 0;
        // `lnz` is `left != 0`), so that `fault_r` is not on the bank address paths.
        if self.pre.val() & !self.lnz.q.val() {
            self.e_aaddr.next = self.a_word.val() & self.addr_mask.val();
            self.e_baddr.next = self.b_word.val() & self.addr_mask.val();
            self.e_abank.next = self.a_bank.val() & self.bank_mask.val();
            self.e_bbank.next = self.b_bank.val() & self.bank_mask.val();
        }
        // Every value a masked register takes is masked, its hold value too: only then
        // does synthesis see constant upper flip-flops.
        self.left.d.next = self.e_left.val() & self.len_mask.val();
        self.aaddr.d.next = self.e_aaddr.val() & self.addr_mask.val();
        self.baddr.d.next = self.e_baddr.val() & self.addr_mask.val();
        self.abank.d.next = self.e_abank.val() & self.bank_mask.val();
        self.bbank.d.next = self.e_bbank.val() & self.bank_mask.val();
        // Read side. An issue reads (`vlen` >= 1); after it, `lnz` (`left != 0`, made a
        // cycle early) decides: the read enables, and so the banks' addresses, are a LUT
        // off flip-flops, with no compare of `left` in front.
        self.re_a.next = self.issue.val() | self.lnz.q.val();
        self.re_b.next = (self.issue.val() | self.lnz.q.val())
            & ((self.e_r_op.val() == self.k_add.val()) | (self.e_r_op.val() == self.k_max.val()));
        self.lnz.d.next = (self.e_left.val() & self.len_mask.val()) > 1;
        self.ra_bank.next = self.e_abank.val();
        self.ra_addr.next = self.e_aaddr.val();
        self.rb_bank.next = self.e_bbank.val();
        self.rb_addr.next = self.e_baddr.val();
        self.is_am.next = self.e_r_op.val() == self.k_argmax.val();
        // An argmax's last word arrives in `t+V+1`: the unit frees up a cycle later, so
        // that its result write (`t+V+5`, or `t+V+4`) still finds its destination. With
        // a bank read stage the same cycle comes from the read side's own flip-flop.
        self.am_tail.next =
            self.v_d.q.val() & self.last_d.q.val() & (self.op_d.q.val() == self.k_argmax.val());
        for k in 0..self._b {
            self.r_op[k].clock.next = self.clock.val();
            self.am_last[k].clock.next = self.clock.val();
            self.r_op[k].d.next = self.e_r_op.val();
            self.am_last[k].d.next = (self.e_left.val() == 1) & self.is_am.val();
            self.am_tail.next = self.am_last[k].q.val();
        }
        self.ready.next = ((self.e_left.val() == 0) & !self.am_tail.val())
            | ((self.e_left.val() == 1) & !self.is_am.val());
        // The write side's inputs: the issue and its destination, and whether a word
        // is read (and is the last) this cycle; `b` cycles later with bank read stages.
        self.wi_issue.next = self.issue.val();
        self.wi_op.next = self.op.val();
        self.wi_dw.next = self.dst_word.val() & self.addr_mask.val();
        self.wi_db.next = self.dst_bank.val() & self.bank_mask.val();
        self.wi_v.next = self.e_left.val() != 0;
        self.wi_last.next = self.e_left.val() == 1;
        for k in 0..self._b {
            self.w_iss_p[k].clock.next = self.clock.val();
            self.w_op_p[k].clock.next = self.clock.val();
            self.w_dw_p[k].clock.next = self.clock.val();
            self.w_db_p[k].clock.next = self.clock.val();
            self.w_v_p[k].clock.next = self.clock.val();
            self.w_last_p[k].clock.next = self.clock.val();
            self.w_bt[k].clock.next = self.clock.val();
            self.w_iss_p[k].d.next = self.issue.val().into();
            self.w_op_p[k].d.next = self.op.val();
            self.w_dw_p[k].d.next = self.dst_word.val() & self.addr_mask.val();
            self.w_db_p[k].d.next = self.dst_bank.val() & self.bank_mask.val();
            self.w_v_p[k].d.next = (self.e_left.val() != 0).into();
            self.w_last_p[k].d.next = (self.e_left.val() == 1).into();
            self.wi_issue.next = self.w_iss_p[k].q.val().any();
            self.wi_op.next = self.w_op_p[k].q.val();
            self.wi_dw.next = self.w_dw_p[k].q.val();
            self.wi_db.next = self.w_db_p[k].q.val();
            self.wi_v.next = self.w_v_p[k].q.val().any();
            self.wi_last.next = self.w_last_p[k].q.val().any();
            self.w_bt[k].read.next = self.e_left.val() != 0;
        }
        self.v_d.d.next = self.wi_v.val();
        self.last_d.d.next = self.wi_last.val();
        // The first word of an instruction is read in the cycle `issue` is high.
        self.first_d.d.next = self.wi_issue.val();
        if self.e_left.val() != 0 {
            self.left.d.next = (self.e_left.val() - 1) & self.len_mask.val();
            self.aaddr.d.next = (self.e_aaddr.val() + 1) & self.addr_mask.val();
            self.baddr.d.next = (self.e_baddr.val() + 1) & self.addr_mask.val();
        }
        // Write side: operation, bank and first address latched in the issue cycle
        // `t+1`, first used in `t+2`. A new instruction issues only when `ready`, so its
        // strobe comes at the earliest in `t+V+1`, the cycle the previous one's last word
        // arrives (`t+V+3` after an argmax): the latched values change only at the end
        // of that cycle, and the operand stage carries copies a cycle further (`op_a`,
        // `addr_x`, `bank_x`). The address counts up by one per word arriving (not for
        // argmax, whose one result goes to `dst`).
        self.addr_d.d.next = self.addr_d.q.val() & self.addr_mask.val();
        self.bank_d.d.next = self.bank_d.q.val() & self.bank_mask.val();
        if self.v_d.q.val() & (self.op_d.q.val() != self.k_argmax.val()) {
            self.addr_d.d.next = (self.addr_d.q.val() + 1) & self.addr_mask.val();
        }
        if self.wi_issue.val() {
            self.op_d.d.next = self.wi_op.val();
            self.addr_d.d.next = self.wi_dw.val() & self.addr_mask.val();
            self.bank_d.d.next = self.wi_db.val() & self.bank_mask.val();
        }
        // Operand stage (with `vector_operand_stage`): the words read last cycle
        // (`t+2+i`) go into registers, and the write side's state follows them a cycle
        // later, so that the bank read and its multiplexer over the banks are not one
        // cycle with the ALU (`docs/isa.md`). `op_d` changes at the earliest at the end
        // of the next issue's strobe (`t+V+1`), so `op_a` holds this instruction's
        // operation until its last word's ALU cycle. Without the stage the ALU takes the
        // words as they arrive, with the write side's own state (synthesis then drops
        // the stage's registers).
        self.v_a.d.next = self.v_d.q.val();
        self.last_a.d.next = self.last_d.q.val();
        self.first_a.d.next = self.first_d.q.val();
        self.op_a.d.next = self.op_d.q.val();
        self.addr_x.d.next = self.addr_d.q.val() & self.addr_mask.val();
        self.bank_x.d.next = self.bank_d.q.val() & self.bank_mask.val();
        self.s_v.next = self.v_d.q.val();
        self.s_first.next = self.first_d.q.val();
        self.s_last.next = self.last_d.q.val();
        self.s_op.next = self.op_d.q.val();
        self.s_addr.next = self.addr_d.q.val();
        self.s_bank.next = self.bank_d.q.val();
        if self.k_stage.val() {
            self.s_v.next = self.v_a.q.val();
            self.s_first.next = self.first_a.q.val();
            self.s_last.next = self.last_a.q.val();
            self.s_op.next = self.op_a.q.val();
            self.s_addr.next = self.addr_x.q.val();
            self.s_bank.next = self.bank_x.q.val();
        }
        // The ALU stage (`t+3+i`; `t+2+i` without the operand stage). The result is
        // registered (`y_r`, with its write's valid, word and bank): the unit drives the
        // write port a cycle later, so that the ALU and the tile's write-port
        // multiplexer are not one cycle.
        self.alu.op.next = self.s_op.val();
        for l in 0..self.lops.len() {
            self.lops[l].clock.next = self.clock.val();
            self.lops[l].op.next = self.op_d.q.val();
            self.alu.ctl[l].next = self.lops[l].c.val();
        }
        for l in 0..self._lanes {
            self.ra_r[l].clock.next = self.clock.val();
            self.rb_r[l].clock.next = self.clock.val();
            self.ra_r[l].d.next = self.ra[l].val();
            self.rb_r[l].d.next = self.rb[l].val();
            self.alu.a[l].next = self.ra[l].val();
            self.alu.b[l].next = self.rb[l].val();
            if self.k_stage.val() {
                self.alu.a[l].next = self.ra_r[l].q.val();
                self.alu.b[l].next = self.rb_r[l].q.val();
            }
            self.y_r[l].clock.next = self.clock.val();
            self.y_r[l].d.next = self.alu.y[l].val();
            self.w_data[l].next = self.y_r[l].q.val();
        }
        // The cross compares' copy of `ra_r` (the split form; with the operand stage a
        // register like `ra_r`, without it the same wires as `a`).
        for l in 0..self.ra_x.len() {
            self.ra_x[l].clock.next = self.clock.val();
            self.ra_x[l].d.next = self.ra[l].val();
            self.alu.ax[l].next = self.ra[l].val();
            if self.k_stage.val() {
                self.alu.ax[l].next = self.ra_x[l].q.val();
            }
        }
        self.wv.d.next = self.s_v.val() & (self.s_op.val() != self.k_argmax.val());
        self.addr_w.d.next = self.s_addr.val() & self.addr_mask.val();
        self.bank_w.d.next = self.s_bank.val() & self.bank_mask.val();
        self.we.next = self.wv.q.val();
        self.w_bank.next = self.bank_w.q.val();
        self.w_addr.next = self.addr_w.q.val();
        // Argmax stage 1: the first half of the word's compare tree, and the word's
        // first flat index, counted up by `lanes` per word from 0 at an instruction's first
        // word (lanes is a power of two: the lane index is OR-ed in, no adder).
        self.p_v.d.next = self.s_v.val() & (self.s_op.val() == self.k_argmax.val());
        self.p_first.d.next = self.s_first.val();
        self.p_last.d.next = self.s_last.val();
        self.p_base.d.next = self.p_base.q.val() & self.idx_mask.val();
        if self.s_v.val() {
            self.p_base.d.next = (self.p_base.q.val() + self.k_lanes.val()) & self.idx_mask.val();
            if self.s_first.val() {
                self.p_base.d.next = 0.into();
            }
        }
        for j in 0..self._n1 {
            self.p_m[j].clock.next = self.clock.val();
            self.p_i[j].clock.next = self.clock.val();
            self.p_m[j].d.next = self.alu.pm[j].val();
            self.p_i[j].d.next = self.alu.pi[j].val();
            self.alu.qm[j].next = self.p_m[j].q.val();
            self.alu.qi[j].next = self.p_i[j].q.val();
        }
        for k in 0..self._nc {
            self.p_c[k].clock.next = self.clock.val();
            self.p_c[k].d.next = self.alu.pc[k].val();
            self.alu.qc[k].next = self.p_c[k].q.val();
        }
        // Stage 2: the rest of the tree, into registers (the word's maximum and its flat
        // index). Stage 3: keep the first maximum; write the index one cycle after the
        // last word, in `t+V+5` (`t+V+4` without the operand stage), to the destination
        // still held by the write side (see above: no new issue changes `addr_d` before
        // the end of `t+V+3`, and `addr_w`/`bank_w` hold its value of two cycles before,
        // or of one).
        self.wm_r.d.next = self.alu.wmax.val();
        self.wx_r.d.next =
            (self.p_base.q.val() | bit_cast::<32, 8>(self.alu.widx.val())) & self.idx_mask.val();
        self.q_v.d.next = self.p_v.q.val();
        self.q_first.d.next = self.p_first.q.val();
        self.q_last.d.next = self.p_last.q.val();
        if self.q_v.q.val()
            & (self.q_first.q.val() | ((self.wm_r.q.val() ^ 0x80) > (self.best.q.val() ^ 0x80)))
        {
            self.best.d.next = self.wm_r.q.val();
            self.bidx.d.next = self.wx_r.q.val();
        }
        // The split form: stage 2 ends in two nodes (the word's lower and upper lanes),
        // and stage 3 keeps the first maximum of the running best and both: a node wins
        // when it is strictly greater than the best (or the word is the first) and than
        // the nodes before it, and at least the nodes after it.
        for k in 0..self._n2 {
            self.wm_r1[k].clock.next = self.clock.val();
            self.wx_r1[k].clock.next = self.clock.val();
            self.wm_r1[k].d.next = self.alu.wmax1[k].val();
            self.wx_r1[k].d.next =
                (self.p_base.q.val() | self.alu.widx1[k].val()) & self.idx_mask.val();
            self.best.d.next = self.best.q.val();
            self.bidx.d.next = self.bidx.q.val();
            if self.q_v.q.val()
                & (self.q_first.q.val() | ((self.wm_r.q.val() ^ 0x80) > (self.best.q.val() ^ 0x80)))
                & ((self.wm_r1[k].q.val() ^ 0x80) <= (self.wm_r.q.val() ^ 0x80))
            {
                self.best.d.next = self.wm_r.q.val();
                self.bidx.d.next = self.wx_r.q.val();
            }
            if self.q_v.q.val()
                & (self.q_first.q.val()
                    | ((self.wm_r1[k].q.val() ^ 0x80) > (self.best.q.val() ^ 0x80)))
                & ((self.wm_r1[k].q.val() ^ 0x80) > (self.wm_r.q.val() ^ 0x80))
            {
                self.best.d.next = self.wm_r1[k].q.val();
                self.bidx.d.next = self.wx_r1[k].q.val();
            }
        }
        self.am_we.d.next = self.q_v.q.val() & self.q_last.q.val();
        // The result write: `op_d` is still argmax (see above), so the ALU's `y` is 0 and
        // the index is OR-ed in (no mux on the lanes the index does not reach).
        if self.am_we.q.val() {
            self.we.next = true;
            for l in 0..4 {
                self.w_data[l].next = self.y_r[l].q.val() | self.bidx.q.val().get_bits::<8>(8 * l);
            }
        }
        // From the strobe and flip-flops (an issued instruction has `vlen` >= 1; `lnz`
        // is `left != 0`), not through `e_left`'s multiplexer.
        self.active.next = self.issue.val()
            | self.lnz.q.val()
            | self.v_d.q.val()
            | (self.v_a.q.val() & self.k_stage.val())
            | self.wv.q.val()
            | self.p_v.q.val()
            | self.q_v.q.val()
            | self.am_we.q.val();
        for k in 0..self._b {
            self.active.next = self.active.val() | self.w_bt[k].busy.val();
        }
    }
}
