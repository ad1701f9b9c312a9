//! `MatmulController`: the static schedule of one matmul command.
//!
//! ```text
//!   start, m, kt, nt, a_base, w_base, acc_base
//!        |
//!   +----v-----------------------------------------------+
//!   | prologue: install tile 0 (I cycles)                 |
//!   | for tile t in 0..kt*nt (n-major, k-minor):          |
//!   |   period of P = max(m, I) cycles:                   |--> act_re/act_addr/swap
//!   |     cycle p < m: read activation row p of tile t    |--> acc_valid/acc_first/acc_addr
//!   |     cycle p < I: install word p of tile t+1         |--> w_re/w_addr/wsel
//!   | drain: DRAIN cycles                                 |
//!   +-----------------------------------------------------+
//! ```
//! No stalls and no back-pressure: a command with `m` rows, `kt` K tiles and `nt` N
//! tiles is `busy` for exactly `I + kt*nt*max(m, I) + DRAIN` cycles, where
//! `I = ceil(cols / wb)` install cycles per weight tile and `DRAIN` =
//! 1 (SRAM read) + `ARRAY_LATENCY` + 1 (accumulator write). `minilpu_model::timing`
//! predicts the same figure.
//!
//! Tags (`swap`, `wsel`, accumulator address...) are produced in the issue cycle;
//! the tile delays them to where the data arrives.
//! - **Reset**: none; idle at power-up. `start` while busy is ignored.

use crate::matmul_array::ARRAY_LATENCY;
use rust_hdl::prelude::*;

/// Busy cycles after the last issue cycle: SRAM read, array, accumulator write.
pub const DRAIN: usize = 1 + ARRAY_LATENCY + 1;

/// The matmul command sequencer.
#[derive(LogicBlock)]
pub struct MatmulController {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Start a command (sampled while idle).
    pub start: Signal<In, Bit>,
    /// Rows of A (>= 1); sampled with `start`.
    pub m: Signal<In, Bits<16>>,
    /// K tiles (>= 1); sampled with `start`.
    pub kt: Signal<In, Bits<16>>,
    /// N tiles (>= 1); sampled with `start`.
    pub nt: Signal<In, Bits<16>>,
    /// Activation bank word of row 0, K tile 0; sampled with `start`.
    pub a_base: Signal<In, Bits<16>>,
    /// Weight bank word of tile 0, install word 0; sampled with `start`.
    pub w_base: Signal<In, Bits<16>>,
    /// Accumulator row of row 0, N tile 0; sampled with `start`.
    pub acc_base: Signal<In, Bits<16>>,
    /// High from the edge after `start` until the last accumulator write has landed.
    pub busy: Signal<Out, Bit>,
    /// Read the activation bank at `act_addr` this cycle.
    pub act_re: Signal<Out, Bit>,
    /// Activation word to read.
    pub act_addr: Signal<Out, Bits<16>>,
    /// With `act_re`: this row is the first of a tile (make the new weights active).
    pub swap: Signal<Out, Bit>,
    /// With `act_re`: first K tile (overwrite the accumulator row).
    pub acc_first: Signal<Out, Bit>,
    /// With `act_re`: accumulator row the result goes to.
    pub acc_addr: Signal<Out, Bits<16>>,
    /// Read install word `wsel` from every weight bank at `w_addr` this cycle.
    pub w_re: Signal<Out, Bit>,
    /// Weight bank word to read.
    pub w_addr: Signal<Out, Bits<16>>,
    /// Install word index of this read.
    pub wsel: Signal<Out, Bits<8>>,
    run: DFF<Bit>,
    phase: DFF<Bits<2>>,
    p: DFF<Bits<16>>,
    r_m: DFF<Bits<16>>,
    r_kt: DFF<Bits<16>>,
    r_nt: DFF<Bits<16>>,
    r_period: DFF<Bits<16>>,
    r_abase: DFF<Bits<16>>,
    ki: DFF<Bits<16>>,
    ni: DFF<Bits<16>>,
    a_row: DFF<Bits<16>>,
    acc_row: DFF<Bits<16>>,
    waddr: DFF<Bits<16>>,
    last_tile: Signal<Local, Bit>,
    /// Phase codes: installing tile 0, running tile periods, draining.
    ph_prologue: Constant<Bits<2>>,
    ph_periods: Constant<Bits<2>>,
    ph_drain: Constant<Bits<2>>,
    install: Constant<Bits<16>>,
    drain: Constant<Bits<16>>,
}

