//! `BoardTop`: what goes on an FPGA board: the clock generator, the UART host bridge and
//! the tile, LEDs, and the inter-board link pins reserved for Step 3.
//!
//! ```text
//!   clock (board oscillator) --> Pll --> tile clock (every register below)
//!   uart_rx --> HostBridge --bus_we/re/addr/wdata--> Tile --> led_busy, led_error
//!   uart_tx <--            <--------bus_rdata-------
//!                   frame --> stretch --> led_host
//!   link_rx_clk, link_rx_d --> sync --> led_link (placeholder)
//!   link_tx_clk, link_tx_d <-- 0 (reserved for Step 3)
//! ```
//! The board's pin table (`fpga/<board>/*.pcf|lpf`) names these ports; each LED is
//! active high or low as the board wants (`led_active_low`).
//! - **Start-up**: the bridge listens 128 cycles after the PLL reports lock (the line is
//!   held idle to it until then); the tile powers up idle and has no reset.
//! - **LEDs**: `led_busy` = a program is running; `led_error` = the last program stopped
//!   with an error status; `led_host` = a host request was seen in the last
//!   `led_stretch` cycles; `led_link` = (placeholder until the Step 3 link exists) a
//!   link input pin is driven high, i.e. a powered neighbour's cable.
//! - **Link pins**: [`LINK_LANES`] data lanes and a forwarded clock per direction;
//!   outputs are driven low, inputs only feed `led_link`.
//! - **Reset**: none.

use crate::host_bridge::{BridgeConfig, HostBridge};
use crate::pll::{Pll, PllSetting};
use crate::Tile;
use minilpu_model::{ConfigError, TileConfig};
use rust_hdl::prelude::*;

/// Data lanes per link direction (reserved for Step 3).
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
            bridge: BridgeConfig { divisor, timeout },
            led_active_low: [false; 4],
            led_stretch: 1000,
        }
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
    /// LED: link (placeholder, see the module docs).
    pub led_link: Signal<Out, Bit>,
    /// Link from the upstream neighbour: forwarded clock (reserved).
    pub link_rx_clk: Signal<In, Bit>,
    /// Link from the upstream neighbour: data lanes (reserved).
    pub link_rx_d: Signal<In, Bits<LINK_LANES>>,
    /// Link to the downstream neighbour: forwarded clock (reserved, driven low).
    pub link_tx_clk: Signal<Out, Bit>,
    /// Link to the downstream neighbour: data lanes (reserved, driven low).
    pub link_tx_d: Signal<Out, Bits<LINK_LANES>>,
    pll: Pll,
    bridge: HostBridge,
    tile: Tile,
    boot: DFF<Bits<8>>,
    act: DFF<Bits<24>>,
    link_s1: DFF<Bit>,
    link_s2: DFF<Bit>,
    inv: Constant<Bits<4>>,
    stretch: Constant<Bits<24>>,
    _lanes: usize,
}

impl BoardTop {
    /// The board top for `cfg` (its tile configuration validated by the caller).
    pub fn new(cfg: &BoardTopConfig) -> Self {
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
            tile: Tile::new(&cfg.tile),
            boot: Default::default(),
            act: Default::default(),
            link_s1: Default::default(),
            link_s2: Default::default(),
            inv: Constant::new(
                (cfg.led_active_low
                    .iter()
                    .enumerate()
                    .map(|(i, &b)| (b as u64) << i)
                    .sum::<u64>())
                .to_bits(),
            ),
            stretch: Constant::new((cfg.led_stretch.min((1 << 24) - 1) as u64).to_bits()),
            _lanes: cfg.tile.lanes,
        }
    }
}

impl Logic for BoardTop {
    #[hdl_gen]
    fn update(&mut self) {
        // Everything runs on the PLL's clock.
        self.pll.clk_in.next = self.clock.val();
        self.bridge.clock.next = self.pll.clk_out.val();
        self.tile.clock.next = self.pll.clk_out.val();
        self.boot.clock.next = self.pll.clk_out.val();
        self.act.clock.next = self.pll.clk_out.val();
        self.link_s1.clock.next = self.pll.clk_out.val();
        self.link_s2.clock.next = self.pll.clk_out.val();
        self.boot.d.next = self.boot.q.val();
        self.act.d.next = self.act.q.val();
        // Start-up: listen 128 cycles after lock.
        if self.pll.locked.val() & !self.boot.q.val().get_bit(7) {
            self.boot.d.next = self.boot.q.val() + 1;
        }
        self.bridge.rx.next = self.uart_rx.val() | !self.boot.q.val().get_bit(7);
        self.uart_tx.next = self.bridge.tx.val();
        // Host bus.
        self.tile.bus_we.next = self.bridge.bus_we.val();
        self.tile.bus_re.next = self.bridge.bus_re.val();
        self.tile.bus_addr.next = self.bridge.bus_addr.val();
        self.tile.bus_wdata.next = self.bridge.bus_wdata.val();
        self.bridge.bus_rdata.next = self.tile.bus_rdata.val();
        // LEDs.
        if self.bridge.frame.val() {
            self.act.d.next = self.stretch.val();
        } else if self.act.q.val() != 0 {
            self.act.d.next = self.act.q.val() - 1;
        }
        self.link_s1.d.next = self.link_rx_clk.val() | self.link_rx_d.val().any();
        self.link_s2.d.next = self.link_s1.q.val();
        self.led_busy.next = self.tile.busy.val() ^ self.inv.val().get_bit(0);
        self.led_error.next = self.tile.error.val() ^ self.inv.val().get_bit(1);
        self.led_host.next = (self.act.q.val() != 0) ^ self.inv.val().get_bit(2);
        self.led_link.next = self.link_s2.q.val() ^ self.inv.val().get_bit(3);
        // Link outputs: reserved for Step 3; the tile's link ports are tied off (a `recv`
        // stops with LINK), the board gets a `Card` when the link pins are brought up.
        self.link_tx_clk.next = false;
        self.link_tx_d.next = 0.into();
        self.tile.tx_busy.next = 0.into();
        self.tile.tx_next_slot.next = 0.into();
        self.tile.rx_valid.next = false;
        self.tile.rx_slot.next = 0.into();
        self.tile.rx_seq.next = 0.into();
        for l in 0..self._lanes {
            self.tile.rx_rdata[l].next = 0.into();
        }
        self.tile.lk_locked.next = false;
        self.tile.lk_tx_frames.next = 0.into();
        self.tile.lk_rx_frames.next = 0.into();
        self.tile.lk_crc_errors.next = 0.into();
        self.tile.lk_align_lost.next = 0.into();
        self.tile.lk_overflows.next = 0.into();
        self.tile.lk_missing.next = 0.into();
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
