//! `BoardTop`: what goes on an FPGA board: the clock generator, the UART host bridge and
//! a [`Card`] (the tile with its link transmitter and receiver) on the link pins, and
//! LEDs.
//!
//! ```text
//!   clock (board oscillator) --> Pll --> tile clock (every register below but the
//!                                    |               receiver's front end)
//!   uart_rx --> HostBridge --bus_we/re/addr/wdata--> Card ---------> led_busy, led_error
//!   uart_tx <--            <--------bus_rdata-------   |  \--link_up--> led_link
//!                   frame --> stretch --> led_host     |
//!   link_rx_clk -----------------------------> fclk_in |  lanes_out --> link_tx_d[0..4]
//!   link_rx_d[0..4] -------------------------> lanes_in|
//!   tile clock --> ClkFwd (DDR out: 0, 1) ---------------------------> link_tx_clk
//! ```
//! The board's pin table (`fpga/<board>/*.pcf|lpf`) names these ports; each LED is
//! active high or low as the board wants (`led_active_low`).
//! - **Link pins**: [`LINK_LANES`] data lane pins and a forwarded clock per direction
//!   (`docs/link.md`). `link_tx_d[l]` carries lane `l` of the card's transmitter for
//!   `l < link_lanes` and is driven low above; `link_tx_clk` is the tile clock,
//!   **inverted**, from a DDR output register ([`ClkFwd`]: ECP5 `ODDRX1F`, iCE40 `SB_IO`
//!   in DDR mode, `~clock` in simulation), so its rising edge lies in the middle of each
//!   bit. `link_rx_clk` (the upstream board's `link_tx_clk`) clocks the receiver's front
//!   end, which samples `link_rx_d` on its rising edge; the receiver finds the word
//!   alignment and lane skew itself. Cable board `i`'s `link_tx_*` to board `i + 1`'s
//!   `link_rx_*` (`fpga/<board>/README.md`).
//! - **Start-up**: the bridge listens 128 cycles after the PLL reports lock (the line is
//!   held idle to it until then); the tile powers up idle and has no reset; the link
//!   transmitter starts sending (training superframes, then frames) from power-up, the
//!   receiver locks by itself whenever a neighbour's lanes arrive.
//! - **LEDs**: `led_busy` = a program is running; `led_error` = the last program stopped
//!   with an error status; `led_host` = a host request was seen in the last
//!   `led_stretch` cycles; `led_link` = the link receiver is locked (the upstream
//!   neighbour is powered, cabled and sending).
//! - **Reset**: none.

use crate::clk_fwd::ClkFwd;
use crate::host_bridge::{BridgeConfig, HostBridge};
use crate::pll::{Pll, PllSetting};
use crate::Card;
use minilpu_model::{ConfigError, TileConfig};
use rust_hdl::prelude::*;

/// Data lane pins per link direction (a tile uses `link_lanes` of them, from lane 0).
pub const LINK_LANES: usize = 4;

/// Everything a board top is built from.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardTopConfig {
    /// The tile.
    pub tile: TileConfig,
    /// The clock generator.
    pub pll: PllSetting,
    /// UART divisor and inter-byte timeout, in tile clock cycles.
    pub bridge: BridgeConfig,
    /// Which LEDs light on a low output: busy, error, host, link.
    pub led_active_low: [bool; 4],
    /// Cycles `led_host` stays lit after a request (below 2^24).
    pub led_stretch: u32,
}

/// Why a board clock and baud rate do not go together.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardConfigError {
    /// The tile configuration is invalid.
    Tile(ConfigError),
    /// The UART baud rate cannot be made from the clock.
    Baud {
        /// Requested baud rate.
        baud: u32,
        /// Tile clock (MHz).
        clk_mhz: f64,
        /// What is wrong.
        why: String,
    },
}

impl std::fmt::Display for BoardConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BoardConfigError::Tile(e) => write!(f, "{e}"),
            BoardConfigError::Baud { baud, clk_mhz, why } => {
                write!(f, "baud rate {baud} from a {clk_mhz} MHz clock: {why}")
            }
        }
    }
}

impl std::error::Error for BoardConfigError {}

impl From<ConfigError> for BoardConfigError {
    fn from(e: ConfigError) -> Self {
        BoardConfigError::Tile(e)
    }
}

