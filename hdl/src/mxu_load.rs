//! `MxuLoad`: the weight-install port of the matmul unit (`mxu.load w`, and the `load`
//! of `mxu.run`).
//!
//! ```text
//!   issue, w --> [left, addr, k] --> re, addr (all weight banks), wsel = k
//!                                --> ready, active
//! ```
//! Issued at cycle `t`, it reads install word `k` at weight-bank word `w + k` in cycle
//! `t+1+k` for `k < I`; the array latches it into the shadow weights at the end of
//! `t+2+b+f+k` (`f`: `TileConfig::array_feed_stages`; `b`: `TileConfig::bank_read_stages`,
//! the tile's register on the banks' read address).
//! - **Occupancy**: `ready` is high from cycle `t+I` on (a new install may issue then).
//! - **Activity**: `active` is high in `t+1 ..= t+I+1` (until the last shadow write
//!   when `b = f = 0`; the tile counts the `b` cycles after, the array's `feed_pending`
//!   the `f` cycles after those).
//! - **Reset**: none; idle at power-up.

use minilpu_model::TileConfig;
use rust_hdl::prelude::*;

/// The install sequencer.
#[derive(LogicBlock)]
pub struct MxuLoad {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// An install was issued in the previous cycle `t` (when `ready`; the sequencer's
    /// registered strobe): this cycle, `t+1`, runs as if it had been latched at the end of `t`.
    pub issue: Signal<In, Bit>,
    /// The issue strobe before a refusal withdraws it: for the read address and bank
    /// multiplexers only, while idle (the contract is at [`crate::Sequencer::pre_mxl`]).
    pub pre: Signal<In, Bit>,
    /// First weight word of the tile; valid with `issue`.
    pub w: Signal<In, Bits<16>>,
    /// Can accept an `issue` this cycle.
    pub ready: Signal<Out, Bit>,
    /// Has effects pending in this or a later cycle.
    pub active: Signal<Out, Bit>,
    /// Read the weight banks this cycle.
    pub re: Signal<Out, Bit>,
    /// Weight-bank word to read.
    pub addr: Signal<Out, Bits<16>>,
    /// Install word index of this read (selects the columns it feeds).
    pub wsel: Signal<Out, Bits<8>>,
    left: DFF<Bits<8>>,
    waddr: DFF<Bits<16>>,
    k: DFF<Bits<8>>,
    tail: DFF<Bit>,
    e_left: Signal<Local, Bits<8>>,
    e_waddr: Signal<Local, Bits<16>>,
    e_k: Signal<Local, Bits<8>>,
    install: Constant<Bits<8>>,
    left_mask: Constant<Bits<8>>,
    k_mask: Constant<Bits<8>>,
    w_mask: Constant<Bits<16>>,
}

impl MxuLoad {
    /// An install port for the tile `cfg` (tiles of `cfg.install_cycles()` words).
    pub fn new(cfg: &TileConfig) -> Self {
        let install = cfg.install_cycles();
        Self {
            clock: Default::default(),
            issue: Default::default(),
            pre: Default::default(),
            w: Default::default(),
            ready: Default::default(),
            active: Default::default(),
            re: Default::default(),
            addr: Default::default(),
            wsel: Default::default(),
            left: Default::default(),
            waddr: Default::default(),
            k: Default::default(),
            tail: Default::default(),
            e_left: Default::default(),
            e_waddr: Default::default(),
            e_k: Default::default(),
            install: Constant::new((install as u64).to_bits()),
            // left <= install, k < install, and the issue checks (docs/isa.md, RANGE)
            // guarantee w + install <= bank_depth: the masks let synthesis drop the
            // constant upper bits of the counters.
            left_mask: crate::range_mask(install + 1),
            k_mask: crate::range_mask(install),
            w_mask: crate::range_mask(cfg.bank_depth),
        }
    }
}

impl Logic for MxuLoad {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left, waddr, k, tail);
        // The issue arrives registered: this cycle's state is the issue's.
        self.e_left.next = self.left.q.val();
        self.e_waddr.next = self.waddr.q.val();
        self.e_k.next = self.k.q.val();
        if self.issue.val() {
            self.e_left.next = self.install.val();
            self.e_k.next = 0.into();
        }
        // The read address switches on `pre` (a legal issue finds `left` = 0), so that
        // `fault_r` is not on the weight banks' address path.
        if self.pre.val() & (self.left.q.val() == 0) {
            self.e_waddr.next = self.w.val() & self.w_mask.val();
        }
        // Every value a masked register takes is masked, its hold value too: only then
        // does synthesis see constant upper flip-flops.
        self.left.d.next = self.e_left.val() & self.left_mask.val();
        self.waddr.d.next = self.e_waddr.val() & self.w_mask.val();
        self.k.d.next = self.e_k.val() & self.k_mask.val();
        // An issue always reads (`install` >= 1): the read enable and the activity come
        // from the strobe and flip-flops, not through `e_left`'s multiplexer.
        self.re.next = self.issue.val() | (self.left.q.val() != 0);
        self.addr.next = self.e_waddr.val();
        self.wsel.next = self.e_k.val();
        self.ready.next = self.e_left.val() <= 1;
        self.active.next = self.re.val() | self.tail.q.val();
        self.tail.d.next = self.e_left.val() == 1;
        if self.e_left.val() != 0 {
            self.left.d.next = (self.e_left.val() - 1) & self.left_mask.val();
            self.waddr.d.next = (self.e_waddr.val() + 1) & self.w_mask.val();
            self.k.d.next = (self.e_k.val() + 1) & self.k_mask.val();
        }
    }
}
