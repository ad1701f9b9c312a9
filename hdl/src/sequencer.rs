//! `Sequencer`: fetches and issues the static instruction stream (`docs/isa.md`): one
//! instruction per cycle, no stalls; `wait`, zero-overhead `loop`, `vlen`, `halt`; the
//! hardware checks (ILLEGAL, RANGE, BUSY, PC), the link stop (LINK) and the cycle
//! counter.
//!
//! ```text
//!   start --> run, pc --> imem_raddr ... imem_rdata --> Decoder --> checks --> iss_* strobes
//!                                                                  fields --> units
//!   unit ready/active --> BUSY check, busy, cycles
//!   recv_err, send_err -> stop with LINK at the last recv's / send's pc
//! ```
//! - **Timing**: instruction 0 issues in the cycle after the `start` edge (two with the
//!   fetch stage). Each cycle the sequencer either issues the instruction in
//!   `imem_rdata` (fetched at the address it presented the cycle before; with the fetch
//!   stage, the one in `ir`), counts down a `wait`, or is stopped.
//! - **Issue to the units**: the strobes `iss_*` and the fields are registered: an
//!   instruction issued in cycle `t` reaches its unit in `t+1`, and the unit's state in
//!   `t+1` is what it would have latched at the end of `t` (each unit's `e_*` signals),
//!   so every port use and effect stays where `docs/isa.md` puts it. `vlen` is the vlen
//!   register itself: a cycle that issues to a unit does not change it.
//! - **Errors**: the offending instruction does not issue; `run` falls, `err`/`err_pc`
//!   hold the code and pc; issued instructions finish. The checks of cycle `t` end in two
//!   flip-flops (`fault_r`, `fcode_r`), not in the strobes: the strobes of `t` leave
//!   unchecked and are withdrawn in `t+1` (`iss_*` low), where the stop is carried out;
//!   nothing issues in `t+1`, and `busy` and the cycle count are as if the run had
//!   stopped in `t` (only `running` is high one cycle longer). `err_pc` follows the pc
//!   of the instruction up while running.
//! - **LINK**: in a cycle with `recv_err` or `send_err` high (a `recv` found no frame
//!   or the link fault set, a `send` found its slot in use) nothing issues
//!   (a `wait` being counted down stops too), `run` falls and the status becomes LINK
//!   with the pc of the last `recv` (or, for `send_err`, `send`) issued in this run (0 if
//!   none). This happens
//!   while the program runs, and also after `halt` while units are still active and the
//!   status is still OK (a `recv` whose later frame is missing); an earlier error's
//!   status is kept.
//! - **cycles**: cleared by `start`; counts every cycle in which the sequencer runs or a
//!   unit has effects pending, so it ends at `1 +` the last busy cycle.
//! - **Fetch stage** (`TileConfig::fetch_stage`; absent without it): the decoder reads an
//!   instruction word register `ir` (the word at `pc`), loaded from `imem_rdata` (the
//!   word at `fa`, the instruction up next) when an instruction leaves; the memory is
//!   read at the address two ahead (`fnext`: the successor of `fa` under the loop stack
//!   as this cycle's instruction leaves it). `start` begins with one fetch cycle
//!   (`boot`: instruction 0 enters `ir` while instruction 1 is read), so instruction 0
//!   issues two cycles after the `start` edge and `busy` is high one clock longer; the
//!   run's cycles, and every instruction's timing, are the same. The end test and the
//!   counts' tests it needs come from flip-flops that follow the loop stack (each
//!   level's count > 1 and > 2, its one-word body), not from compares in its cycle.
//! - **Reset**: none; idle at power-up with status 0. pc is 0 whenever the sequencer is
//!   stopped (power-up value, and every stop clears it), so the fetch needs no `run` term.
//!   The wait counter holds `!remaining`: its power-up 0 reads as a long wait, but
//!   nothing issues before `start`, which (like every stop) sets it to all ones (idle).

use crate::decoder::Decoder;
use minilpu_model::isa::{Status, MAX_DEPTH, MAX_LOOP_DEPTH};
use minilpu_model::TileConfig;
use rust_hdl::prelude::*;