impl BoardTopConfig {
    /// A board top whose tile runs at `clk_mhz` (the PLL's output), with a UART at
    /// `baud` and an inter-byte timeout of `timeout_ms`. The baud divisor is
    /// `round(clk / baud)`; it must be at least 4 and within 2 % of the exact ratio.
    pub fn new(
        tile: TileConfig,
        pll: PllSetting,
        clk_mhz: f64,
        baud: u32,
        timeout_ms: f64,
        led_active_low: [bool; 4],
    ) -> Result<Self, BoardConfigError> {
        tile.validate()?;
        let bad = |why: String| BoardConfigError::Baud { baud, clk_mhz, why };
        let exact = clk_mhz * 1e6 / baud as f64;
        let divisor = exact.round();
        if divisor < 4.0 {
            return Err(bad(format!(
                "{exact:.2} cycles per bit; the UART needs at least 4"
            )));
        }
        if divisor > 65535.0 {
            return Err(bad(format!("{exact:.0} cycles per bit is above 65535")));
        }
        let err = (divisor - exact).abs() / exact;
        if err > 0.02 {
            return Err(bad(format!(
                "divisor {divisor} is {:.1} % off the exact {exact:.3} (at most 2 %)",
                100.0 * err
            )));
        }
        let divisor = divisor as u32;
        let timeout =
            ((timeout_ms * 1e3 * clk_mhz) as u64).clamp(20 * divisor as u64, (1 << 24) - 1);
        Ok(Self {
            tile,
            pll,
            bridge: BridgeConfig {
                divisor,
                timeout: timeout as u32,
                bus_stages: 0,
            },
            led_active_low,
            led_stretch: ((clk_mhz * 1e6 / 16.0) as u32).min((1 << 24) - 1),
        })
    }

    /// A board top for simulation: no PLL, the given divisor and timeout (cycles),
    /// active-high LEDs, a short LED stretch.
    pub fn sim(tile: TileConfig, divisor: u32, timeout: u32) -> Self {
        Self {
            tile,
            pll: PllSetting::Bypass,
            bridge: BridgeConfig {
                divisor,
                timeout,
                bus_stages: 0,
            },
            led_active_low: [false; 4],
            led_stretch: 1000,
        }
    }

    /// The same board top with `n` register stages (0 or 1) on the host bus between the
    /// bridge and the tile, each way: on a large die the bus's decode then starts from
    /// flip-flops next to the tile, and the read data's route back to the bridge has a
    /// cycle of its own. The bridge waits for the longer reads itself; the host protocol
    /// does not change. A board's `bus_stages` (`fpga/<board>/board.toml`).
    pub fn with_bus_stages(mut self, n: u32) -> Self {
        self.bridge.bus_stages = n;
        self
    }

    /// The baud rate the divisor gives at `clk_mhz`.
    pub fn baud_at(&self, clk_mhz: f64) -> f64 {
        clk_mhz * 1e6 / self.bridge.divisor as f64
    }
}

/// The board top.
#[derive(LogicBlock)]
pub struct BoardTop {
    /// Board oscillator.
    pub clock: Signal<In, Clock>,
    /// UART from the host (FTDI TXD).
    pub uart_rx: Signal<In, Bit>,
    /// UART to the host (FTDI RXD).
    pub uart_tx: Signal<Out, Bit>,
    /// LED: a program is running.
    pub led_busy: Signal<Out, Bit>,
    /// LED: the last program stopped with an error.
    pub led_error: Signal<Out, Bit>,
    /// LED: host traffic.
    pub led_host: Signal<Out, Bit>,
    /// LED: the link receiver is locked (frames flow from the upstream neighbour).
    pub led_link: Signal<Out, Bit>,
    /// Link from the upstream neighbour: its forwarded clock (clocks the receiver's
    /// front end).
    pub link_rx_clk: Signal<In, Clock>,
    /// Link from the upstream neighbour: data lanes (bit `l` = lane `l`).
    pub link_rx_d: Signal<In, Bits<LINK_LANES>>,
    /// Link to the downstream neighbour: the forwarded clock (the tile clock, inverted).
    pub link_tx_clk: Signal<Out, Bit>,
    /// Link to the downstream neighbour: data lanes (lanes `link_lanes..` driven low).
    pub link_tx_d: Signal<Out, Bits<LINK_LANES>>,
    pll: Pll,
    bridge: HostBridge,
    card: Card,
    fwd: ClkFwd,
    // The bus stages (`BoardTopConfig::with_bus_stages`; one entry each, none without).
    s_we: Vec<DFF<Bit>>,
    s_re: Vec<DFF<Bit>>,
    s_addr: Vec<DFF<Bits<16>>>,
    s_wdata: Vec<DFF<Bits<32>>>,
    s_rdata: Vec<DFF<Bits<32>>>,
    boot: DFF<Bits<8>>,
    act: DFF<Bits<24>>,
    inv: Constant<Bits<4>>,
    stretch: Constant<Bits<24>>,
    lane_mask: Constant<Bits<LINK_LANES>>,
}

