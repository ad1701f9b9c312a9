//! `Tile`: the minilpu tile top for Step 1. It only wires: SRAM banks, the matmul
//! array, the accumulator, the requantizer, the matmul controller and a simple
//! host/command port.
//!
//! ```text
//!  host_we/bank/addr/wdata --> bank 0 (activations) --+--> MatmulArray --> Accumulator --> acc_rdata
//!  host_rbank/raddr -------->  banks 1.. (weights) ----+         ^              |
//!                 host_rdata <-- bank read mux                   |              v
//!  mm_* (start, m, kt, nt, bases) --> MatmulController -- tags --+        Requantizer --> bank write
//!  rq_* (params, start, rows, ...) -------------------------------------------^
//!  busy, cycles
//! ```
//! **Host protocol** (one command at a time; `busy` low between commands):
//! - write SRAM: `host_we`, `host_bank` (0 = activations, 1.. = weights), `host_addr`,
//!   `host_wdata`; only while idle;
//! - read SRAM: present `host_rbank`/`host_raddr`; `host_rdata` holds the word one
//!   clock later; read the accumulator the same way with `acc_raddr`/`acc_rdata`;
//! - matmul: set `mm_*`, pulse `mm_start` for one clock; `busy` rises after that
//!   edge and falls after exactly the predicted number of cycles;
//! - requantize: write each column's `rq_bias/m/s` with `rq_param_we`; set `rq_*`,
//!   pulse `rq_start`;
//! - `cycles` counts the busy cycles of the last command (reset by a start).
//!
//! - **Latency**: see [`MatmulController`] and [`Requantizer`]; all fixed.
//! - **Reset**: none; every register powers up to zero, so the tile is idle.

use crate::matmul_array::ARRAY_LATENCY;
use crate::MulImpl;
use crate::{Accumulator, Delay, MatmulArray, MatmulController, Requantizer, SramBank};
use minilpu_model::{BankKind, DspStyle, TileConfig};
use rust_hdl::prelude::*;

/// The tile.
#[derive(LogicBlock)]
pub struct Tile {
    /// The one clock.
    pub clock: Signal<In, Clock>,
    /// Host write enable (ignored while busy).
    pub host_we: Signal<In, Bit>,
    /// Bank the host writes: 0 activations, 1..banks-1 weights.
    pub host_bank: Signal<In, Bits<8>>,
    /// Word the host writes.
    pub host_addr: Signal<In, Bits<16>>,
    /// Vector the host writes (one int8 per lane).
    pub host_wdata: Vec<Signal<In, Bits<8>>>,
    /// Bank the host reads.
    pub host_rbank: Signal<In, Bits<8>>,
    /// Word the host reads (only while idle).
    pub host_raddr: Signal<In, Bits<16>>,
    /// Word read at the previous cycle's `host_rbank`/`host_raddr`.
    pub host_rdata: Vec<Signal<Out, Bits<8>>>,
    /// Accumulator row the host reads (only while idle).
    pub acc_raddr: Signal<In, Bits<16>>,
    /// Accumulator row read at the previous cycle's `acc_raddr` (int32 per column).
    pub acc_rdata: Vec<Signal<Out, Bits<32>>>,
    /// Start a matmul (one-clock pulse while idle).
    pub mm_start: Signal<In, Bit>,
    /// Matmul rows M.
    pub mm_m: Signal<In, Bits<16>>,
    /// Matmul K tiles.
    pub mm_kt: Signal<In, Bits<16>>,
    /// Matmul N tiles.
    pub mm_nt: Signal<In, Bits<16>>,
    /// Activation base word (bank 0).
    pub mm_a_base: Signal<In, Bits<16>>,
    /// Weight base word (every weight bank).
    pub mm_w_base: Signal<In, Bits<16>>,
    /// Accumulator base row.
    pub mm_acc_base: Signal<In, Bits<16>>,
    /// Write requantization parameters of column `rq_param_col`.
    pub rq_param_we: Signal<In, Bit>,
    /// Column of the parameters written.
    pub rq_param_col: Signal<In, Bits<8>>,
    /// Bias (int32).
    pub rq_bias: Signal<In, Bits<32>>,
    /// Multiplier (uint16).
    pub rq_m: Signal<In, Bits<16>>,
    /// Shift (0..=47).
    pub rq_s: Signal<In, Bits<6>>,
    /// Start a requantization (one-clock pulse while idle).
    pub rq_start: Signal<In, Bit>,
    /// Rows to requantize.
    pub rq_rows: Signal<In, Bits<16>>,
    /// First accumulator row.
    pub rq_acc_base: Signal<In, Bits<16>>,
    /// Destination bank.
    pub rq_dst_bank: Signal<In, Bits<8>>,
    /// First destination word.
    pub rq_dst_base: Signal<In, Bits<16>>,
    /// Apply ReLU.
    pub rq_relu: Signal<In, Bit>,
    /// A command is running.
    pub busy: Signal<Out, Bit>,
    /// Busy cycles of the last command.
    pub cycles: Signal<Out, Bits<32>>,
    act_bank: SramBank<8>,
    wbank: SramBank<8>,
    wbank_we: Signal<Local, Bits<16>>,
    array: MatmulArray,
    acc: Accumulator,
    rq: Requantizer,
    ctrl: MatmulController,
    swap_d: DFF<Bit>,
    wvalid_d: DFF<Bit>,
    wsel_d: DFF<Bits<8>>,
    rsel: DFF<Bits<8>>,
    tag_valid: Delay<1>,
    tag_first: Delay<1>,
    tag_addr: Delay<16>,
    cyc: DFF<Bits<32>>,
    idle: Signal<Local, Bit>,
    _lanes: usize,
    _cols: usize,
    _wb: usize,
}

