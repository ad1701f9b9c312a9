//! `MxuLoad`: the weight-install port of the matmul unit (`mxu.load w`, and the `load`
//! of `mxu.run`).
//!
//! ```text
//!   issue, w --> [left, addr, k] --> re, addr (all weight banks), wsel = k
//!                                --> ready, active
//! ```
//! Issued at cycle `t`, it reads install word `k` at weight-bank word `w + k` in cycle
//! `t+1+k` for `k < I`; the array latches it into the shadow weights at the end of
//! `t+2+k`.
//! - **Occupancy**: `ready` is high from cycle `t+I` on (a new install may issue then).
//! - **Activity**: `active` is high in `t+1 ..= t+I+1` (until the last shadow write).
//! - **Reset**: none; idle at power-up.

use rust_hdl::prelude::*;

/// The install sequencer.
#[derive(LogicBlock)]
pub struct MxuLoad {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start an install (sampled at the rising edge; only when `ready`).
    pub issue: Signal<In, Bit>,
    /// First weight word of the tile; sampled with `issue`.
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
    install: Constant<Bits<8>>,
}

impl MxuLoad {
    /// An install port for tiles of `install` words.
    pub fn new(install: usize) -> Self {
        Self {
            clock: Default::default(),
            issue: Default::default(),
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
            install: Constant::new((install as u64).to_bits()),
        }
    }
}

impl Logic for MxuLoad {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left, waddr, k, tail);
        self.re.next = self.left.q.val() != 0;
        self.addr.next = self.waddr.q.val();
        self.wsel.next = self.k.q.val();
        self.ready.next = self.left.q.val() <= 1;
        self.active.next = (self.left.q.val() != 0) | self.tail.q.val();
        self.tail.d.next = self.left.q.val() == 1;
        if self.left.q.val() != 0 {
            self.left.d.next = self.left.q.val() - 1;
            self.waddr.d.next = self.waddr.q.val() + 1;
            self.k.d.next = self.k.q.val() + 1;
        }
        if self.issue.val() {
            self.left.d.next = self.install.val();
            self.waddr.d.next = self.w.val();
            self.k.d.next = 0.into();
        }
    }
}