impl MatmulController {
    /// A controller for an array whose weight tiles install in `install` cycles.
    pub fn new(install: usize) -> Self {
        assert!((1..=16).contains(&install));
        Self {
            clock: Default::default(),
            start: Default::default(),
            m: Default::default(),
            kt: Default::default(),
            nt: Default::default(),
            a_base: Default::default(),
            w_base: Default::default(),
            acc_base: Default::default(),
            busy: Default::default(),
            act_re: Default::default(),
            act_addr: Default::default(),
            swap: Default::default(),
            acc_first: Default::default(),
            acc_addr: Default::default(),
            w_re: Default::default(),
            w_addr: Default::default(),
            wsel: Default::default(),
            run: Default::default(),
            phase: Default::default(),
            p: Default::default(),
            r_m: Default::default(),
            r_kt: Default::default(),
            r_nt: Default::default(),
            r_period: Default::default(),
            r_abase: Default::default(),
            ki: Default::default(),
            ni: Default::default(),
            a_row: Default::default(),
            acc_row: Default::default(),
            waddr: Default::default(),
            last_tile: Default::default(),
            ph_prologue: Constant::new(0u64.to_bits()),
            ph_periods: Constant::new(1u64.to_bits()),
            ph_drain: Constant::new(2u64.to_bits()),
            install: Constant::new((install as u64).to_bits()),
            drain: Constant::new((DRAIN as u64).to_bits()),
        }
    }
}

impl Logic for MatmulController {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, run, phase, p, r_m, r_kt, r_nt, r_period, r_abase, ki, ni, a_row, acc_row,
            waddr
        );
        self.last_tile.next =
            (self.ki.q.val() + 1 == self.r_kt.q.val()) & (self.ni.q.val() + 1 == self.r_nt.q.val());
        // Issue outputs, combinational from the state.
        self.busy.next = self.run.q.val();
        self.act_re.next = self.run.q.val()
            & (self.phase.q.val() == self.ph_periods.val())
            & (self.p.q.val() < self.r_m.q.val());
        self.act_addr.next = self.a_row.q.val() + self.p.q.val();
        self.swap.next = self.p.q.val() == 0;
        self.acc_first.next = self.ki.q.val() == 0;
        self.acc_addr.next = self.acc_row.q.val() + self.p.q.val();
        self.w_re.next = self.run.q.val()
            & ((self.phase.q.val() == self.ph_prologue.val())
                | ((self.phase.q.val() == self.ph_periods.val())
                    & (self.p.q.val() < self.install.val())
                    & !self.last_tile.val()));
        self.w_addr.next = self.waddr.q.val();
        self.wsel.next = self.p.q.val().get_bits::<8>(0);
        if self.w_re.val() {
            self.waddr.d.next = self.waddr.q.val() + 1;
        }
        // State update.
        if self.run.q.val() {
            self.p.d.next = self.p.q.val() + 1;
            if self.phase.q.val() == self.ph_prologue.val() {
                if self.p.q.val() + 1 == self.install.val() {
                    self.phase.d.next = self.ph_periods.val();
                    self.p.d.next = 0.into();
                }
            } else if self.phase.q.val() == self.ph_periods.val() {
                if self.p.q.val() + 1 == self.r_period.q.val() {
                    self.p.d.next = 0.into();
                    if self.last_tile.val() {
                        self.phase.d.next = self.ph_drain.val();
                    } else if self.ki.q.val() + 1 == self.r_kt.q.val() {
                        self.ki.d.next = 0.into();
                        self.ni.d.next = self.ni.q.val() + 1;
                        self.a_row.d.next = self.r_abase.q.val();
                        self.acc_row.d.next = self.acc_row.q.val() + self.r_m.q.val();
                    } else {
                        self.ki.d.next = self.ki.q.val() + 1;
                        self.a_row.d.next = self.a_row.q.val() + self.r_m.q.val();
                    }
                }
            } else if self.p.q.val() + 1 == self.drain.val() {
                self.run.d.next = false;
            }
        } else if self.start.val() {
            self.run.d.next = true;
            self.phase.d.next = self.ph_prologue.val();
            self.p.d.next = 0.into();
            self.r_m.d.next = self.m.val();
            self.r_kt.d.next = self.kt.val();
            self.r_nt.d.next = self.nt.val();
            self.r_period.d.next = self.m.val();
            if self.m.val() < self.install.val() {
                self.r_period.d.next = self.install.val();
            }
            self.r_abase.d.next = self.a_base.val();
            self.ki.d.next = 0.into();
            self.ni.d.next = 0.into();
            self.a_row.d.next = self.a_base.val();
            self.acc_row.d.next = self.acc_base.val();
            self.waddr.d.next = self.w_base.val();
        }
    }
}
