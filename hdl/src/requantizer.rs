//! `Requantizer`: the vector path's requantize/ReLU unit. It streams accumulator rows
//! through `requant_lanes` [`RequantLane`]s and writes int8 vectors into an SRAM bank.
//!
//! ```text
//!   param_we/col/bias/m/s --> per-column parameter registers
//!   start, rows, acc_base, dst_bank, dst_base, relu
//!        |
//!   acc_raddr --> Accumulator --> acc_rdata[cols] --(column group `beat`)--> RequantLane x rql
//!                                                                                  |
//!                         out_we, out_bank, out_addr, out_data[lanes] <-- row register
//! ```
//! Row `i` of the accumulator (`acc_base + i`, `i < rows`) becomes the int8 vector at
//! `dst_base + i` of bank `dst_bank`; lanes `cols..lanes` of that vector are zero.
//! Each row takes `beats = cols / rql` cycles: in beat `g` the row is read again and
//! columns `g*rql .. g*rql+rql` go through the lanes with their own parameters; the
//! results collect in a row register that is written after the last beat.
//! - **Run time**: a command keeps `busy` for exactly `rows * beats + RQ_DRAIN` cycles
//!   (`RQ_DRAIN` = 1 accumulator read + [`REQUANT_LANE_LATENCY`] + 1 row register); the
//!   last write lands on the edge where `busy` falls.
//! - **Throughput**: `rql` values per cycle.
//! - **Reset**: none; idle at power-up. Parameters power up to zero.

use crate::delay::Delay;
use crate::requant_lane::{RequantLane, REQUANT_LANE_LATENCY};
use rust_hdl::prelude::*;

/// Cycles a requantize command stays busy after issuing its last read.
pub const RQ_DRAIN: usize = 1 + REQUANT_LANE_LATENCY + 1;

/// Requantize/ReLU unit with its parameter registers and row sequencer.
#[derive(LogicBlock)]
pub struct Requantizer {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Write the parameters of column `param_col` at this edge.
    pub param_we: Signal<In, Bit>,
    /// Column whose parameters are written.
    pub param_col: Signal<In, Bits<8>>,
    /// Bias (int32) for `param_col`.
    pub param_bias: Signal<In, Bits<32>>,
    /// Multiplier (uint16) for `param_col`.
    pub param_m: Signal<In, Bits<16>>,
    /// Shift (0..=47) for `param_col`.
    pub param_s: Signal<In, Bits<6>>,
    /// Start a command (sampled while idle).
    pub start: Signal<In, Bit>,
    /// Rows to requantize (>= 1); sampled with `start`.
    pub rows: Signal<In, Bits<16>>,
    /// First accumulator row; sampled with `start`.
    pub acc_base: Signal<In, Bits<16>>,
    /// Destination bank; sampled with `start`.
    pub dst_bank: Signal<In, Bits<8>>,
    /// First destination word; sampled with `start`.
    pub dst_base: Signal<In, Bits<16>>,
    /// Apply ReLU; sampled with `start`.
    pub relu: Signal<In, Bit>,
    /// High from the edge after `start` until the last write has landed.
    pub busy: Signal<Out, Bit>,
    /// Accumulator row to read this cycle (valid while `busy`).
    pub acc_raddr: Signal<Out, Bits<16>>,
    /// Accumulator row read at the previous cycle's `acc_raddr`.
    pub acc_rdata: Vec<Signal<In, Bits<32>>>,
    /// Write `out_data` into `out_bank` at `out_addr` this cycle.
    pub out_we: Signal<Out, Bit>,
    /// Destination bank of the write.
    pub out_bank: Signal<Out, Bits<8>>,
    /// Destination word of the write.
    pub out_addr: Signal<Out, Bits<16>>,
    /// The int8 vector to write (lanes >= cols are zero).
    pub out_data: Vec<Signal<Out, Bits<8>>>,
    bias: Vec<DFF<Bits<32>>>,
    m: Vec<DFF<Bits<16>>>,
    s: Vec<DFF<Bits<6>>>,
    lanes: Vec<RequantLane>,
    row: Vec<DFF<Bits<8>>>,
    run: DFF<Bit>,
    issuing: DFF<Bit>,
    left: DFF<Bits<16>>,
    beat: DFF<Bits<8>>,
    drain: DFF<Bits<8>>,
    raddr: DFF<Bits<16>>,
    r_relu: DFF<Bit>,
    r_bank: DFF<Bits<8>>,
    waddr: DFF<Bits<16>>,
    beat_in: Delay<8>,
    beat_out: Delay<8>,
    valid_out: Delay<1>,
    last_write: Delay<1>,
    last_beat: Signal<Local, Bit>,
    beats_m1: Constant<Bits<8>>,
    drain_len: Constant<Bits<8>>,
    _cols: usize,
    _lanes: usize,
    _rql: usize,
    _beats: usize,
}

