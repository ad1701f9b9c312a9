//! `Ring`: `n` [`Card`]s (2..=8) in a one-way ring for simulation: card `i` sends east
//! to card `i + 1 mod n`. Only wires. The data lanes between the cards are left to the
//! testbench (which delays them and injects faults); the forwarded clocks are wired
//! inside: card `i`'s `fclk_in` is `clk[i - 1 mod n]`.
//!
//! ```text
//!   clk[0] --> Card 0 --tx_lanes[0]--> [testbench wire] --rx_lanes[1]--> Card 1 --tx_lanes[1]--> ...
//!                 ^--rx_lanes[0]-- [testbench wire] <--tx_lanes[n-1]-- Card n-1 <--   ...
//! ```
//! Every port is a vector with one entry per card (rust-hdl names entry `i` of port
//! `p` as `p$i` in Verilog): the card's clock, host bus, `busy`, `error`, `link_up`,
//! `tx_stat`, `rx_stat` (see [`Card`]), its east TX lanes `tx_lanes` and its west RX
//! lanes `rx_lanes`.
//! - **Latency / reset**: those of [`Card`]; no logic of its own.

use crate::Card;
use minilpu_model::{ConfigError, TileConfig};
use rust_hdl::prelude::*;

/// Cards in a ring: 2..=8.
pub const RING_CARDS: std::ops::RangeInclusive<usize> = 2..=8;

/// `n` cards in a ring.
#[derive(LogicBlock)]
pub struct Ring {
    /// Card `i`'s clock.
    pub clk: Vec<Signal<In, Clock>>,
    /// Card `i`'s host bus write strobe.
    pub bus_we: Vec<Signal<In, Bit>>,
    /// Card `i`'s host bus read strobe.
    pub bus_re: Vec<Signal<In, Bit>>,
    /// Card `i`'s host bus register address.
    pub bus_addr: Vec<Signal<In, Bits<16>>>,
    /// Card `i`'s host bus write data.
    pub bus_wdata: Vec<Signal<In, Bits<32>>>,
    /// Card `i`'s host bus read data.
    pub bus_rdata: Vec<Signal<Out, Bits<32>>>,
    /// Card `i` is busy.
    pub busy: Vec<Signal<Out, Bit>>,
    /// Card `i`'s last program stopped with an error.
    pub error: Vec<Signal<Out, Bit>>,
    /// Card `i`'s receiver is locked.
    pub link_up: Vec<Signal<Out, Bit>>,
    /// Card `i`'s `tx_stat`.
    pub tx_stat: Vec<Signal<Out, Bits<8>>>,
    /// Card `i`'s `rx_stat`.
    pub rx_stat: Vec<Signal<Out, Bits<32>>>,
    /// Card `i`'s east TX lanes.
    pub tx_lanes: Vec<Signal<Out, Bits<4>>>,
    /// Card `i`'s west RX lanes (the testbench connects card `i - 1 mod n`'s `tx_lanes`).
    pub rx_lanes: Vec<Signal<In, Bits<4>>>,
    cards: Vec<Card>,
    _n: usize,
    _nm1: usize,
}

impl Ring {
    /// `n` cards (2..=8) for a validated `cfg`.
    pub fn new(cfg: &TileConfig, n: usize) -> Self {
        assert!(RING_CARDS.contains(&n), "ring of {n} cards");
        Self {
            clk: crate::vec_of(n),
            bus_we: crate::vec_of(n),
            bus_re: crate::vec_of(n),
            bus_addr: crate::vec_of(n),
            bus_wdata: crate::vec_of(n),
            bus_rdata: crate::vec_of(n),
            busy: crate::vec_of(n),
            error: crate::vec_of(n),
            link_up: crate::vec_of(n),
            tx_stat: crate::vec_of(n),
            rx_stat: crate::vec_of(n),
            tx_lanes: crate::vec_of(n),
            rx_lanes: crate::vec_of(n),
            cards: (0..n).map(|_| Card::new(cfg)).collect(),
            _n: n,
            _nm1: n - 1,
        }
    }
}

impl Logic for Ring {
    #[hdl_gen]
    fn update(&mut self) {
        for i in 0..self._n {
            self.cards[i].clock.next = self.clk[i].val();
            self.cards[i].bus_we.next = self.bus_we[i].val();
            self.cards[i].bus_re.next = self.bus_re[i].val();
            self.cards[i].bus_addr.next = self.bus_addr[i].val();
            self.cards[i].bus_wdata.next = self.bus_wdata[i].val();
            self.bus_rdata[i].next = self.cards[i].bus_rdata.val();
            self.busy[i].next = self.cards[i].busy.val();
            self.error[i].next = self.cards[i].error.val();
            self.link_up[i].next = self.cards[i].link_up.val();
            self.tx_stat[i].next = self.cards[i].tx_stat.val();
            self.rx_stat[i].next = self.cards[i].rx_stat.val();
            self.tx_lanes[i].next = self.cards[i].lanes_out.val();
            self.cards[i].lanes_in.next = self.rx_lanes[i].val();
        }
        // Forwarded clocks: from the west neighbour.
        for i in 0..self._nm1 {
            self.cards[i + 1].fclk_in.next = self.clk[i].val();
        }
        for last in self._nm1..self._n {
            self.cards[0].fclk_in.next = self.clk[last].val();
        }
    }
}

/// The Verilog of a [`Ring`] of `n` cards (2..=8) for `cfg` (validated first; top
/// module [`crate::TOP_MODULE`]).
pub fn ring_verilog(cfg: &TileConfig, n: usize) -> Result<String, ConfigError> {
    cfg.validate()?;
    if !RING_CARDS.contains(&n) {
        return Err(ConfigError {
            config: cfg.name.clone(),
            param: "ring cards",
            value: n.to_string(),
            expected: "2..=8".into(),
        });
    }
    let mut ring = Ring::new(cfg, n);
    ring.connect_all();
    Ok(generate_verilog(&ring))
}