impl Tile {
    /// The tile for a validated `cfg`.
    pub fn new(cfg: &TileConfig) -> Self {
        let wb = cfg.weight_banks();
        Self {
            clock: Default::default(),
            host_we: Default::default(),
            host_bank: Default::default(),
            host_addr: Default::default(),
            host_wdata: crate::vec_of(cfg.lanes),
            host_rbank: Default::default(),
            host_raddr: Default::default(),
            host_rdata: crate::vec_of(cfg.lanes),
            acc_raddr: Default::default(),
            acc_rdata: crate::vec_of(cfg.cols),
            mm_start: Default::default(),
            mm_m: Default::default(),
            mm_kt: Default::default(),
            mm_nt: Default::default(),
            mm_a_base: Default::default(),
            mm_w_base: Default::default(),
            mm_acc_base: Default::default(),
            rq_param_we: Default::default(),
            rq_param_col: Default::default(),
            rq_bias: Default::default(),
            rq_m: Default::default(),
            rq_s: Default::default(),
            rq_start: Default::default(),
            rq_rows: Default::default(),
            rq_acc_base: Default::default(),
            rq_dst_bank: Default::default(),
            rq_dst_base: Default::default(),
            rq_relu: Default::default(),
            busy: Default::default(),
            cycles: Default::default(),
            act_bank: SramBank::new(cfg.lanes, cfg.act_depth, 1),
            // One block holds all weight banks (they share the read address).
            wbank: match cfg.weight_bank_kind {
                BankKind::Bram => SramBank::new(cfg.lanes, cfg.bank_depth, wb),
                BankKind::Spram => SramBank::new_spram(cfg.lanes, wb),
            },
            wbank_we: Default::default(),
            array: MatmulArray::new(
                cfg.lanes,
                cfg.cols,
                wb,
                match cfg.dsp_style {
                    DspStyle::Infer => MulImpl::Infer,
                    DspStyle::Ice40Mac16 => MulImpl::Ice40Mac16,
                },
                cfg.array_dsp_mults,
            ),
            acc: Accumulator::new(cfg.cols, cfg.acc_depth),
            rq: Requantizer::new(cfg.cols, cfg.lanes, cfg.requant_lanes, cfg.requant_dsp),
            ctrl: MatmulController::new(cfg.install_cycles()),
            swap_d: Default::default(),
            wvalid_d: Default::default(),
            wsel_d: Default::default(),
            rsel: Default::default(),
            tag_valid: Delay::new(ARRAY_LATENCY + 1),
            tag_first: Delay::new(ARRAY_LATENCY + 1),
            tag_addr: Delay::new(ARRAY_LATENCY + 1),
            cyc: Default::default(),
            idle: Default::default(),
            _lanes: cfg.lanes,
            _cols: cfg.cols,
            _wb: wb,
        }
    }
}

