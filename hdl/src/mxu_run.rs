//! `MxuRun`: the activation-stream port of the matmul unit (`mxu.run`).
//!
//! ```text
//!   issue, a, rows, acc, swap, accumulate --> [left, addr, row] --> re, addr (bank 0)
//!                                                               --> swap, first, acc_addr tags
//!                                                               --> ready, active
//! ```
//! Issued at cycle `t`, it reads bank-0 word `a + r` in cycle `t+1+r` for `r < rows`,
//! with the tags that travel beside the row: `swap` (first row only, when asked),
//! `first` (= not `accumulate`) and the accumulator row `acc + r`. The accumulator is
//! written at the end of `t+7+b+f+r` (`f`: `TileConfig::array_feed_stages`; `b`:
//! `TileConfig::bank_read_stages`, the tile's register on the bank's read address, so
//! the row reaches the block RAM in `t+1+b+r`).
//! - **Occupancy**: `ready` from cycle `t+rows` on.
//! - **Activity**: `active` in `t+1 ..= t+rows+6+b+f` (until the last accumulator write).
//! - **Reset**: none; idle at power-up.

use minilpu_model::TileConfig;
use rust_hdl::prelude::*;

/// Cycles from the last row's read to its accumulator write, inclusive, without array
/// feed stages or bank read stages (each adds one).
pub const MXU_RUN_TAIL: usize = 6;