/// The instruction sequencer.
#[derive(LogicBlock)]
pub struct Sequencer {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start the program at pc 0 (one-cycle pulse while not `busy`).
    pub start: Signal<In, Bit>,
    /// Instruction memory read address (the word needed next cycle).
    pub imem_raddr: Signal<Out, Bits<16>>,
    /// Instruction word (8 bytes, little-endian) and its predecode byte (byte 8, see
    /// [`crate::Predecoder`]) read at the previous cycle's address.
    pub imem_rdata: Vec<Signal<In, Bits<8>>>,
    /// MXU-load can accept an instruction.
    pub mxl_ready: Signal<In, Bit>,
    /// MXU-run can accept an instruction.
    pub mxr_ready: Signal<In, Bit>,
    /// The requantize unit can accept an instruction.
    pub rqu_ready: Signal<In, Bit>,
    /// The vector unit can accept an instruction.
    pub vxu_ready: Signal<In, Bit>,
    /// The link send unit can accept an instruction.
    pub tx_ready: Signal<In, Bit>,
    /// The link receive unit can accept an instruction.
    pub rx_ready: Signal<In, Bit>,
    /// The `recv` unit reports an error this cycle (combinational; only while it is
    /// active, so `units_active` is high with it): stop with LINK at the last `recv`'s pc.
    pub recv_err: Signal<In, Bit>,
    /// The `send` unit reports an error this cycle (only while it is active): stop with
    /// LINK at the last `send`'s pc.
    pub send_err: Signal<In, Bit>,
    /// Some unit has effects pending.
    pub units_active: Signal<In, Bit>,
    /// MXU-load was issued last cycle (`mxu.load`, or `mxu.run ... load`); every `iss_*`
    /// is registered: high in the cycle after the issue cycle.
    pub iss_mxl: Signal<Out, Bit>,
    /// `mxu.run` was issued last cycle.
    pub iss_mxr: Signal<Out, Bit>,
    /// `rq.param` was issued last cycle.
    pub iss_rqp: Signal<Out, Bit>,
    /// `rq.run` was issued last cycle.
    pub iss_rqr: Signal<Out, Bit>,
    /// A vector instruction was issued last cycle.
    pub iss_vx: Signal<Out, Bit>,
    /// `send` was issued last cycle (address on `d_bank` / `d_word`).
    pub iss_send: Signal<Out, Bit>,
    /// `recv` was issued last cycle (address on `d_bank` / `d_word`).
    pub iss_recv: Signal<Out, Bit>,
    /// The strobes `iss_mxl`, `iss_mxr`, `iss_rqp`, `iss_vx` and `iss_send` before a
    /// refusal withdraws them (`fault_r`): straight from flip-flops, for the units'
    /// read address multiplexers only. A strobe here without its `iss_*` is a refused
    /// instruction's: its unit must not act on it, except by loading address registers
    /// while idle, which the next issue reloads; its read enables still follow `iss_*`,
    /// so it reads nothing (a legal issue always finds its unit idle in this cycle:
    /// `ready`). This keeps `fault_r` off the bank address paths.
    pub pre_mxl: Signal<Out, Bit>,
    /// See `pre_mxl`.
    pub pre_mxr: Signal<Out, Bit>,
    /// See `pre_mxl`.
    pub pre_rqp: Signal<Out, Bit>,
    /// See `pre_mxl`.
    pub pre_vx: Signal<Out, Bit>,
    /// See `pre_mxl`.
    pub pre_send: Signal<Out, Bit>,
    /// Decoded fields of the instruction issued last cycle, registered with the strobes
    /// (see [`Decoder`]); valid only with an `iss_*` strobe. Banks, words, rows and
    /// accumulator rows are masked to the bits the configuration can use (a legal
    /// instruction's values already fit). `w`: `mxu.load` weight word.
    pub w: Signal<Out, Bits<16>>,
    /// `mxu.run` first bank-0 word.
    pub a: Signal<Out, Bits<16>>,
    /// Rows of `mxu.run` / `rq.run`.
    pub rows: Signal<Out, Bits<16>>,
    /// First accumulator row of `mxu.run` / `rq.run`.
    pub acc: Signal<Out, Bits<16>>,
    /// `mxu.run` swap.
    pub swap: Signal<Out, Bit>,
    /// `mxu.run` accumulate.
    pub accumulate: Signal<Out, Bit>,
    /// `rq.run` relu.
    pub relu: Signal<Out, Bit>,
    /// Destination / parameter / `send` / `recv` vector address: bank.
    pub d_bank: Signal<Out, Bits<8>>,
    /// Destination / parameter vector address: word.
    pub d_word: Signal<Out, Bits<16>>,
    /// First source bank.
    pub a_bank: Signal<Out, Bits<8>>,
    /// First source word.
    pub a_word: Signal<Out, Bits<16>>,
    /// Second source bank.
    pub b_bank: Signal<Out, Bits<8>>,
    /// Second source word.
    pub b_word: Signal<Out, Bits<16>>,
    /// Vector operation.
    pub vop: Signal<Out, Bits<3>>,
    /// `vlen` for the instruction issued last cycle: the vlen register, unchanged since
    /// that issue (a cycle that issues to a unit does not set `vlen`). Not registered
    /// with the strobes: valid while an `iss_*` strobe is high.
    pub vlen: Signal<Out, Bits<16>>,
    /// The program is issuing (not halted, no error).
    pub running: Signal<Out, Bit>,
    /// Running, or some unit was active in the previous cycle: the tile is busy (falls
    /// one cycle after the run's last effect; `cycles` is final by then).
    pub busy: Signal<Out, Bit>,
    /// Status code of the last run (0 = OK).
    pub err: Signal<Out, Bits<3>>,
    /// pc of the failing instruction (or of `halt`).
    pub err_pc: Signal<Out, Bits<16>>,
    /// Cycles of the current/last run (counted one cycle late; final once `busy` is low).
    pub cycles: Signal<Out, Bits<32>>,
    dec: Decoder,
    run: DFF<Bit>,
    pc: DFF<Bits<16>>,
    waitc: DFF<Bits<32>>,
    wz: DFF<Bit>,
    vl: DFF<Bits<16>>,
    /// `vlen - 1`, for the decoder's range checks (no subtraction at issue).
    vm1: DFF<Bits<16>>,
    code: DFF<Bits<3>>,
    fault_r: DFF<Bit>,
    fcode_r: DFF<Bits<3>>,
    cpc: DFF<Bits<16>>,
    lpc: DFF<Bits<16>>,
    spc: DFF<Bits<16>>,
    sp: DFF<Bits<3>>,
    lcount: Vec<DFF<Bits<24>>>,
    lstart: Vec<DFF<Bits<16>>>,
    /// Each level's last body instruction, `end - 1` (the pc at which it jumps back).
    lend: Vec<DFF<Bits<16>>>,
    cyc: DFF<Bits<32>>,
    act_r: DFF<Bit>,
    i_mxl: DFF<Bit>,
    i_mxr: DFF<Bit>,
    i_rqp: DFF<Bit>,
    i_rqr: DFF<Bit>,
    i_vx: DFF<Bit>,
    i_send: DFF<Bit>,
    i_recv: DFF<Bit>,
    f_w: DFF<Bits<16>>,
    f_rows: DFF<Bits<16>>,
    f_acc: DFF<Bits<16>>,
    f_swap: DFF<Bit>,
    f_accumulate: DFF<Bit>,
    f_relu: DFF<Bit>,
    f_d_bank: DFF<Bits<8>>,
    f_d_word: DFF<Bits<16>>,
    f_a_bank: DFF<Bits<8>>,
    f_a_word: DFF<Bits<16>>,
    f_b_bank: DFF<Bits<8>>,
    f_b_word: DFF<Bits<16>>,
    f_vop: DFF<Bits<3>>,
    top_count: Signal<Local, Bits<24>>,
    more: Signal<Local, Bit>,
    cx: Signal<Local, Bit>,
    csum: Signal<Local, Bits<24>>,
    cload: Signal<Local, Bits<24>>,
    cnext: Signal<Local, Bits<24>>,
    wzero: Signal<Local, Bit>,
    wx: Signal<Local, Bit>,
    wnx: Signal<Local, Bits<32>>,
    wsum: Signal<Local, Bits<32>>,
    wnext: Signal<Local, Bits<32>>,
    pc_end: Signal<Local, Bit>,
    pc1: Signal<Local, Bits<16>>,
    end_in: Signal<Local, Bits<16>>,
    last_in: Signal<Local, Bits<16>>,
    at_end: Signal<Local, Bit>,
    top_start: Signal<Local, Bits<16>>,
    top_end: Signal<Local, Bits<16>>,
    live: Signal<Local, Bit>,
    fault: Signal<Local, Bit>,
    fcode: Signal<Local, Bits<3>>,
    go: Signal<Local, Bit>,
    lstop: Signal<Local, Bit>,
    next_pc: Signal<Local, Bits<16>>,
    imem_depth: Constant<Bits<16>>,
    pc_mask: Constant<Bits<16>>,
    start_mask: Constant<Bits<16>>,
    ones24: Constant<Bits<24>>,
    ones32: Constant<Bits<32>>,
    ones32m1: Constant<Bits<32>>,
    m_bank: Constant<Bits<8>>,
    m_word: Constant<Bits<16>>,
    m_w: Constant<Bits<16>>,
    m_a: Constant<Bits<16>>,
    m_acc: Constant<Bits<16>>,
    m_rows: Constant<Bits<16>>,
    m_vlen: Constant<Bits<16>>,
    m_vm1: Constant<Bits<16>>,
    max_depth: Constant<Bits<3>>,
    c_illegal: Constant<Bits<3>>,
    c_range: Constant<Bits<3>>,
    c_busy: Constant<Bits<3>>,
    c_link: Constant<Bits<3>>,
    c_pc: Constant<Bits<3>>,
    // The fetch stage (`TileConfig::fetch_stage`; every entry below is absent without
    // it): the instruction word register, the address of the word in `imem_rdata` (the
    // instruction up next), the start's fetch cycle, and the fetch address two ahead.
    // `fa1q` holds `fa + 1`, set with `fa` (to `fnext1`, `fnext + 1` chosen from
    // candidates that are each one adder off flip-flops), so that no adder is on the
    // fetch address path; its power-up value is never read (`start` sets it).
    ir: Vec<DFF<Bits<8>>>,
    fa: Vec<DFF<Bits<16>>>,
    fa1q: Vec<DFF<Bits<16>>>,
    boot: Vec<DFF<Bit>>,
    fa1: Vec<Signal<Local, Bits<16>>>,
    fnext: Vec<Signal<Local, Bits<16>>>,
    fnext1: Vec<Signal<Local, Bits<16>>>,
    // Flags that follow the loop stack (shifted with it on `loop` and on a pop), so that
    // the fetch address two ahead tests no count and no stack depth: level k holds a loop
    // with count > 1 (`lv1`), with count > 2 (`lv2`), and its body is one word (`low`,
    // from the predecode bit, for n > 1). Empty levels read 0. `ae` is `at_end` itself,
    // registered: the end test of the instruction up next, made from the same compares
    // with `fa` that the fetch address uses.
    lv1: Vec<DFF<Bit>>,
    lv2: Vec<DFF<Bit>>,
    low: Vec<DFF<Bit>>,
    ae: Vec<DFF<Bit>>,
    // `fe[k]`: level k's last body word is `fa` (`lend[k] == fa`, for levels 0 and 1),
    // set a cycle ahead with `fa` from compares with `fa + 1` (`fa1q`, `fq[k]` for
    // levels 0 to 2, `fql` for a pushed level). Kept exact for the levels that hold a
    // loop (`k < sp`); the fetch address and `ae` read them only there. So the address
    // two ahead picks among flip-flops with flip-flops: no compare before the memory.
    fe: Vec<DFF<Bit>>,
    fq: Vec<Signal<Local, Bit>>,
    fql: Vec<Signal<Local, Bit>>,
    fen: Vec<Signal<Local, Bit>>,
    _depth: usize,
    _fs: usize,
}