impl BoardTop {
    /// The board top for `cfg` (its tile configuration validated by the caller).
    pub fn new(cfg: &BoardTopConfig) -> Self {
        let bs = cfg.bridge.bus_stages.min(1) as usize;
        Self {
            clock: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            led_busy: Default::default(),
            led_error: Default::default(),
            led_host: Default::default(),
            led_link: Default::default(),
            link_rx_clk: Default::default(),
            link_rx_d: Default::default(),
            link_tx_clk: Default::default(),
            link_tx_d: Default::default(),
            pll: Pll::new(cfg.pll),
            bridge: HostBridge::new(cfg.bridge),
            card: Card::new(&cfg.tile),
            fwd: ClkFwd::default(),
            s_we: crate::vec_of(bs),
            s_re: crate::vec_of(bs),
            s_addr: crate::vec_of(bs),
            s_wdata: crate::vec_of(bs),
            s_rdata: crate::vec_of(bs),
            boot: Default::default(),
            act: Default::default(),
            inv: Constant::new(
                (cfg.led_active_low
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| (b as u64) << i)
                    .sum::<u64>())
                .to_bits(),
            ),
            stretch: Constant::new((cfg.led_stretch.min((1 << 24) - 1) as u64).to_bits()),
            lane_mask: Constant::new(((1u64 << cfg.tile.link_lanes.min(LINK_LANES)) - 1).to_bits()),
        }
    }
}

impl Logic for BoardTop {
    #[hdl_gen]
    fn update(&mut self) {
        // Everything but the link receiver's front end runs on the PLL's clock.
        self.pll.clk_in.next = self.clock.val();
        self.bridge.clock.next = self.pll.clk_out.val();
        self.card.clock.next = self.pll.clk_out.val();
        self.fwd.clk.next = self.pll.clk_out.val();
        self.boot.clock.next = self.pll.clk_out.val();
        self.act.clock.next = self.pll.clk_out.val();
        self.boot.d.next = self.boot.q.val();
        self.act.d.next = self.act.q.val();
        // Start-up: listen 128 cycles after lock.
        if self.pll.locked.val() & !self.boot.q.val().get_bit(7) {
            self.boot.d.next = self.boot.q.val() + 1;
        }
        self.bridge.rx.next = self.uart_rx.val() | !self.boot.q.val().get_bit(7);
        self.uart_tx.next = self.bridge.tx.val();
        // Host bus.
        self.card.bus_we.next = self.bridge.bus_we.val();
        self.card.bus_re.next = self.bridge.bus_re.val();
        self.card.bus_addr.next = self.bridge.bus_addr.val();
        self.card.bus_wdata.next = self.bridge.bus_wdata.val();
        self.bridge.bus_rdata.next = self.card.bus_rdata.val();
        for k in 0..self.s_we.len() {
            self.s_we[k].clock.next = self.pll.clk_out.val();
            self.s_re[k].clock.next = self.pll.clk_out.val();
            self.s_addr[k].clock.next = self.pll.clk_out.val();
            self.s_wdata[k].clock.next = self.pll.clk_out.val();
            self.s_rdata[k].clock.next = self.pll.clk_out.val();
            self.s_we[k].d.next = self.bridge.bus_we.val();
            self.s_re[k].d.next = self.bridge.bus_re.val();
            self.s_addr[k].d.next = self.bridge.bus_addr.val();
            self.s_wdata[k].d.next = self.bridge.bus_wdata.val();
            self.s_rdata[k].d.next = self.card.bus_rdata.val();
            self.card.bus_we.next = self.s_we[k].q.val();
            self.card.bus_re.next = self.s_re[k].q.val();
            self.card.bus_addr.next = self.s_addr[k].q.val();
            self.card.bus_wdata.next = self.s_wdata[k].q.val();
            self.bridge.bus_rdata.next = self.s_rdata[k].q.val();
        }
        // The link: lanes and the forwarded clock out, the neighbour's in.
        self.link_tx_d.next = self.card.lanes_out.val() & self.lane_mask.val();
        self.link_tx_clk.next = self.fwd.pin.val();
        self.card.fclk_in.next = self.link_rx_clk.val();
        self.card.lanes_in.next = self.link_rx_d.val();
        // LEDs.
        if self.bridge.frame.val() {
            self.act.d.next = self.stretch.val();
        } else if self.act.q.val() != 0 {
            self.act.d.next = self.act.q.val() - 1;
        }
        self.led_busy.next = self.card.busy.val() ^ self.inv.val().get_bit(0);
        self.led_error.next = self.card.error.val() ^ self.inv.val().get_bit(1);
        self.led_host.next = (self.act.q.val() != 0) ^ self.inv.val().get_bit(2);
        self.led_link.next = self.card.link_up.val() ^ self.inv.val().get_bit(3);
    }
}

/// Emit the Verilog of the board top for `cfg` (tile configuration validated first).
/// The top module is `top`; the PLL primitive is inside `` `ifdef ICE40 `` /
/// `` `ifdef ECP5 `` (see [`crate::pll`]).
pub fn emit_board_verilog(cfg: &BoardTopConfig) -> Result<String, ConfigError> {
    cfg.tile.validate()?;
    let mut top = BoardTop::new(cfg);
    top.connect_all();
    Ok(generate_verilog(&top))
}