impl Requantizer {
    /// A unit for `cols` columns, `rql` lanes (dividing `cols`), writing
    /// `lanes`-wide vectors; lane multipliers in DSPs when `dsp`.
    pub fn new(cols: usize, lanes: usize, rql: usize, dsp: bool) -> Self {
        assert!(rql >= 1 && cols % rql == 0, "rql {rql}");
        let beats = cols / rql;
        Self {
            clock: Default::default(),
            param_we: Default::default(),
            param_col: Default::default(),
            param_bias: Default::default(),
            param_m: Default::default(),
            param_s: Default::default(),
            start: Default::default(),
            rows: Default::default(),
            acc_base: Default::default(),
            dst_bank: Default::default(),
            dst_base: Default::default(),
            relu: Default::default(),
            busy: Default::default(),
            acc_raddr: Default::default(),
            acc_rdata: crate::vec_of(cols),
            out_we: Default::default(),
            out_bank: Default::default(),
            out_addr: Default::default(),
            out_data: crate::vec_of(lanes),
            bias: crate::vec_of(cols),
            m: crate::vec_of(cols),
            s: crate::vec_of(cols),
            lanes: (0..rql).map(|_| RequantLane::new(dsp)).collect(),
            row: crate::vec_of(cols),
            run: Default::default(),
            issuing: Default::default(),
            left: Default::default(),
            beat: Default::default(),
            drain: Default::default(),
            raddr: Default::default(),
            r_relu: Default::default(),
            r_bank: Default::default(),
            waddr: Default::default(),
            beat_in: Delay::new(1),
            beat_out: Delay::new(1 + REQUANT_LANE_LATENCY),
            valid_out: Delay::new(1 + REQUANT_LANE_LATENCY),
            last_write: Delay::new(RQ_DRAIN),
            last_beat: Default::default(),
            beats_m1: Constant::new(((beats - 1) as u64).to_bits()),
            drain_len: Constant::new((RQ_DRAIN as u64).to_bits()),
            _cols: cols,
            _lanes: lanes,
            _rql: rql,
            _beats: beats,
        }
    }
}

/// End of a one-iteration loop that brings a size into rust-hdl index expressions.
fn one_more(n: usize) -> usize {
    n + 1
}

impl Logic for Requantizer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, run, issuing, left, beat, drain, raddr, r_relu, r_bank, waddr);
        clock!(self, clock, beat_in, beat_out, valid_out, last_write);
        // Row sequencer: `issuing` while reads go out (beats per row), then drain.
        self.last_beat.next = self.beat.q.val() == self.beats_m1.val();
        if self.run.q.val() {
            if self.issuing.q.val() {
                self.beat.d.next = self.beat.q.val() + 1;
                if self.last_beat.val() {
                    self.beat.d.next = 0.into();
                    self.raddr.d.next = self.raddr.q.val() + 1;
                    self.left.d.next = self.left.q.val() - 1;
                    if self.left.q.val() == 1 {
                        self.issuing.d.next = false;
                        self.drain.d.next = self.drain_len.val();
                    }
                }
            } else {
                self.drain.d.next = self.drain.q.val() - 1;
                if self.drain.q.val() == 1 {
                    self.run.d.next = false;
                }
            }
        } else if self.start.val() {
            self.run.d.next = true;
            self.issuing.d.next = true;
            self.left.d.next = self.rows.val();
            self.beat.d.next = 0.into();
            self.raddr.d.next = self.acc_base.val();
            self.r_relu.d.next = self.relu.val();
            self.r_bank.d.next = self.dst_bank.val();
            self.waddr.d.next = self.dst_base.val();
        }
        self.busy.next = self.run.q.val();
        self.acc_raddr.next = self.raddr.q.val();
        // Tags: the beat meets its data one clock after the read, and its results
        // REQUANT_LANE_LATENCY clocks later; a row is written one clock after that.
        self.beat_in.d.next = self.beat.q.val();
        self.beat_out.d.next = self.beat.q.val();
        self.valid_out.d.next = (self.run.q.val() & self.issuing.q.val()).into();
        self.last_write.d.next =
            (self.run.q.val() & self.issuing.q.val() & self.last_beat.val()).into();
        self.out_we.next = self.last_write.q.val().any();
        self.out_bank.next = self.r_bank.q.val();
        self.out_addr.next = self.waddr.q.val();
        if self.out_we.val() {
            self.waddr.d.next = self.waddr.q.val() + 1;
        }
        for l in 0..self._lanes {
            self.out_data[l].next = 0.into();
        }
        for c in 0..self._cols {
            self.bias[c].clock.next = self.clock.val();
            self.m[c].clock.next = self.clock.val();
            self.s[c].clock.next = self.clock.val();
            self.row[c].clock.next = self.clock.val();
            self.bias[c].d.next = self.bias[c].q.val();
            self.m[c].d.next = self.m[c].q.val();
            self.s[c].d.next = self.s[c].q.val();
            self.row[c].d.next = self.row[c].q.val();
            if self.param_we.val() & (self.param_col.val().index() == c) {
                self.bias[c].d.next = self.param_bias.val();
                self.m[c].d.next = self.param_m.val();
                self.s[c].d.next = self.param_s.val();
            }
            self.out_data[c].next = self.row[c].q.val();
        }
        // Column groups through the lanes: `nr` brings `rql` into index expressions.
        for nr in self._rql..one_more(self._rql) {
            for r in 0..self._rql {
                self.lanes[r].clock.next = self.clock.val();
                self.lanes[r].relu.next = self.r_relu.q.val();
                self.lanes[r].c.next = self.acc_rdata[r].val();
                self.lanes[r].bias.next = self.bias[r].q.val();
                self.lanes[r].m.next = self.m[r].q.val();
                self.lanes[r].s.next = self.s[r].q.val();
                for g in 0..self._beats {
                    if self.beat_in.q.val().index() == g {
                        self.lanes[r].c.next = self.acc_rdata[g * nr + r].val();
                        self.lanes[r].bias.next = self.bias[g * nr + r].q.val();
                        self.lanes[r].m.next = self.m[g * nr + r].q.val();
                        self.lanes[r].s.next = self.s[g * nr + r].q.val();
                    }
                    if self.valid_out.q.val().any() & (self.beat_out.q.val().index() == g) {
                        self.row[g * nr + r].d.next = self.lanes[r].y.val();
                    }
                }
            }
        }
    }
}
