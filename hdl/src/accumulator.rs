//! `Accumulator`: the int32 accumulator memory with its read-modify-write adder.
//!
//! ```text
//!   valid, first, addr --> [stage] --+--> acc[addr] = (first ? 0 : acc[addr]) + partial
//!   partial[cols] -------> [stage] --+
//!   raddr (when !valid) --> mem --> rdata[cols]
//! ```
//! Each cycle with `valid` it adds the row `partial` (one int32 per column) into
//! row `addr`, or overwrites it when `first` (the first K slice of a tile).
//! - **Latency**: the sum is written at the second rising edge after the inputs (edge
//!   t samples them and reads the old row, edge t+1 writes). A row updated at address
//!   `a` may be updated again on the very next cycle: the last written row is forwarded
//!   around the memory, so back-to-back updates of one row are exact.
//! - **Throughput**: one row update per cycle.
//! - **Reads**: when `valid` is low the memory's read port serves `raddr`; `rdata` is
//!   the row at the `raddr` of the previous cycle.
//! - **Reset**: none; the memory powers up to zero.

use crate::sram_bank::SramBank;
use rust_hdl::prelude::*;

/// The accumulator memory and adder.
#[derive(LogicBlock)]
pub struct Accumulator {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Update row `addr` with `partial` this cycle.
    pub valid: Signal<In, Bit>,
    /// With `valid`: overwrite instead of add.
    pub first: Signal<In, Bit>,
    /// Row to update; valid with `valid`.
    pub addr: Signal<In, Bits<16>>,
    /// Values to add, one int32 per column; valid with `valid`.
    pub partial: Vec<Signal<In, Bits<32>>>,
    /// Row to read when `valid` is low.
    pub raddr: Signal<In, Bits<16>>,
    /// Row read at the previous cycle's `raddr`, one int32 per column.
    pub rdata: Vec<Signal<Out, Bits<32>>>,
    mem: SramBank<32>,
    s_valid: DFF<Bit>,
    s_first: DFF<Bit>,
    s_addr: DFF<Bits<16>>,
    s_partial: Vec<DFF<Bits<32>>>,
    lw_valid: DFF<Bit>,
    lw_addr: DFF<Bits<16>>,
    lw_data: Vec<DFF<Bits<32>>>,
    bypass: Signal<Local, Bit>,
    old: Vec<Signal<Local, Bits<32>>>,
    _cols: usize,
}

impl Accumulator {
    /// `depth` rows of `cols` int32.
    pub fn new(cols: usize, depth: usize) -> Self {
        Self {
            clock: Default::default(),
            valid: Default::default(),
            first: Default::default(),
            addr: Default::default(),
            partial: crate::vec_of(cols),
            raddr: Default::default(),
            rdata: crate::vec_of(cols),
            mem: SramBank::new(cols, depth, 1),
            s_valid: Default::default(),
            s_first: Default::default(),
            s_addr: Default::default(),
            s_partial: crate::vec_of(cols),
            lw_valid: Default::default(),
            lw_addr: Default::default(),
            lw_data: crate::vec_of(cols),
            bypass: Default::default(),
            old: crate::vec_of(cols),
            _cols: cols,
        }
    }
}

impl Logic for Accumulator {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s_valid, s_first, s_addr, lw_valid, lw_addr);
        self.mem.clock.next = self.clock.val();
        self.mem.raddr[0].next = self.raddr.val();
        if self.valid.val() {
            self.mem.raddr[0].next = self.addr.val();
        }
        self.s_valid.d.next = self.valid.val();
        self.s_first.d.next = self.first.val();
        self.s_addr.d.next = self.addr.val();
        self.bypass.next = self.lw_valid.q.val() & (self.lw_addr.q.val() == self.s_addr.q.val());
        self.mem.we.next = 0.into();
        if self.s_valid.q.val() {
            self.mem.we.next = 1.into();
        }
        self.mem.waddr[0].next = self.s_addr.q.val();
        self.lw_valid.d.next = self.s_valid.q.val();
        self.lw_addr.d.next = self.s_addr.q.val();
        for c in 0..self._cols {
            self.s_partial[c].clock.next = self.clock.val();
            self.lw_data[c].clock.next = self.clock.val();
            self.s_partial[c].d.next = self.partial[c].val();
            // One adder per column: the old value (0 on `first`, else the forwarded
            // last write or the memory's row) is chosen before it.
            self.old[c].next = self.mem.rdata[c].val();
            if self.bypass.val() {
                self.old[c].next = self.lw_data[c].q.val();
            }
            if self.s_first.q.val() {
                self.old[c].next = 0.into();
            }
            self.mem.wdata[c].next = self.old[c].val() + self.s_partial[c].q.val();
            self.lw_data[c].d.next = self.mem.wdata[c].val();
            self.rdata[c].next = self.mem.rdata[c].val();
        }
    }
}
