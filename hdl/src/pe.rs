//! `Pe`: the shadow half of one processing element's double-buffered int8 weight.
//! The active half is the `b` operand register of the PE's multiplier, one half of a
//! [`crate::Mul8x2`] shared with the neighbouring lane (so an iCE40 `SB_MAC16` serves
//! two PEs and holds both their active weights in its B input register).
//!
//! ```text
//!   wdata --(wload)--> shadow --> w ==(swap: Mul8x2 bload)==> active (in the Mul8x2)
//! ```
//! - **Double buffer**: `wload` writes `wdata` into the *shadow* register at the rising
//!   edge; the array's `swap` loads the multiplier's active weight from `w` at a rising
//!   edge, taking the shadow's value from before that edge (so a tile can be swapped in
//!   and the next tile's weight loaded on the same edge).
//! - **Latency**: `w` changes right after the edge with `wload`.
//! - **Throughput**: one install per cycle.
//! - **Reset**: none; powers up to zero.
//!
//! Example: `wload` with `wdata = -128` at edge t, `swap` at edge t+1: the multiplier
//! uses -128 from the product made at edge t+2 (a `swap` at edge t itself would still
//! see the old shadow).

use rust_hdl::prelude::*;

/// The shadow weight register of one PE.
#[derive(LogicBlock, Default)]
pub struct Pe {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Weight to load into the shadow register; valid with `wload`.
    pub wdata: Signal<In, Bits<8>>,
    /// Load `wdata` into the shadow weight at this rising edge.
    pub wload: Signal<In, Bit>,
    /// The shadow weight (int8), for the multiplier's active-weight register.
    pub w: Signal<Out, Bits<8>>,
    shadow: DFF<Bits<8>>,
}

impl Logic for Pe {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, shadow);
        if self.wload.val() {
            self.shadow.d.next = self.wdata.val();
        }
        self.w.next = self.shadow.q.val();
    }
}