impl Sequencer {
    /// The sequencer for `cfg`.
    pub fn new(cfg: &TileConfig) -> Self {
        let k = |s: Status| Constant::new((s.code() as u64).to_bits());
        assert!(
            cfg.imem_depth.is_power_of_two(),
            "the PC check needs a power-of-two imem_depth"
        );
        let fs = cfg.fetch_stage as usize;
        Self {
            clock: Default::default(),
            start: Default::default(),
            imem_raddr: Default::default(),
            imem_rdata: crate::vec_of(9),
            mxl_ready: Default::default(),
            mxr_ready: Default::default(),
            rqu_ready: Default::default(),
            vxu_ready: Default::default(),
            tx_ready: Default::default(),
            rx_ready: Default::default(),
            recv_err: Default::default(),
            send_err: Default::default(),
            units_active: Default::default(),
            iss_mxl: Default::default(),
            iss_mxr: Default::default(),
            iss_rqp: Default::default(),
            iss_rqr: Default::default(),
            iss_vx: Default::default(),
            iss_send: Default::default(),
            pre_mxl: Default::default(),
            pre_mxr: Default::default(),
            pre_rqp: Default::default(),
            pre_vx: Default::default(),
            pre_send: Default::default(),
            iss_recv: Default::default(),
            w: Default::default(),
            a: Default::default(),
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
            vop: Default::default(),
            vlen: Default::default(),
            running: Default::default(),
            busy: Default::default(),
            err: Default::default(),
            err_pc: Default::default(),
            cycles: Default::default(),
            dec: Decoder::new(cfg),
            run: Default::default(),
            pc: Default::default(),
            waitc: Default::default(),
            wz: Default::default(),
            vl: Default::default(),
            vm1: Default::default(),
            code: Default::default(),
            fault_r: Default::default(),
            fcode_r: Default::default(),
            cpc: Default::default(),
            lpc: Default::default(),
            spc: Default::default(),
            sp: Default::default(),
            lcount: crate::vec_of(MAX_LOOP_DEPTH),
            lstart: crate::vec_of(MAX_LOOP_DEPTH),
            lend: crate::vec_of(MAX_LOOP_DEPTH),
            cyc: Default::default(),
            act_r: Default::default(),
            i_mxl: Default::default(),
            i_mxr: Default::default(),
            i_rqp: Default::default(),
            i_rqr: Default::default(),
            i_vx: Default::default(),
            i_send: Default::default(),
            i_recv: Default::default(),
            f_w: Default::default(),
            f_rows: Default::default(),
            f_acc: Default::default(),
            f_swap: Default::default(),
            f_accumulate: Default::default(),
            f_relu: Default::default(),
            f_d_bank: Default::default(),
            f_d_word: Default::default(),
            f_a_bank: Default::default(),
            f_a_word: Default::default(),
            f_b_bank: Default::default(),
            f_b_word: Default::default(),
            f_vop: Default::default(),
            top_count: Default::default(),
            more: Default::default(),
            cx: Default::default(),
            csum: Default::default(),
            cload: Default::default(),
            cnext: Default::default(),
            wzero: Default::default(),
            wx: Default::default(),
            wnx: Default::default(),
            wsum: Default::default(),
            wnext: Default::default(),
            pc_end: Default::default(),
            pc1: Default::default(),
            end_in: Default::default(),
            last_in: Default::default(),
            at_end: Default::default(),
            top_start: Default::default(),
            top_end: Default::default(),
            live: Default::default(),
            fault: Default::default(),
            fcode: Default::default(),
            go: Default::default(),
            lstop: Default::default(),
            next_pc: Default::default(),
            imem_depth: Constant::new((cfg.imem_depth as u64).to_bits()),
            pc_mask: crate::range_mask(cfg.imem_depth + 1),
            // A loop's start pc (its pc + 1) is < imem_depth: see `lstart` in `update`.
            start_mask: crate::range_mask(cfg.imem_depth),
            ones24: Constant::new(0xFF_FFFFu64.to_bits()),
            ones32: Constant::new(0xFFFF_FFFFu64.to_bits()),
            ones32m1: Constant::new(0xFFFF_FFFEu64.to_bits()),
            m_bank: crate::range_mask(cfg.banks),
            m_word: crate::range_mask(cfg.act_depth.max(cfg.bank_depth)),
            m_w: crate::range_mask(cfg.bank_depth),
            m_a: crate::range_mask(cfg.act_depth),
            m_acc: crate::range_mask(cfg.acc_depth),
            // rows <= acc_depth (acc + rows <= acc_depth for mxu.run and rq.run)
            m_rows: crate::range_mask(cfg.acc_depth + 1),
            // a legal `vlen n` has n <= MAX_DEPTH (16384): 15 bits
            m_vlen: crate::range_mask(MAX_DEPTH + 1),
            // vlen - 1 of a legal vlen: 0..=16383, 14 bits
            m_vm1: crate::range_mask(MAX_DEPTH),
            max_depth: Constant::new((MAX_LOOP_DEPTH as u64).to_bits()),
            c_illegal: k(Status::Illegal),
            c_range: k(Status::Range),
            c_busy: k(Status::Busy),
            c_link: k(Status::Link),
            c_pc: k(Status::Pc),
            ir: crate::vec_of(9 * fs),
            fa: crate::vec_of(fs),
            boot: crate::vec_of(fs),
            fa1: crate::vec_of(fs),
            fa1q: crate::vec_of(fs),
            fnext1: crate::vec_of(fs),
            fnext: crate::vec_of(fs),
            lv1: crate::vec_of(MAX_LOOP_DEPTH * fs),
            lv2: crate::vec_of(MAX_LOOP_DEPTH * fs),
            low: crate::vec_of(MAX_LOOP_DEPTH * fs),
            ae: crate::vec_of(fs),
            fe: crate::vec_of(2 * fs),
            fq: crate::vec_of(3 * fs),
            fql: crate::vec_of(fs),
            fen: crate::vec_of(2 * fs),
            _depth: MAX_LOOP_DEPTH,
            _fs: fs,
        }
    }
}

