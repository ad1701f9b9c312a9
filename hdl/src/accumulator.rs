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
//!   t samples them and reads the old row, edge t+1 writes).
//! - **Throughput**: one row update per cycle, on distinct rows or on one row at
//!   least two cycles apart. There is no forwarding: an update of row `a` whose read
//!   (edge t) lands on the edge of an earlier update's write of `a` reads undefined data,
//!   as does any read of a row on the edge it is written. The ISA makes both hazards
//!   (`docs/isa.md`, "no forwarding between instructions"; the checker,
//!   `model/src/schedule/check.rs`, rejects same-edge read/write pairs on accumulator
//!   rows, and `mxu.run` updates distinct rows), and the host reads the accumulator only
//!   while the tile is not busy; so the memory is built [`SramBank::collision_free`]
//!   (no read-first emulation) and carries no forwarding registers.
//! - **Reads**: when `valid` is low the memory's read port serves `raddr`; `rdata` is
//!   the row at the `raddr` of the previous cycle (three cycles before with the read
//!   stage).
//! - **Read stage** ([`Accumulator::read_stage`], `TileConfig::acc_read_stage`): the
//!   read port has a register on each side. The read address is registered (`ra_q`):
//!   whatever is presented in cycle `c` (`valid`'s `addr`, else `raddr`) is read in
//!   `c+1`, so the address pins of the memory's block RAMs, spread over the die, start
//!   at a flip-flop. The word read is registered (`r_r`): the read-add-write cycle then
//!   starts at a flip-flop, not at the block RAM's output (5.8 ns clock-to-out on the
//!   ECP5). `valid` and `addr` come two cycles before `first` and `partial`, the row is
//!   read one cycle before them, and the sum is written at the same edge as without the
//!   stage; an update must read a row at least one edge after the previous update's
//!   write of it (updates of one row three cycles apart). `rdata` is the row at the
//!   `raddr` of three cycles before. `32 * cols` flip-flops and the address register.
//! - **Reset**: none; the memory powers up to zero; `rdata` is undefined until the first
//!   read.

use crate::delay::Delay;
use crate::sram_bank::SramBank;
use rust_hdl::prelude::*;

/// The accumulator memory and adder.
#[derive(LogicBlock)]
pub struct Accumulator {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Update row `addr` with `partial` this cycle (with the read stage: in two cycles).
    pub valid: Signal<In, Bit>,
    /// With `valid`: overwrite instead of add.
    pub first: Signal<In, Bit>,
    /// Row to update; valid with `valid`.
    pub addr: Signal<In, Bits<16>>,
    /// Values to add, one int32 per column; valid with `valid`.
    pub partial: Vec<Signal<In, Bits<32>>>,
    /// Row to read when `valid` is low.
    pub raddr: Signal<In, Bits<16>>,
    /// Row read at the previous cycle's `raddr` (with the read stage: three cycles
    /// before), one int32 per column.
    pub rdata: Vec<Signal<Out, Bits<32>>>,
    mem: SramBank<32>,
    s_valid: DFF<Bit>,
    s_first: DFF<Bit>,
    s_addr: DFF<Bits<16>>,
    s_partial: Vec<DFF<Bits<32>>>,
    // The read stage (`_e` = 1; none when 0): the read address registered, `valid` and
    // `addr` two cycles later, and the row read, one register per column.
    ra_q: Vec<DFF<Bits<16>>>,
    e_valid: Vec<Delay<1>>,
    e_addr: Vec<Delay<16>>,
    r_r: Vec<DFF<Bits<32>>>,
    _cols: usize,
    _e: usize,
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
            // Collision-free: see the module documentation. Its read register needs no
            // power-up value: `rdata` is used only after a read.
            mem: SramBank::new(cols, depth, 1).collision_free().uninit_read(),
            s_valid: Default::default(),
            s_first: Default::default(),
            s_addr: Default::default(),
            s_partial: crate::vec_of(cols),
            ra_q: Vec::new(),
            e_valid: Vec::new(),
            e_addr: Vec::new(),
            r_r: Vec::new(),
            _cols: cols,
            _e: 0,
        }
    }

    /// With the read stage (see the module documentation) when `on`: `valid` and `addr`
    /// then come two cycles before `first` and `partial`.
    pub fn read_stage(mut self, on: bool) -> Self {
        let e = on as usize;
        self._e = e;
        self.ra_q = crate::vec_of(e);
        self.e_valid = (0..e).map(|_| Delay::new(2)).collect();
        self.e_addr = (0..e).map(|_| Delay::new(2)).collect();
        self.r_r = crate::vec_of(e * self._cols);
        self
    }
}

impl Logic for Accumulator {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s_valid, s_first, s_addr);
        self.mem.clock.next = self.clock.val();
        self.mem.raddr[0].next = self.raddr.val();
        if self.valid.val() {
            self.mem.raddr[0].next = self.addr.val();
        }
        self.s_valid.d.next = self.valid.val();
        self.s_first.d.next = self.first.val();
        self.s_addr.d.next = self.addr.val();
        for k in 0..self._e {
            self.ra_q[k].clock.next = self.clock.val();
            self.ra_q[k].d.next = self.raddr.val();
            if self.valid.val() {
                self.ra_q[k].d.next = self.addr.val();
            }
            self.mem.raddr[0].next = self.ra_q[k].q.val();
            self.e_valid[k].clock.next = self.clock.val();
            self.e_addr[k].clock.next = self.clock.val();
            self.e_valid[k].d.next = self.valid.val().into();
            self.e_addr[k].d.next = self.addr.val();
            self.s_valid.d.next = self.e_valid[k].q.val().any();
            self.s_addr.d.next = self.e_addr[k].q.val();
        }
        self.mem.we.next = 0.into();
        if self.s_valid.q.val() {
            self.mem.we.next = 1.into();
        }
        self.mem.waddr[0].next = self.s_addr.q.val();
        for c in 0..self._cols {
            self.s_partial[c].clock.next = self.clock.val();
            self.s_partial[c].d.next = self.partial[c].val();
            // One adder per column; `first` selects the partial after it (the selection
            // folds into the adder's LUTs, a zeroed operand would not).
            self.mem.wdata[c].next = self.mem.rdata[c].val() + self.s_partial[c].q.val();
            for k in 0..self._e {
                self.r_r[c + k].clock.next = self.clock.val();
                self.r_r[c + k].d.next = self.mem.rdata[c].val();
                self.mem.wdata[c].next = self.r_r[c + k].q.val() + self.s_partial[c].q.val();
            }
            if self.s_first.q.val() {
                self.mem.wdata[c].next = self.s_partial[c].q.val();
            }
            self.rdata[c].next = self.mem.rdata[c].val();
            for k in 0..self._e {
                self.rdata[c].next = self.r_r[c + k].q.val();
            }
        }
    }
}
