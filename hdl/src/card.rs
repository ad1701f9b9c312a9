//! `Card`: one tile with its link: [`Tile`] + [`LinkTx`] (east) + [`LinkRx`] (west),
//! the unit a ring is built from (one FPGA board). Only wires.
//!
//! ```text
//!                 +----------------------- Card (clock) ------------------------+
//!   bus_* ------->| Tile --tx_we/waddr/wdata/post/tag--> LinkTx --lanes------------> lanes_out
//!                 |      <--tx_busy, tx_next_slot------                         |   (clock is the
//!                 |      <--rx_valid/slot/seq, rdata---- LinkRx <--lanes---------- lanes_in
//!                 |      --rx_raddr------------------->       <--fclk----------- fclk_in
//!                 +-------------------------------------------------------------+
//! ```
//! - **Clocks**: `clock` runs the tile, the transmitter and the receiver's back end; it
//!   is also the forwarded clock this card sends east (the wire carries it). `fclk_in`
//!   is the west neighbour's forwarded clock, which runs the receiver's front end.
//! - **Status**: `tx_stat` = `{next_slot[1:0], busy[3:0], fdata, fstart}` (bits 7..6,
//!   5..2, 1, 0) and `rx_stat` = `{locked, tag[7:0], seq[7:0], slot[1:0], valid}` (bits
//!   19, 18..11, 10..3, 2..1, 0), as [`crate::LinkPair`]'s.
//! - **Latency / reset**: those of [`Tile`], [`LinkTx`] and [`LinkRx`]; no logic of its
//!   own.

use crate::{LinkRx, LinkTx, Tile};
use minilpu_model::{ConfigError, TileConfig};
use rust_hdl::prelude::*;

/// A tile with its link transmitter and receiver.
#[derive(LogicBlock)]
pub struct Card {
    /// The card's clock (tile, transmitter, receiver back end; forwarded east).
    pub clock: Signal<In, Clock>,
    /// The forwarded clock from the west neighbour.
    pub fclk_in: Signal<In, Clock>,
    /// Link lanes from the west neighbour (bit `l` = lane `l`).
    pub lanes_in: Signal<In, Bits<4>>,
    /// Link lanes to the east neighbour.
    pub lanes_out: Signal<Out, Bits<4>>,
    /// Host bus: write `bus_wdata` to register `bus_addr`.
    pub bus_we: Signal<In, Bit>,
    /// Host bus: read register `bus_addr`; the answer is on `bus_rdata` next cycle.
    pub bus_re: Signal<In, Bit>,
    /// Host bus register address.
    pub bus_addr: Signal<In, Bits<16>>,
    /// Host bus write data.
    pub bus_wdata: Signal<In, Bits<32>>,
    /// Host bus read data.
    pub bus_rdata: Signal<Out, Bits<32>>,
    /// The tile is running a program.
    pub busy: Signal<Out, Bit>,
    /// The last program stopped with an error.
    pub error: Signal<Out, Bit>,
    /// The receiver is locked (frames flow from the west).
    pub link_up: Signal<Out, Bit>,
    /// `{next_slot[1:0], busy[3:0], fdata, fstart}`.
    pub tx_stat: Signal<Out, Bits<8>>,
    /// `{locked, tag[7:0], seq[7:0], slot[1:0], valid}`.
    pub rx_stat: Signal<Out, Bits<32>>,
    tile: Tile,
    tx: LinkTx,
    rx: LinkRx,
    _lanes: usize,
}

impl Card {
    /// The card for a validated `cfg`.
    pub fn new(cfg: &TileConfig) -> Self {
        let link = cfg.link_config();
        Self {
            clock: Default::default(),
            fclk_in: Default::default(),
            lanes_in: Default::default(),
            lanes_out: Default::default(),
            bus_we: Default::default(),
            bus_re: Default::default(),
            bus_addr: Default::default(),
            bus_wdata: Default::default(),
            bus_rdata: Default::default(),
            busy: Default::default(),
            error: Default::default(),
            link_up: Default::default(),
            tx_stat: Default::default(),
            rx_stat: Default::default(),
            tile: Tile::new(cfg),
            tx: LinkTx::new(&link),
            rx: LinkRx::new(&link),
            _lanes: cfg.lanes,
        }
    }
}

impl Logic for Card {
    #[hdl_gen]
    fn update(&mut self) {
        self.tile.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();
        self.rx.clock.next = self.clock.val();
        self.rx.fclk.next = self.fclk_in.val();
        // Host bus and LEDs.
        self.tile.bus_we.next = self.bus_we.val();
        self.tile.bus_re.next = self.bus_re.val();
        self.tile.bus_addr.next = self.bus_addr.val();
        self.tile.bus_wdata.next = self.bus_wdata.val();
        self.bus_rdata.next = self.tile.bus_rdata.val();
        self.busy.next = self.tile.busy.val();
        self.error.next = self.tile.error.val();
        // Transmitter.
        self.tx.wr_en.next = self.tile.tx_we.val();
        self.tx.wr_addr.next = self.tile.tx_waddr.val();
        self.tx.post.next = self.tile.tx_post.val();
        self.tx.post_tag.next = self.tile.tx_tag.val();
        self.tile.tx_busy.next = self.tx.busy.val();
        self.tile.tx_next_slot.next = self.tx.next_slot.val();
        self.lanes_out.next = self.tx.lanes.val();
        // Receiver.
        self.rx.lanes.next = self.lanes_in.val();
        self.rx.raddr.next = self.tile.rx_raddr.val();
        self.tile.rx_valid.next = self.rx.valid.val();
        self.tile.rx_slot.next = self.rx.slot.val();
        self.tile.rx_seq.next = self.rx.seq.val();
        for l in 0..self._lanes {
            self.tx.wr_data[l].next = self.tile.tx_wdata[l].val();
            self.tile.rx_rdata[l].next = self.rx.rdata[l].val();
        }
        // Counters to the host registers.
        self.tile.lk_locked.next = self.rx.locked.val();
        self.tile.lk_tx_frames.next = self.tx.frames.val();
        self.tile.lk_rx_frames.next = self.rx.frames.val();
        self.tile.lk_crc_errors.next = self.rx.crc_errors.val();
        self.tile.lk_align_lost.next = self.rx.align_lost.val();
        self.tile.lk_overflows.next = self.rx.overflows.val();
        self.tile.lk_missing.next = self.rx.missing.val();
        // Status.
        self.link_up.next = self.rx.locked.val();
        self.tx_stat.next = (bit_cast::<8, 4>(self.tx.busy.val()) << 2)
            | (bit_cast::<8, 2>(self.tx.next_slot.val()) << 6);
        if self.tx.fstart.val() {
            self.tx_stat.next = self.tx_stat.val() | 1;
        }
        if self.tx.fdata.val() {
            self.tx_stat.next = self.tx_stat.val() | 2;
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
    }
}

/// The Verilog of a [`Card`] for `cfg` (validated first; top module [`crate::TOP_MODULE`]).
pub fn card_verilog(cfg: &TileConfig) -> Result<String, ConfigError> {
    cfg.validate()?;
    let mut card = Card::new(cfg);
    card.connect_all();
    Ok(generate_verilog(&card))
}
