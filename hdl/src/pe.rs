//! `Pe`: the weight store of one processing element of the matmul array: a
//! double-buffered int8 weight. Its multiplier is half of a [`crate::Mul8x2`] shared
//! with the neighbouring lane (so an iCE40 `SB_MAC16` serves two PEs).
//!
//! ```text
//!   wdata --(wload)--> shadow --(swap)--> active --> w
//! ```
//! - **Double buffer**: `wload` writes `wdata` into the *shadow* register at the rising
//!   edge; `swap` copies the shadow into the *active* register at the rising edge,
//!   taking the shadow's value from before that edge (so a tile can be swapped in and
//!   the next tile's weight loaded on the same edge).
//! - **Latency**: `w` changes right after the edge with `swap`.
//! - **Throughput**: one install and one swap per cycle.
//! - **Reset**: none; both registers power up to zero.
//!
//! Example: `wload` with `wdata = -128` at edge t, `swap` at edge t+1: `w = -128`
//! after edge t+1 (a `swap` at edge t itself would still see the old shadow).

use rust_hdl::prelude::*;

/// A double-buffered weight register.
#[derive(LogicBlock, Default)]
pub struct Pe {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Weight to load into the shadow register; valid with `wload`.
    pub wdata: Signal<In, Bits<8>>,
    /// Load `wdata` into the shadow weight at this rising edge.
    pub wload: Signal<In, Bit>,
    /// Copy the shadow weight into the active weight at this rising edge.
    pub swap: Signal<In, Bit>,
    /// The active weight (int8) the multiplier uses.
    pub w: Signal<Out, Bits<8>>,
    shadow: DFF<Bits<8>>,
    active: DFF<Bits<8>>,
}

impl Logic for Pe {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, shadow, active);
        if self.wload.val() {
            self.shadow.d.next = self.wdata.val();
        }
        if self.swap.val() {
            self.active.d.next = self.shadow.q.val();
        }
        self.w.next = self.active.q.val();
    }
}
