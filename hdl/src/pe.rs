//! `Pe`: one processing element of the matmul array: a double-buffered int8 weight
//! and a registered int8 x int8 multiplier.
//!
//! ```text
//!   wdata --(wload)--> shadow --(swap)--> active --+
//!                                                   v
//!   x ------------------------------------------> Mul8 --> p (int32)
//! ```
//! - **Weight double buffer**: `wload` writes `wdata` into the *shadow* register at the
//!   rising edge; `swap` copies the shadow into the *active* register at the rising
//!   edge, taking the shadow's value from before that edge (so a tile can be swapped
//!   in and the next tile's weight loaded on the same edge). Products use `active`.
//! - **Latency**: [`PE_LATENCY`] = 1 clock from `x` and `active` to `p`.
//! - **Throughput**: one MAC operand pair per cycle.
//! - **Reset**: none; weights and product power up to zero.
//!
//! Example: `active = -128` (loaded by `wload` then `swap`), `x = -128` at edge t
//! gives `p = 16384` after edge t+1.

use crate::mul8::Mul8;
use rust_hdl::prelude::*;

/// Clocks from `x` (and the active weight) to `p`.
pub const PE_LATENCY: usize = 1;

/// A weight-stationary processing element.
#[derive(LogicBlock, Default)]
pub struct Pe {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Activation (int8), registered by the array.
    pub x: Signal<In, Bits<8>>,
    /// Weight to load into the shadow register; valid with `wload`.
    pub wdata: Signal<In, Bits<8>>,
    /// Load `wdata` into the shadow weight at this rising edge.
    pub wload: Signal<In, Bit>,
    /// Copy the shadow weight into the active weight at this rising edge.
    pub swap: Signal<In, Bit>,
    /// `x * active` (int32), [`PE_LATENCY`] clock after its operands.
    pub p: Signal<Out, Bits<32>>,
    shadow: DFF<Bits<8>>,
    active: DFF<Bits<8>>,
    mul: Mul8,
}

impl Logic for Pe {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, shadow, active);
        clock!(self, clock, mul);
        if self.wload.val() {
            self.shadow.d.next = self.wdata.val();
        }
        if self.swap.val() {
            self.active.d.next = self.shadow.q.val();
        }
        self.mul.a.next = self.x.val();
        self.mul.b.next = self.active.q.val();
        self.p.next = self.mul.p.val();
    }
}
