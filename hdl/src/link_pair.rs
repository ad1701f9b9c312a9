//! `LinkPair`: a transmitter and a receiver in one top for simulation, with the wire
//! between them left to the testbench (which adds skew and faults) and the three
//! clocks (TX, forwarded, RX) as inputs. Only wires and packs ports so that the
//! testbench touches few of them.
//!
//! ```text
//!   clk_tx --> LinkTx --tx_lanes-->  [testbench: the wire]  --rx_lanes--> LinkRx <-- clk_fwd
//!   tx_we/waddr/wdata/post/tag                                            |      <-- clk_rx
//!   tx_stat = {next_slot[1:0], busy[3:0], fdata, fstart}       rx_stat = {locked, tag[7:0], seq[7:0], slot[1:0], valid}
//! ```
//! - `tx_wdata`: the buffer word, byte `j` in bits `8j+7..8j`; `rx_rdata[j]`: byte `j`.
//! - **Latency / reset**: those of [`LinkTx`] and [`LinkRx`]; no logic of its own.

use crate::{LinkRx, LinkTx};
use minilpu_model::link::{LinkConfig, LinkConfigError};
use rust_hdl::prelude::*;

/// Transmitter and receiver with the wire outside.
#[derive(LogicBlock)]
pub struct LinkPair {
    /// Transmitter clock.
    pub clk_tx: Signal<In, Clock>,
    /// Forwarded clock at the receiver (the transmitter's clock after the wire).
    pub clk_fwd: Signal<In, Clock>,
    /// Receiver clock.
    pub clk_rx: Signal<In, Clock>,
    /// TX buffer write enable.
    pub tx_we: Signal<In, Bit>,
    /// TX buffer word address.
    pub tx_waddr: Signal<In, Bits<16>>,
    /// TX buffer word.
    pub tx_wdata: Signal<In, Bits<128>>,
    /// Post the next TX slot (`next_slot` in `tx_stat`).
    pub tx_post: Signal<In, Bit>,
    /// Tag of the posted frame.
    pub tx_tag: Signal<In, Bits<8>>,
    /// TX lanes.
    pub tx_lanes: Signal<Out, Bits<4>>,
    /// `{next_slot[1:0], busy[3:0], fdata, fstart}` (bits 7..6, 5..2, 1, 0).
    pub tx_stat: Signal<Out, Bits<8>>,
    /// Data frames sent.
    pub tx_frames: Signal<Out, Bits<32>>,
    /// RX lanes.
    pub rx_lanes: Signal<In, Bits<4>>,
    /// RX buffer read address.
    pub rx_raddr: Signal<In, Bits<16>>,
    /// RX buffer word (`W` bytes).
    pub rx_rdata: Vec<Signal<Out, Bits<8>>>,
    /// `{locked, tag[7:0], seq[7:0], slot[1:0], valid}`.
    pub rx_stat: Signal<Out, Bits<32>>,
    /// Data frames delivered.
    pub rx_frames: Signal<Out, Bits<32>>,
    /// Frames dropped for a bad CRC.
    pub rx_crc_errors: Signal<Out, Bits<32>>,
    /// Losses of lock.
    pub rx_align_lost: Signal<Out, Bits<32>>,
    /// Clock-crossing FIFO overflows.
    pub rx_overflows: Signal<Out, Bits<32>>,
    /// Data frames missing between delivered ones.
    pub rx_missing: Signal<Out, Bits<32>>,
    tx: LinkTx,
    rx: LinkRx,
    _words: usize,
}

impl LinkPair {
    /// The pair for a valid `cfg`.
    pub fn new(cfg: &LinkConfig) -> Self {
        Self {
            clk_tx: Default::default(),
            clk_fwd: Default::default(),
            clk_rx: Default::default(),
            tx_we: Default::default(),
            tx_waddr: Default::default(),
            tx_wdata: Default::default(),
            tx_post: Default::default(),
            tx_tag: Default::default(),
            tx_lanes: Default::default(),
            tx_stat: Default::default(),
            tx_frames: Default::default(),
            rx_lanes: Default::default(),
            rx_raddr: Default::default(),
            rx_rdata: crate::vec_of(cfg.word_bytes),
            rx_stat: Default::default(),
            rx_frames: Default::default(),
            rx_crc_errors: Default::default(),
            rx_align_lost: Default::default(),
            rx_overflows: Default::default(),
            rx_missing: Default::default(),
            tx: LinkTx::new(cfg),
            rx: LinkRx::new(cfg),
            _words: cfg.word_bytes,
        }
    }
}

impl Logic for LinkPair {
    #[hdl_gen]
    fn update(&mut self) {
        self.tx.clock.next = self.clk_tx.val();
        self.rx.fclk.next = self.clk_fwd.val();
        self.rx.clock.next = self.clk_rx.val();
        self.tx.wr_en.next = self.tx_we.val();
        self.tx.wr_addr.next = self.tx_waddr.val();
        for j in 0..self._words {
            self.tx.wr_data[j].next = self.tx_wdata.val().get_bits::<8>(8 * j);
        }
        self.tx.post.next = self.tx_post.val();
        self.tx.post_tag.next = self.tx_tag.val();
        self.tx_lanes.next = self.tx.lanes.val();
        self.tx_stat.next = (bit_cast::<8, 4>(self.tx.busy.val()) << 2)
            | (bit_cast::<8, 2>(self.tx.next_slot.val()) << 6);
        if self.tx.fstart.val() {
            self.tx_stat.next = self.tx_stat.val() | 1;
        }
        if self.tx.fdata.val() {
            self.tx_stat.next = self.tx_stat.val() | 2;
        }
        self.tx_frames.next = self.tx.frames.val();
        self.rx.lanes.next = self.rx_lanes.val();
        self.rx.raddr.next = self.rx_raddr.val();
        for j in 0..self._words {
            self.rx_rdata[j].next = self.rx.rdata[j].val();
        }
        self.rx_stat.next = (bit_cast::<32, 2>(self.rx.slot.val()) << 1)
            | (bit_cast::<32, 8>(self.rx.seq.val()) << 3)
            | (bit_cast::<32, 8>(self.rx.tag.val()) << 11);
        if self.rx.valid.val() {
            self.rx_stat.next = self.rx_stat.val() | 1;
        }
        if self.rx.locked.val() {
            self.rx_stat.next = self.rx_stat.val() | (1 << 19);
        }
        self.rx_frames.next = self.rx.frames.val();
        self.rx_crc_errors.next = self.rx.crc_errors.val();
        self.rx_align_lost.next = self.rx.align_lost.val();
        self.rx_overflows.next = self.rx.overflows.val();
        self.rx_missing.next = self.rx.missing.val();
    }
}

/// The Verilog of a [`LinkPair`] for `cfg` (top module [`crate::TOP_MODULE`]).
pub fn link_pair_verilog(cfg: &LinkConfig) -> Result<String, LinkConfigError> {
    cfg.validate()?;
    let mut pair = LinkPair::new(cfg);
    pair.connect_all();
    Ok(generate_verilog(&pair))
}