impl Logic for Sequencer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, run, pc, waitc, wz, vl, vm1, code, fault_r, fcode_r, cpc, lpc, spc, sp,
            cyc, act_r
        );
        dff_setup!(
            self,
            clock,
            i_mxl,
            i_mxr,
            i_rqp,
            i_rqr,
            i_vx,
            i_send,
            i_recv,
            f_w,
            f_rows,
            f_acc,
            f_swap,
            f_accumulate,
            f_relu,
            f_d_bank,
            f_d_word,
            f_a_bank,
            f_a_word,
            f_b_bank,
            f_b_word,
            f_vop
        );
        // Masked when it holds, too: its flip-flops above bit 13 go.
        self.vm1.d.next = self.vm1.q.val() & self.m_vm1.val();
        for i in 0..9 {
            self.dec.ib[i].next = self.imem_rdata[i].val();
        }
        // The fetch stage: the decoder reads the instruction word register, which loads
        // the word in `imem_rdata` (at `fa`) when the instruction up leaves (`live`) and
        // in the start's fetch cycle (`boot`), and holds it otherwise (a `wait`).
        for f in 0..self._fs {
            for i in 0..9 {
                self.ir[i].clock.next = self.clock.val();
                self.ir[i].d.next = self.ir[i].q.val();
                self.dec.ib[i].next = self.ir[i].q.val();
            }
            self.fa[f].clock.next = self.clock.val();
            self.fa[f].d.next = self.fa[f].q.val();
            self.fa1q[f].clock.next = self.clock.val();
            self.fa1q[f].d.next = self.fa1q[f].q.val();
            self.boot[f].clock.next = self.clock.val();
            self.boot[f].d.next = false;
            self.ae[f].clock.next = self.clock.val();
            self.ae[f].d.next = self.ae[f].q.val();
            for k in 0..2 {
                self.fe[k].clock.next = self.clock.val();
                self.fe[k].d.next = self.fe[k].q.val();
            }
            for k in 0..self._depth {
                self.lv1[k].clock.next = self.clock.val();
                self.lv2[k].clock.next = self.clock.val();
                self.low[k].clock.next = self.clock.val();
                self.lv1[k].d.next = self.lv1[k].q.val();
                self.lv2[k].d.next = self.lv2[k].q.val();
                self.low[k].d.next = self.low[k].q.val();
            }
        }
        self.dec.vm1.next = self.vm1.q.val() & self.m_vm1.val();
        // The loop stack shifts: level 0 is the innermost loop (valid when `sp != 0`), a
        // `loop` pushes the levels down, the end of a last iteration pops them up. Counts
        // are stored inverted (`!count`, see `cnext`).
        for k in 0..self._depth {
            self.lcount[k].clock.next = self.clock.val();
            self.lstart[k].clock.next = self.clock.val();
            self.lend[k].clock.next = self.clock.val();
            self.lcount[k].d.next = self.lcount[k].q.val();
            self.lstart[k].d.next = self.lstart[k].q.val();
            self.lend[k].d.next = self.lend[k].q.val() & self.start_mask.val();
        }
        for k in 0..1 {
            self.top_count.next = self.lcount[k].q.val();
            self.top_start.next = self.lstart[k].q.val();
            self.top_end.next = self.lend[k].q.val();
        }
        // pc values (pc, pc + 1, loop starts and ends) fit in `pc_mask` (pc <= imem_depth):
        // masking them leaves their upper flip-flops constant, so synthesis drops them. A
        // `loop` end past imem_depth is ILLEGAL (predecoded) whatever the compares say.
        self.pc1.next = (self.pc.q.val() + 1) & self.pc_mask.val();
        self.end_in.next = self.dec.loop_end.val() & self.pc_mask.val();
        // The loop stack holds each body's last pc (`end - 1`, below imem_depth for a
        // legal `loop`: `start_mask`): the end test compares it with `pc`, with no
        // `pc + 1` adder in front of the count's carry chain.
        self.last_in.next = (self.dec.loop_end.val() - 1) & self.start_mask.val();
        // The innermost loop's body ends after this instruction; one decrement for all levels.
        self.at_end.next = (self.sp.q.val() != 0) & (self.top_end.val() == self.pc.q.val());
        // count > 1: `!count` has a 0 above bit 0.
        self.more.next = (self.top_count.val() | 1) != self.ones24.val();
        // With the fetch stage both come from flip-flops (`ae`, `lv1`). `lv1` is 0 for an
        // empty level 0, so `more` alone also says that level 0 holds a loop (the fetch
        // address's test below); every other use of it is under `at_end`.
        for f in 0..self._fs {
            self.at_end.next = self.ae[f].q.val();
            for k in 0..1 {
                self.more.next = self.lv1[k].q.val();
            }
        }
        // The innermost count's next value, for every change of it: a `loop` loads `!n`, a
        // pop the next level's count (both `cx`), the end of an iteration with more to go
        // adds one to `!count` (the count goes down by one). The adder's operands are
        // flip-flops only, so its carry chain runs while `cx` (the loop test off the
        // predecode bit, the end test off the stack) settles; the load multiplexer sits
        // after it (a second logic cell per bit, the price of taking `cx` off the chain).
        self.cx.next = self.dec.is_loop.val() | (self.at_end.val() & !self.more.val());
        self.csum.next = self.top_count.val() + 1;
        for k in 1..2 {
            self.cload.next = self.lcount[k].q.val();
        }
        if self.dec.is_loop.val() {
            self.cload.next = !self.dec.n.val().get_bits::<24>(0);
        }
        self.cnext.next = self.csum.val();
        if self.cx.val() {
            self.cnext.next = self.cload.val();
        }
        // The wait counter holds `!remaining` (all ones: no wait being counted, as set by
        // `start` and every stop) and counts up, the same way: `wait n` loads `!n` (`wx`
        // makes the adder's second operand all ones) and the sum cells hold the
        // multiplexer. The all-ones test is made a cycle early, into the flip-flop `wz`
        // (set exactly when `waitc` is all ones: by `start`, every stop, `wait 0` (a
        // predecode bit) and the count's last step), so that `live`, on every issue
        // path, is one LUT off two flip-flops.
        self.wzero.next = self.wz.q.val();
        // pc == imem_depth (the PC check): pc never exceeds imem_depth (it advances by
        // one or jumps back to a loop start, and stops at imem_depth), and imem_depth is
        // a power of two (`TileConfig::validate`), so its one bit decides.
        self.pc_end.next = (self.pc.q.val() & self.imem_depth.val()).any();
        // An instruction is up for issue this cycle.
        self.live.next = self.run.q.val() & self.wzero.val();
        self.wx.next = self.live.val() & self.dec.is_wait.val();
        self.wnx.next = self.ones32.val();
        if self.wx.val() {
            self.wnx.next = 0.into();
        }
        self.wsum.next = self.waitc.q.val() - self.wnx.val();
        self.wnext.next = self.wsum.val();
        if self.wx.val() {
            self.wnext.next = !self.dec.n.val();
        }
        // Any check fails: a flat OR (the priority chain below only picks the code).
        self.fault.next = self.pc_end.val()
            | self.dec.illegal.val()
            | self.dec.range.val()
            | (self.dec.is_loop.val()
                & (((self.sp.q.val() != 0) & (self.end_in.val() > self.top_end.val()))
                    | (self.sp.q.val() == self.max_depth.val())))
            | (self.dec.use_mxl.val() & !self.mxl_ready.val())
            | (self.dec.use_mxr.val() & !self.mxr_ready.val())
            | ((self.dec.is_rqp.val() | self.dec.is_rqr.val()) & !self.rqu_ready.val())
            | (self.dec.is_vx.val() & !self.vxu_ready.val())
            | (self.dec.is_send.val() & !self.tx_ready.val())
            | (self.dec.is_recv.val() & !self.rx_ready.val());
        // Checks, in priority order; `fcode` is used only with `fault`, so the last one
        // (BUSY) needs no test of its own.
        self.fcode.next = self.c_busy.val();
        if self.pc_end.val() {
            self.fcode.next = self.c_pc.val();
        } else if self.dec.illegal.val()
            | (self.dec.is_loop.val()
                & (self.sp.q.val() != 0)
                & (self.end_in.val() > self.top_end.val()))
        {
            self.fcode.next = self.c_illegal.val();
        } else if self.dec.range.val()
            | (self.dec.is_loop.val() & (self.sp.q.val() == self.max_depth.val()))
        {
            self.fcode.next = self.c_range.val();
        }
        // A link error stops the run (and, after `halt`, turns an OK status into LINK).
        // After `halt` the rule is "while units are active and the status is OK"; a unit
        // raises its `err` only while it is active itself (a `recv`/`send` in its check
        // cycle `b_j+1`), so `units_active` need not be tested: this keeps the units'
        // activity logic (compare chains) out of `go`.
        // Not in the cycle after a refused instruction (`fault_r`): the run has stopped
        // in the cycle before (see below), with the refusal's code.
        self.lstop.next = (self.recv_err.val() | self.send_err.val())
            & (self.run.q.val() | (self.code.q.val() == 0))
            & !self.fault_r.q.val();
        // A refused instruction stops the run with the cycle count of its own cycle `t`,
        // but the stop itself is carried out in `t+1` from flip-flops (`fault_r`,
        // `fcode_r`): the checks (the `vlen` range adders, the units' `ready`) end in
        // those two registers and stay off the issue strobes and the sequencer's state.
        // The strobes of `t` go out unchecked and `fault_r` withdraws them in `t+1`
        // (the units see no issue), and nothing issues in `t+1`.
        self.fault_r.d.next = self.live.val() & self.fault.val() & !self.lstop.val();
        self.fcode_r.d.next = self.fcode.val();
        self.go.next = self.live.val() & !self.lstop.val() & !self.fault_r.q.val();
        // Issue strobes and fields, registered: the units see them in the cycle after
        // the issue cycle and act as if they had latched them at its end (their `e_*`
        // state), so `go` drives a few flip-flops, not every unit's registers.
        self.i_mxl.d.next = self.go.val() & self.dec.use_mxl.val();
        self.i_mxr.d.next = self.go.val() & self.dec.use_mxr.val();
        self.i_rqp.d.next = self.go.val() & self.dec.is_rqp.val();
        self.i_rqr.d.next = self.go.val() & self.dec.is_rqr.val();
        self.i_vx.d.next = self.go.val() & self.dec.is_vx.val();
        self.i_send.d.next = self.go.val() & self.dec.is_send.val();
        self.i_recv.d.next = self.go.val() & self.dec.is_recv.val();
        self.iss_mxl.next = self.i_mxl.q.val() & !self.fault_r.q.val();
        self.iss_mxr.next = self.i_mxr.q.val() & !self.fault_r.q.val();
        self.iss_rqp.next = self.i_rqp.q.val() & !self.fault_r.q.val();
        self.iss_rqr.next = self.i_rqr.q.val() & !self.fault_r.q.val();
        self.iss_vx.next = self.i_vx.q.val() & !self.fault_r.q.val();
        self.iss_send.next = self.i_send.q.val() & !self.fault_r.q.val();
        self.iss_recv.next = self.i_recv.q.val() & !self.fault_r.q.val();
        self.pre_mxl.next = self.i_mxl.q.val();
        self.pre_mxr.next = self.i_mxr.q.val();
        self.pre_rqp.next = self.i_rqp.q.val();
        self.pre_vx.next = self.i_vx.q.val();
        self.pre_send.next = self.i_send.q.val();
        // The fields are used only with an issue strobe, i.e. for a legal instruction
        // whose banks are < banks and whose words, rows and accumulator rows passed the
        // RANGE checks: masked to those ranges, every unit register that copies them
        // loses its constant upper flip-flops in synthesis.
        self.f_w.d.next = self.dec.w.val() & self.m_w.val();
        self.f_rows.d.next = self.dec.rows.val() & self.m_rows.val();
        self.f_acc.d.next = self.dec.acc.val() & self.m_acc.val();
        self.f_swap.d.next = self.dec.swap.val();
        self.f_accumulate.d.next = self.dec.accumulate.val();
        self.f_relu.d.next = self.dec.relu.val();
        self.f_d_bank.d.next = self.dec.d_bank.val() & self.m_bank.val();
        self.f_d_word.d.next = self.dec.d_word.val() & self.m_word.val();
        self.f_a_bank.d.next = self.dec.a_bank.val() & self.m_bank.val();
        self.f_a_word.d.next = self.dec.a_word.val() & self.m_word.val();
        self.f_b_bank.d.next = self.dec.b_bank.val() & self.m_bank.val();
        self.f_b_word.d.next = self.dec.b_word.val() & self.m_word.val();
        self.f_vop.d.next = self.dec.vop.val();
        self.w.next = self.f_w.q.val();
        // `mxu.run`'s first word is its `d_word` (`ra` is field `f0w`; not `rq.run`), and
        // `m_a` keeps a subset of `m_word`'s bits: no register of its own.
        self.a.next = self.f_d_word.q.val() & self.m_a.val();
        self.rows.next = self.f_rows.q.val();
        self.acc.next = self.f_acc.q.val();
        self.swap.next = self.f_swap.q.val();
        self.accumulate.next = self.f_accumulate.q.val();
        self.relu.next = self.f_relu.q.val();
        self.d_bank.next = self.f_d_bank.q.val();
        self.d_word.next = self.f_d_word.q.val();
        self.a_bank.next = self.f_a_bank.q.val();
        self.a_word.next = self.f_a_word.q.val();
        self.b_bank.next = self.f_b_bank.q.val();
        self.b_word.next = self.f_b_word.q.val();
        self.vop.next = self.f_vop.q.val();
        self.vlen.next = self.vl.q.val();
        // Next pc: zero-overhead loops jump back after their last body instruction.
        self.next_pc.next = self.pc1.val();
        if !self.dec.is_loop.val() & self.at_end.val() & self.more.val() {
            self.next_pc.next = self.top_start.val();
        }
        // The fetch stage's address two ahead: the successor of `fa` (the instruction up
        // next) under the loop stack as this cycle's instruction leaves it. Only a loop's
        // last body word has another successor than `fa + 1`, and `fa` is never a `loop`
        // that matters here (a `loop` at a body's last word is ILLEGAL: its body would
        // not end strictly inside the enclosing one). Every compare is between flip-flops;
        // the instruction word only picks the case.
        // The same cases give `fe` as `fa` moves (`fen`): `fa` moves on to `fa + 1` (the
        // compares `fq` with the stack's levels as they will be), stays (a one-word body
        // runs again: `fe` as it is, or, for a pushed one-word body, its level ends at
        // `fa`), or jumps back to a body's start. A body's start is its last word only for
        // a one-word body, and a live outer level's last word comes after the inner
        // level's start.
        for f in 0..self._fs {
            self.fa1[f].next = self.fa1q[f].q.val();
            self.fnext[f].next = self.fa1[f].val();
            self.fnext1[f].next = (self.fa1q[f].q.val() + 1) & self.pc_mask.val();
            for k in 0..3 {
                self.fq[k].next = self.lend[k].q.val() == self.fa1q[f].q.val();
            }
            self.fql[f].next = self.last_in.val() == self.fa1q[f].q.val();
            for k in 0..2 {
                self.fen[k].next = self.fq[k].val();
            }
            if self.dec.is_loop.val() {
                // A `loop` pushes a body starting at `fa` (its pc + 1), ending at
                // `last_in`; level 1 is level 0. A one-word body with n > 1 runs `fa`
                // again. The predecoder marks such a `loop` in the bit `wait 0` uses
                // (`Predecoder`, `PD_WAIT0`): no compare of its end with `fa + 1` on the
                // way to the memory's address.
                self.fen[0].next = self.fql[f].val();
                self.fen[1].next = self.fq[0].val();
                if self.dec.wait0.val() {
                    self.fnext[f].next = self.fa[f].q.val();
                    self.fnext1[f].next = self.fa1[f].val();
                    self.fen[0].next = true;
                    self.fen[1].next = self.fe[0].q.val();
                }
            } else if self.at_end.val() {
                if self.more.val() {
                    // Jumping back to the body's start `fa`: a one-word body with more
                    // than one iteration left after this one runs it again.
                    if self.low[0].q.val() & self.lv2[0].q.val() {
                        self.fnext[f].next = self.fa[f].q.val();
                        self.fnext1[f].next = self.fa1[f].val();
                        self.fen[0].next = self.fe[0].q.val();
                        self.fen[1].next = self.fe[1].q.val();
                    }
                } else {
                    // The last iteration pops: levels 1 and 2 become 0 and 1, and level 1
                    // decides (back to its start if `fa` is its last word and it runs
                    // again).
                    self.fen[0].next = self.fq[1].val();
                    self.fen[1].next = self.fq[2].val();
                    if self.lv1[1].q.val() & self.fe[1].q.val() {
                        self.fnext[f].next = self.lstart[1].q.val();
                        self.fnext1[f].next = (self.lstart[1].q.val() + 1) & self.pc_mask.val();
                        self.fen[0].next = false;
                        self.fen[1].next = false;
                    }
                }
            } else if self.more.val() & self.fe[0].q.val() {
                // Back to level 0's start, if `fa` is its last word.
                self.fnext[f].next = self.top_start.val();
                self.fnext1[f].next = (self.top_start.val() + 1) & self.pc_mask.val();
                self.fen[0].next = self.low[0].q.val();
                self.fen[1].next = false;
            }
        }
        // The sequencer's own state advances whenever an instruction is up (`live`), not
        // only when it issues (`go`): if it faults, the run stops and `start` resets what
        // matters (pc, wait, vlen, loop depth), so only the units wait for the checks.
        if self.live.val() {
            self.pc.d.next = self.next_pc.val();
            for f in 0..self._fs {
                self.pc.d.next = self.fa[f].q.val();
                self.fa[f].d.next = self.fnext[f].val();
                self.fa1q[f].d.next = self.fnext1[f].val();
                for k in 0..2 {
                    self.fe[k].d.next = self.fen[k].val();
                }
                for i in 0..9 {
                    self.ir[i].d.next = self.imem_rdata[i].val();
                }
            }
            // The pc of the instruction up: the stop pc if this is a `halt` or the
            // instruction is refused (held in `t+1`, when `live` is low or `fault_r` set).
            if !self.fault_r.q.val() {
                self.cpc.d.next = self.pc.q.val();
            }
            if self.dec.is_vlen.val() {
                // An illegal larger n stops the run before any unit reads `vlen`.
                self.vl.d.next = self.dec.n.val().get_bits::<16>(0) & self.m_vlen.val();
                self.vm1.d.next = (self.dec.n.val().get_bits::<16>(0) - 1) & self.m_vm1.val();
            }
            if self.dec.is_halt.val() {
                self.run.d.next = false;
                self.pc.d.next = 0.into();
                for f in 0..self._fs {
                    self.fa[f].d.next = 0.into();
                    self.fa1q[f].d.next = 1.into();
                }
            }
            if self.dec.is_recv.val() {
                self.lpc.d.next = self.pc.q.val();
            }
            if self.dec.is_send.val() {
                self.spc.d.next = self.pc.q.val();
            }
            if self.dec.is_loop.val() {
                self.sp.d.next = self.sp.q.val() + 1;
                // A legal `loop` at pc p ends at e with p + 1 < e <= imem_depth (ILLEGAL
                // otherwise: `loop_short` and `loop_past` in the predecoder), so its
                // start p + 1 is < imem_depth: `start_mask`. An illegal one stops the run
                // and `start` empties the stack (sp = 0) before any level is read again.
                for k in 0..1 {
                    self.lcount[k].d.next = self.cnext.val();
                    self.lstart[k].d.next = self.pc1.val() & self.start_mask.val();
                    self.lend[k].d.next = self.last_in.val();
                }
                for k in 0..self._depth {
                    for j in 0..self._depth {
                        if j + 1 == k {
                            self.lcount[k].d.next = self.lcount[j].q.val();
                            self.lstart[k].d.next = self.lstart[j].q.val() & self.start_mask.val();
                            self.lend[k].d.next = self.lend[j].q.val() & self.start_mask.val();
                        }
                    }
                }
            } else if self.at_end.val() {
                // One more iteration (`cnext` = the count minus one) or, after the last,
                // a pop (`cnext` = level 1's count).
                for k in 0..1 {
                    self.lcount[k].d.next = self.cnext.val();
                }
                if !self.more.val() {
                    self.sp.d.next = self.sp.q.val() - 1;
                    for k in 0..self._depth {
                        for j in 0..self._depth {
                            if j == k + 1 {
                                if k > 0 {
                                    self.lcount[k].d.next = self.lcount[j].q.val();
                                }
                                self.lstart[k].d.next =
                                    self.lstart[j].q.val() & self.start_mask.val();
                                self.lend[k].d.next = self.lend[j].q.val() & self.start_mask.val();
                            }
                        }
                    }
                }
            }
        }
        // The loop stack's flags change with the stack (`live`, as above). `ae` becomes
        // the end test of the instruction at `fa` (pc in the next cycle) under the stack
        // as this cycle leaves it: a pushed one-word body, a decremented level 0, a
        // popped level 1 (if any), or the stack unchanged.
        for f in 0..self._fs {
            if self.live.val() {
                for k in 0..1 {
                    self.ae[f].d.next = (self.sp.q.val() != 0) & self.fe[k].q.val();
                }
                if self.dec.is_loop.val() {
                    self.ae[f].d.next = self.end_in.val() == self.fa1[f].val();
                    for k in 0..1 {
                        self.lv1[k].d.next = self.dec.n.val().get_bits::<23>(1).any();
                        self.lv2[k].d.next = self.dec.n.val().get_bits::<22>(2).any()
                            | self.dec.n.val().get_bits::<2>(0).all();
                        self.low[k].d.next = self.dec.wait0.val();
                    }
                    for k in 0..self._depth {
                        for j in 0..self._depth {
                            if j + 1 == k {
                                self.lv1[k].d.next = self.lv1[j].q.val();
                                self.lv2[k].d.next = self.lv2[j].q.val();
                                self.low[k].d.next = self.low[j].q.val();
                            }
                        }
                    }
                } else if self.at_end.val() {
                    if self.more.val() {
                        // One iteration fewer: count > 1 now iff count > 2 before.
                        for k in 0..1 {
                            self.lv1[k].d.next = self.lv2[k].q.val();
                            self.lv2[k].d.next = (self.top_count.val() | 3) != self.ones24.val();
                        }
                    } else {
                        // The pop: level 1 (if any) becomes the innermost.
                        for j in 1..2 {
                            self.ae[f].d.next =
                                self.sp.q.val().get_bits::<2>(1).any() & self.fe[j].q.val();
                        }
                        for k in 0..self._depth {
                            self.lv1[k].d.next = false;
                            self.lv2[k].d.next = false;
                            self.low[k].d.next = false;
                            for j in 0..self._depth {
                                if j == k + 1 {
                                    self.lv1[k].d.next = self.lv1[j].q.val();
                                    self.lv2[k].d.next = self.lv2[j].q.val();
                                    self.low[k].d.next = self.low[j].q.val();
                                }
                            }
                        }
                    }
                }
            }
        }
        // A stop or a `start` leaves `fe` alone (`start` empties the stack).
        // Every stop (halt, fault, link stop) clears pc, so pc is 0 whenever the
        // sequencer does not run (power-up value 0 too): the fetch below needs no
        // `run` term.
        if self.fault_r.q.val() {
            self.run.d.next = false;
            self.pc.d.next = 0.into();
            for f in 0..self._fs {
                self.fa[f].d.next = 0.into();
                self.fa1q[f].d.next = 1.into();
            }
            self.code.d.next = self.fcode_r.q.val();
        }
        if self.wx.val() | (self.run.q.val() & !self.wzero.val()) {
            self.waitc.d.next = self.wnext.val();
            self.wz.d.next = self.waitc.q.val() == self.ones32m1.val();
            if self.wx.val() {
                self.wz.d.next = self.dec.wait0.val();
            }
        }
        if self.lstop.val() {
            self.run.d.next = false;
            self.pc.d.next = 0.into();
            for f in 0..self._fs {
                self.fa[f].d.next = 0.into();
                self.fa1q[f].d.next = 1.into();
            }
            self.waitc.d.next = self.ones32.val();
            self.wz.d.next = true;
            self.code.d.next = self.c_link.val();
            self.cpc.d.next = self.lpc.q.val();
            if !self.recv_err.val() {
                self.cpc.d.next = self.spc.q.val();
            }
        }
        // Instruction fetch: the word needed in the next cycle. While an instruction is
        // up, fetch its successor whether or not it issues (if it does not, the run
        // stops and the word is not used): the checks stay off the fetch path. While
        // stopped, pc is 0 (see above): `start` finds instruction 0 fetched.
        self.imem_raddr.next = self.pc.q.val();
        if self.live.val() {
            self.imem_raddr.next = self.next_pc.val();
        }
        // With the fetch stage: the word two ahead while an instruction leaves, else the
        // word up next again (`fa`: 0 while stopped, 1 in the start's fetch cycle).
        for f in 0..self._fs {
            self.imem_raddr.next = self.fa[f].q.val();
            if self.live.val() {
                self.imem_raddr.next = self.fnext[f].val();
            }
        }
        // Status and cycle counter.
        self.running.next = self.run.q.val();
        // `act_r`: the tile was busy last cycle (running or a unit active). The units'
        // activity (compare chains in each unit) ends in this one flip-flop: `busy`, the
        // cycle counter and `start` read it a cycle late. `busy` thus stays high one
        // cycle after the last effect; the counter counts the same cycles, one cycle
        // later, and is complete when `busy` falls; `start` needs both low (a unit is
        // only active after an issue, and its activity is contiguous with the run's).
        // (The cycle `t+1` that carries out a refusal's stop is not counted: the run
        // ended with `t`.)
        self.act_r.d.next = (self.run.q.val() & !self.fault_r.q.val()) | self.units_active.val();
        self.busy.next = self.run.q.val() | self.act_r.q.val();
        for f in 0..self._fs {
            self.busy.next = self.run.q.val() | self.act_r.q.val() | self.boot[f].q.val();
            // The start's fetch cycle loads instruction 0 into the word register; the
            // run begins after it.
            if self.boot[f].q.val() {
                self.run.d.next = true;
                for i in 0..9 {
                    self.ir[i].d.next = self.imem_rdata[i].val();
                }
            }
        }
        self.err.next = self.code.q.val();
        self.err_pc.next = self.cpc.q.val();
        self.cycles.next = self.cyc.q.val();
        if self.act_r.q.val() {
            self.cyc.d.next = self.cyc.q.val() + 1;
        }
        if self.start.val() & !self.run.q.val() & !self.act_r.q.val() {
            self.run.d.next = true;
            self.pc.d.next = 0.into();
            self.waitc.d.next = self.ones32.val();
            self.wz.d.next = true;
            self.vl.d.next = 1.into();
            self.vm1.d.next = 0.into();
            self.code.d.next = 0.into();
            self.cpc.d.next = 0.into();
            self.lpc.d.next = 0.into();
            self.spc.d.next = 0.into();
            self.sp.d.next = 0.into();
            self.cyc.d.next = 0.into();
            // With the fetch stage, one fetch cycle first (`boot`): instruction 0 is read
            // in this cycle and enters the word register in the next, while instruction
            // 1 is read.
            for f in 0..self._fs {
                self.run.d.next = false;
                self.boot[f].d.next = true;
                self.fa[f].d.next = 1.into();
                self.fa1q[f].d.next = 2.into();
                self.ae[f].d.next = false;
                for k in 0..self._depth {
                    self.lv1[k].d.next = false;
                    self.lv2[k].d.next = false;
                    self.low[k].d.next = false;
                }
            }
        }
    }
}
