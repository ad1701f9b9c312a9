//! `Requantizer`: the vector path's requantize/ReLU unit. It streams accumulator rows
//! through one [`RequantLane`] per column and writes int8 vectors into an SRAM bank.
//!
//! ```text
//!   param_we/col/bias/m/s --> per-column parameter registers
//!   start, rows, acc_base, dst_bank, dst_base, relu
//!        |
//!   acc_raddr --> Accumulator --> acc_rdata[cols] --> RequantLane x cols --> out_data[lanes]
//!                                                                  out_we, out_bank, out_addr
//! ```
//! Row `i` of the accumulator (`acc_base + i`, `i < rows`) becomes the int8 vector at
//! `dst_base + i` of bank `dst_bank`; lanes `cols..lanes` of that vector are zero.
//! - **Latency / run time**: a command keeps `busy` for exactly `rows + RQ_DRAIN`
//!   cycles (`RQ_DRAIN` = 1 accumulator read + [`REQUANT_LANE_LATENCY`]); the last
//!   write lands on the edge where `busy` falls.
//! - **Throughput**: one row (`cols` values) per cycle.
//! - **Reset**: none; idle at power-up. Parameters power up to zero.

use crate::delay::Delay;
use crate::requant_lane::{RequantLane, REQUANT_LANE_LATENCY};
use rust_hdl::prelude::*;

/// Cycles a requantize command stays busy after issuing its last row read.
pub const RQ_DRAIN: usize = 1 + REQUANT_LANE_LATENCY;

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
    run: DFF<Bit>,
    issuing: DFF<Bit>,
    left: DFF<Bits<16>>,
    drain: DFF<Bits<8>>,
    raddr: DFF<Bits<16>>,
    r_relu: DFF<Bit>,
    r_bank: DFF<Bits<8>>,
    wvalid: Delay<1>,
    waddr: DFF<Bits<16>>,
    wstart: DFF<Bits<16>>,
    _cols: usize,
    _lanes: usize,
    drain_len: Constant<Bits<8>>,
}

impl Requantizer {
    /// A unit for `cols` columns writing `lanes`-wide vectors.
    pub fn new(cols: usize, lanes: usize) -> Self {
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
            lanes: crate::vec_of(cols),
            run: Default::default(),
            issuing: Default::default(),
            left: Default::default(),
            drain: Default::default(),
            raddr: Default::default(),
            r_relu: Default::default(),
            r_bank: Default::default(),
            wvalid: Delay::new(RQ_DRAIN),
            waddr: Default::default(),
            wstart: Default::default(),
            _cols: cols,
            _lanes: lanes,
            drain_len: Constant::new((RQ_DRAIN as u64).to_bits()),
        }
    }
}

impl Logic for Requantizer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, run, issuing, left, drain, raddr, r_relu, r_bank, waddr, wstart);
        // Row sequencer: `issuing` while reads go out, then RQ_DRAIN cycles of drain.
        if self.run.q.val() {
            if self.issuing.q.val() {
                self.raddr.d.next = self.raddr.q.val() + 1;
                self.left.d.next = self.left.q.val() - 1;
                if self.left.q.val() == 1 {
                    self.issuing.d.next = false;
                    self.drain.d.next = self.drain_len.val();
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
            self.raddr.d.next = self.acc_base.val();
            self.r_relu.d.next = self.relu.val();
            self.r_bank.d.next = self.dst_bank.val();
            self.wstart.d.next = self.dst_base.val();
        }
        self.busy.next = self.run.q.val();
        self.acc_raddr.next = self.raddr.q.val();
        // Write tag pipeline: a read issued at cycle c is written at cycle c + RQ_DRAIN.
        self.wvalid.clock.next = self.clock.val();
        self.wvalid.d.next = (self.run.q.val() & self.issuing.q.val()).into();
        self.out_we.next = self.wvalid.q.val().any();
        self.out_bank.next = self.r_bank.q.val();
        self.out_addr.next = self.waddr.q.val();
        if self.out_we.val() {
            self.waddr.d.next = self.waddr.q.val() + 1;
        }
        if self.start.val() & !self.run.q.val() {
            self.waddr.d.next = self.dst_base.val();
        }
        for l in 0..self._lanes {
            self.out_data[l].next = 0.into();
        }
        for c in 0..self._cols {
            self.bias[c].clock.next = self.clock.val();
            self.m[c].clock.next = self.clock.val();
            self.s[c].clock.next = self.clock.val();
            self.lanes[c].clock.next = self.clock.val();
            self.bias[c].d.next = self.bias[c].q.val();
            self.m[c].d.next = self.m[c].q.val();
            self.s[c].d.next = self.s[c].q.val();
            if self.param_we.val() & (self.param_col.val().index() == c) {
                self.bias[c].d.next = self.param_bias.val();
                self.m[c].d.next = self.param_m.val();
                self.s[c].d.next = self.param_s.val();
            }
            self.lanes[c].c.next = self.acc_rdata[c].val();
            self.lanes[c].bias.next = self.bias[c].q.val();
            self.lanes[c].m.next = self.m[c].q.val();
            self.lanes[c].s.next = self.s[c].q.val();
            self.lanes[c].relu.next = self.r_relu.q.val();
            self.out_data[c].next = self.lanes[c].y.val();
        }
    }
}