/// The activation stream sequencer.
#[derive(LogicBlock)]
pub struct MxuRun {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A run was issued in the previous cycle `t` (when `ready`; the sequencer's registered
    /// strobe): this cycle, `t+1`, runs as if it had been latched at the end of `t`.
    pub issue: Signal<In, Bit>,
    /// The issue strobe before a refusal withdraws it: for the read address and bank
    /// multiplexers only, while idle (the contract is at [`crate::Sequencer::pre_mxl`]).
    pub pre: Signal<In, Bit>,
    /// First bank-0 word; valid with `issue`.
    pub a: Signal<In, Bits<16>>,
    /// Rows (>= 1); valid with `issue`.
    pub rows: Signal<In, Bits<16>>,
    /// First accumulator row; valid with `issue`.
    pub acc: Signal<In, Bits<16>>,
    /// Activate the shadow weights with the first row; valid with `issue`.
    pub swap_in: Signal<In, Bit>,
    /// Add into the accumulator instead of overwriting; valid with `issue`.
    pub accumulate: Signal<In, Bit>,
    /// Can accept an `issue` this cycle.
    pub ready: Signal<Out, Bit>,
    /// Has effects pending in this or a later cycle.
    pub active: Signal<Out, Bit>,
    /// Read bank 0 this cycle.
    pub re: Signal<Out, Bit>,
    /// Bank-0 word to read.
    pub addr: Signal<Out, Bits<16>>,
    /// With `re`: make the shadow weights active for this row.
    pub swap: Signal<Out, Bit>,
    /// With `re`: overwrite the accumulator row.
    pub first: Signal<Out, Bit>,
    /// With `re`: accumulator row of this row's result.
    pub acc_addr: Signal<Out, Bits<16>>,
    left: DFF<Bits<16>>,
    raddr: DFF<Bits<16>>,
    arow: DFF<Bits<16>>,
    r_swap: DFF<Bit>,
    r_first: DFF<Bit>,
    tail: DFF<Bits<4>>,
    // `left != 0`, from `ready`'s compare a cycle ahead.
    lnz: DFF<Bit>,
    e_left: Signal<Local, Bits<16>>,
    e_raddr: Signal<Local, Bits<16>>,
    e_arow: Signal<Local, Bits<16>>,
    e_swap: Signal<Local, Bit>,
    e_first: Signal<Local, Bit>,
    tail_len: Constant<Bits<4>>,
    tail_mask: Constant<Bits<4>>,
    rows_mask: Constant<Bits<16>>,
    a_mask: Constant<Bits<16>>,
    acc_mask: Constant<Bits<16>>,
}

impl MxuRun {
    /// The activation stream port for the tile `cfg`.
    pub fn new(cfg: &TileConfig) -> Self {
        Self {
            clock: Default::default(),
            issue: Default::default(),
            pre: Default::default(),
            a: Default::default(),
            rows: Default::default(),
            acc: Default::default(),
            swap_in: Default::default(),
            accumulate: Default::default(),
            ready: Default::default(),
            active: Default::default(),
            re: Default::default(),
            addr: Default::default(),
            swap: Default::default(),
            first: Default::default(),
            acc_addr: Default::default(),
            left: Default::default(),
            raddr: Default::default(),
            arow: Default::default(),
            r_swap: Default::default(),
            r_first: Default::default(),
            tail: Default::default(),
            lnz: Default::default(),
            e_left: Default::default(),
            e_raddr: Default::default(),
            e_arow: Default::default(),
            e_swap: Default::default(),
            e_first: Default::default(),
            tail_len: Constant::new(
                ((MXU_RUN_TAIL + cfg.array_feed_stages + cfg.bank_read_stages) as u64).to_bits(),
            ),
            tail_mask: crate::range_mask(
                MXU_RUN_TAIL + cfg.array_feed_stages + cfg.bank_read_stages + 1,
            ),
            // The issue checks (docs/isa.md, RANGE) guarantee a + rows <= act_depth and
            // acc + rows <= acc_depth: the masks let synthesis drop the constant upper
            // bits of the counters.
            rows_mask: crate::range_mask(cfg.act_depth.min(cfg.acc_depth) + 1),
            a_mask: crate::range_mask(cfg.act_depth),
            acc_mask: crate::range_mask(cfg.acc_depth),
        }
    }
}

impl Logic for MxuRun {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left, raddr, arow, r_swap, r_first, tail, lnz);
        // The issue arrives registered: this cycle's state is the issue's.
        self.e_left.next = self.left.q.val();
        self.e_raddr.next = self.raddr.q.val();
        self.e_arow.next = self.arow.q.val();
        self.e_swap.next = self.r_swap.q.val();
        self.e_first.next = self.r_first.q.val();
        if self.issue.val() {
            self.e_left.next = self.rows.val() & self.rows_mask.val();
            self.e_arow.next = self.acc.val() & self.acc_mask.val();
            self.e_swap.next = self.swap_in.val();
            self.e_first.next = !self.accumulate.val();
        }
        // The read address switches on `pre` (a legal issue finds `left` = 0; `lnz` is
        // `left != 0`), so that `fault_r` is not on the bank address path.
        if self.pre.val() & !self.lnz.q.val() {
            self.e_raddr.next = self.a.val() & self.a_mask.val();
        }
        // Every value a masked register takes is masked, its hold value too: only then
        // does synthesis see constant upper flip-flops.
        self.left.d.next = self.e_left.val() & self.rows_mask.val();
        self.raddr.d.next = self.e_raddr.val() & self.a_mask.val();
        self.arow.d.next = self.e_arow.val() & self.acc_mask.val();
        self.tail.d.next = self.tail.q.val() & self.tail_mask.val();
        self.r_swap.d.next = self.e_swap.val();
        self.r_first.d.next = self.e_first.val();
        // An issued run has `rows` >= 1 (RANGE refuses the others): the read enable and
        // the activity come from the strobe and `lnz` (`left != 0`, set from `ready`'s
        // compare: `e_left > 1` leaves `left = e_left - 1 != 0`), not through `e_left`.
        self.re.next = self.issue.val() | self.lnz.q.val();
        self.addr.next = self.e_raddr.val();
        self.swap.next = self.e_swap.val();
        self.first.next = self.e_first.val();
        self.acc_addr.next = self.e_arow.val();
        self.ready.next = self.e_left.val() <= 1;
        self.lnz.d.next = !self.ready.val();
        self.active.next = self.re.val() | (self.tail.q.val() != 0);
        if self.tail.q.val() != 0 {
            self.tail.d.next = (self.tail.q.val() - 1) & self.tail_mask.val();
        }
        if self.e_left.val() != 0 {
            self.left.d.next = (self.e_left.val() - 1) & self.rows_mask.val();
            self.raddr.d.next = (self.e_raddr.val() + 1) & self.a_mask.val();
            self.arow.d.next = (self.e_arow.val() + 1) & self.acc_mask.val();
            self.r_swap.d.next = false;
            if self.e_left.val() == 1 {
                self.tail.d.next = self.tail_len.val();
            }
        }
    }
}
