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
    /// An install was issued in the previous cycle `t` (when `ready`; the sequencer's
    /// registered strobe): this cycle, `t+1`, runs as if it had been latched at the end of `t`.
    pub issue: Signal<In, Bit>,
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
            e_left: Default::default(),
            e_waddr: Default::default(),
            e_k: Default::default(),
            install: Constant::new((install as u64).to_bits()),
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
            self.e_waddr.next = self.w.val();
            self.e_k.next = 0.into();
        }
        self.left.d.next = self.e_left.val();
        self.waddr.d.next = self.e_waddr.val();
        self.k.d.next = self.e_k.val();
        self.re.next = self.e_left.val() != 0;
        self.addr.next = self.e_waddr.val();
        self.wsel.next = self.e_k.val();
        self.ready.next = self.e_left.val() <= 1;
        self.active.next = (self.e_left.val() != 0) | self.tail.q.val();
        self.tail.d.next = self.e_left.val() == 1;
        if self.e_left.val() != 0 {
            self.left.d.next = self.e_left.val() - 1;
            self.waddr.d.next = self.e_waddr.val() + 1;
            self.k.d.next = self.e_k.val() + 1;
        }
    }
}