impl Logic for Tile {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, swap_d, wvalid_d, wsel_d, rsel, cyc);
        clock!(self, clock, act_bank, wbank, array, acc, rq, ctrl, tag_valid, tag_first, tag_addr);
        self.idle.next = !self.ctrl.busy.val() & !self.rq.busy.val();
        self.busy.next = !self.idle.val();
        // Cycle counter of the last command.
        if self.idle.val() & (self.mm_start.val() | self.rq_start.val()) {
            self.cyc.d.next = 0.into();
        } else if !self.idle.val() {
            self.cyc.d.next = self.cyc.q.val() + 1;
        }
        self.cycles.next = self.cyc.q.val();
        // Commands.
        self.ctrl.start.next = self.mm_start.val() & self.idle.val();
        self.ctrl.m.next = self.mm_m.val();
        self.ctrl.kt.next = self.mm_kt.val();
        self.ctrl.nt.next = self.mm_nt.val();
        self.ctrl.a_base.next = self.mm_a_base.val();
        self.ctrl.w_base.next = self.mm_w_base.val();
        self.ctrl.acc_base.next = self.mm_acc_base.val();
        self.rq.param_we.next = self.rq_param_we.val() & self.idle.val();
        self.rq.param_col.next = self.rq_param_col.val();
        self.rq.param_bias.next = self.rq_bias.val();
        self.rq.param_m.next = self.rq_m.val();
        self.rq.param_s.next = self.rq_s.val();
        self.rq.start.next = self.rq_start.val() & self.idle.val() & !self.mm_start.val();
        self.rq.rows.next = self.rq_rows.val();
        self.rq.acc_base.next = self.rq_acc_base.val();
        self.rq.dst_bank.next = self.rq_dst_bank.val();
        self.rq.dst_base.next = self.rq_dst_base.val();
        self.rq.relu.next = self.rq_relu.val();
        // Tags: the issue cycle's tags meet the bank data one clock later, and the
        // array's sums ARRAY_LATENCY clocks after that.
        self.swap_d.d.next = self.ctrl.act_re.val() & self.ctrl.swap.val();
        self.wvalid_d.d.next = self.ctrl.w_re.val();
        self.wsel_d.d.next = self.ctrl.wsel.val();
        self.tag_valid.d.next = self.ctrl.act_re.val().into();
        self.tag_first.d.next = self.ctrl.acc_first.val().into();
        self.tag_addr.d.next = self.ctrl.acc_addr.val();
        self.array.swap.next = self.swap_d.q.val();
        self.array.wvalid.next = self.wvalid_d.q.val();
        self.array.wsel.next = self.wsel_d.q.val();
        self.acc.valid.next = self.tag_valid.q.val().any();
        self.acc.first.next = self.tag_first.q.val().any();
        self.acc.addr.next = self.tag_addr.q.val();
        self.acc.raddr.next = self.acc_raddr.val();
        if self.rq.busy.val() {
            self.acc.raddr.next = self.rq.acc_raddr.val();
        }
        for c in 0..self._cols {
            self.acc.partial[c].next = self.array.sum[c].val();
            self.rq.acc_rdata[c].next = self.acc.rdata[c].val();
            self.acc_rdata[c].next = self.acc.rdata[c].val();
        }
        // Bank 0: activations.
        self.rsel.d.next = self.host_rbank.val();
        self.act_bank.raddr.next = self.host_raddr.val();
        if self.ctrl.busy.val() {
            self.act_bank.raddr.next = self.ctrl.act_addr.val();
        }
        self.act_bank.we.next = 0.into();
        if (self.host_we.val() & self.idle.val() & (self.host_bank.val() == 0))
            | (self.rq.out_we.val() & (self.rq.out_bank.val() == 0))
        {
            self.act_bank.we.next = 1.into();
        }
        self.act_bank.waddr.next = self.host_addr.val();
        if self.rq.out_we.val() {
            self.act_bank.waddr.next = self.rq.out_addr.val();
        }
        for l in 0..self._lanes {
            self.array.act[l].next = self.act_bank.rdata[l].val();
            self.host_rdata[l].next = self.act_bank.rdata[l].val();
            self.act_bank.wdata[l].next = self.host_wdata[l].val();
            if self.rq.out_we.val() {
                self.act_bank.wdata[l].next = self.rq.out_data[l].val();
            }
        }
        // Weight banks: bank b + 1 is group b of the weight bank block.
        self.wbank_we.next = 0.into();
        for b in 0..self._wb {
            if (self.host_we.val() & self.idle.val() & (self.host_bank.val().index() == b + 1))
                | (self.rq.out_we.val() & (self.rq.out_bank.val().index() == b + 1))
            {
                self.wbank_we.next = self.wbank_we.val() | (1 << b);
            }
        }
        self.wbank.we.next = self.wbank_we.val();
        self.wbank.raddr.next = self.host_raddr.val();
        if self.ctrl.busy.val() {
            self.wbank.raddr.next = self.ctrl.w_addr.val();
        }
        self.wbank.waddr.next = self.host_addr.val();
        if self.rq.out_we.val() {
            self.wbank.waddr.next = self.rq.out_addr.val();
        }
        for l in 0..self._lanes {
            self.wbank.wdata[l].next = self.host_wdata[l].val();
            if self.rq.out_we.val() {
                self.wbank.wdata[l].next = self.rq.out_data[l].val();
            }
        }
        for nl in self._lanes..lanes_end(self._lanes) {
            for b in 0..self._wb {
                for l in 0..self._lanes {
                    self.array.wdata[b * nl + l].next = self.wbank.rdata[b * nl + l].val();
                    if self.rsel.q.val().index() == b + 1 {
                        self.host_rdata[l].next = self.wbank.rdata[b * nl + l].val();
                    }
                }
            }
        }
    }
}

/// End of a one-iteration loop that brings `lanes` into rust-hdl index expressions.
fn lanes_end(lanes: usize) -> usize {
    lanes + 1
}
