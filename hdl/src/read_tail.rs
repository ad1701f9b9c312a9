//! `ReadTail`: a unit's activity in the `b` cycles after its last bank read, while its
//! words are still in the tile's bank read stages (`TileConfig::bank_read_stages`); the
//! host port holds its load strobe with one.
//!
//! ```text
//!   read --> [count: b, b-1, .., 1, 0] --> busy
//! ```
//! - **Latency**: `busy` is high in the `b` cycles after each cycle `read` is high (and
//!   so through the `b` cycles after the last read of a run of them).
//! - **Throughput**: `read` may be high every cycle.
//! - **Reset**: none; powers up idle.
//!
//! Example (`b = 2`):
//! ```text
//! clock  _/‾\_/‾\_/‾\_/‾\_/‾\_
//! read   ‾‾‾‾‾‾‾‾‾‾‾\_________
//! busy   ___________/‾‾‾‾‾‾‾\_
//! ```

use rust_hdl::prelude::*;

/// Activity for the `b` cycles after a read.
#[derive(LogicBlock)]
pub struct ReadTail {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The unit reads a bank this cycle.
    pub read: Signal<In, Bit>,
    /// One of the last `b` cycles had a read (combinational from a register).
    pub busy: Signal<Out, Bit>,
    left: DFF<Bits<2>>,
    k_b: Constant<Bits<2>>,
}

impl ReadTail {
    /// The tail of `b` (1 to 3) stages.
    pub fn new(b: usize) -> Self {
        assert!((1..=3).contains(&b), "bank read stages {b}");
        Self {
            clock: Default::default(),
            read: Default::default(),
            busy: Default::default(),
            left: Default::default(),
            k_b: Constant::new((b as u64).to_bits()),
        }
    }
}

impl Logic for ReadTail {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, left);
        self.left.d.next = 0.into();
        if self.left.q.val() != 0 {
            self.left.d.next = self.left.q.val() - 1;
        }
        if self.read.val() {
            self.left.d.next = self.k_b.val();
        }
        self.busy.next = self.left.q.val() != 0;
    }
}

/// A `b`-stage [`ReadTail`] as a vector of one (none for `b = 0`).
pub(crate) fn read_tails(b: usize) -> Vec<ReadTail> {
    (0..b.min(1)).map(|_| ReadTail::new(b)).collect()
}
