//! minilpu RTL, written in rust-hdl 0.46 and emitted as Verilog.
//!
//! Synthesizable blocks only, one per file (see `docs/architecture.md` and
//! `docs/isa.md`): memories [`SramBank`] (block RAM and [`spram_bank`] flavours); the
//! matmul unit [`MxuLoad`], [`MxuRun`], [`MatmulArray`] (from [`Pe`], [`Mul8x2`],
//! [`AdderTree`]) and [`Accumulator`]; the requantize unit [`Requantizer`]
//! ([`RequantLanes`]); the vector unit [`Vxu`] ([`VecAlu`]); the [`Sequencer`] with its
//! [`Decoder`]; the [`HostPort`] ([`ByteGather`]); the link units [`LinkSend`] and
//! [`LinkRecv`]; [`Delay`]; and the top [`Tile`]. The chip-to-chip link is [`LinkTx`]
//! and [`LinkRx`] (`docs/link.md`); [`Card`] is a tile with its link and [`Ring`] a ring
//! of cards for simulation. On a board, [`BoardTop`] holds a [`Pll`], the [`HostBridge`]
//! and a [`Card`] on the link pins, whose forwarded clock leaves through [`ClkFwd`].
//! [`emit_verilog`] turns a [`TileConfig`] into Verilog text
//! ([`card_verilog`], [`ring_verilog`] for the others).
//!
//! Arithmetic leaves, memories, the decoder and a few byte shufflers are small Verilog
//! bodies inside rust-hdl blocks: rust-hdl 0.46 mis-sizes signed multiplies, has 32-bit
//! literals and indexes arrays only by a loop variable, once per name (see the block
//! docs). Control and wiring are rust-hdl HDL kernels.

pub mod accumulator;
pub mod adder_tree;
pub mod array_feed;
pub mod async_fifo;
pub mod board_top;
pub mod burst_buf;
pub mod byte_gather;
pub mod card;
pub mod clk_fwd;
pub mod crc8;
pub mod decoder;
pub mod delay;
pub mod host_bridge;
pub mod host_port;
pub mod kept_byte;
pub mod lane_ops;
pub mod link_align;
pub mod link_crc;
pub mod link_pair;
pub mod link_recv;
pub mod link_rx;
pub mod link_rx_frame;
pub mod link_send;
pub mod link_tx;
pub mod matmul_array;
pub mod mul8_chain;
pub mod mul8x2;
pub mod mxu_load;
pub mod mxu_run;
pub mod pe;
pub mod pll;
pub mod predecoder;
pub mod read_tail;
pub mod requant_lanes;
pub mod requantizer;
pub mod ring;
pub mod sequencer;
pub mod spram_bank;
pub mod sram_bank;
pub mod tile;
pub mod uart_rx;
pub mod uart_tx;
pub mod vec_alu;
pub mod vxu;

pub use accumulator::Accumulator;
pub use adder_tree::AdderTree;
pub use array_feed::ArrayFeed;
pub use async_fifo::AsyncFifo;
pub use board_top::{emit_board_verilog, BoardTop, BoardTopConfig};
pub use burst_buf::BurstBuf;
pub use byte_gather::ByteGather;
pub use card::{card_verilog, Card};
pub use clk_fwd::ClkFwd;
pub use crc8::Crc8;
pub use decoder::Decoder;
pub use delay::Delay;
pub use host_bridge::{BridgeConfig, HostBridge};
pub use host_port::HostPort;
pub use kept_byte::KeptByte;
pub use lane_ops::LaneOps;
pub use link_align::LinkAlign;
pub use link_crc::LinkCrc;
pub use link_pair::{link_pair_verilog, LinkPair};
pub use link_recv::LinkRecv;
pub use link_rx::LinkRx;
pub use link_rx_frame::LinkRxFrame;
pub use link_send::LinkSend;
pub use link_tx::LinkTx;
pub use matmul_array::MatmulArray;
pub use mul8x2::{mul8x2_verilog, Mul8x2, MulImpl};
pub use mxu_load::MxuLoad;
pub use mxu_run::MxuRun;
pub use pe::Pe;
pub use pll::{Pll, PllSetting};
pub use predecoder::Predecoder;
pub use read_tail::ReadTail;
pub use requant_lanes::{requant_lanes_verilog, requant_lanes_verilog_with, RequantLanes};
pub use requantizer::Requantizer;
pub use ring::{ring_verilog, Ring};
pub use sequencer::Sequencer;
pub use sram_bank::SramBank;
pub use tile::Tile;
pub use uart_rx::UartRx;
pub use uart_tx::UartTx;
pub use vec_alu::VecAlu;
pub use vxu::Vxu;

use minilpu_model::{ConfigError, TileConfig};
use rust_hdl::prelude::*;

/// Name of the top module in the emitted Verilog.
pub const TOP_MODULE: &str = "top";

/// Emit the Verilog of the tile for `cfg` (validated first).
pub fn emit_verilog(cfg: &TileConfig) -> Result<String, ConfigError> {
    cfg.validate()?;
    let mut tile = Tile::new(cfg);
    tile.connect_all();
    Ok(generate_verilog(&tile))
}

/// The mask of the low bits that hold every value below `n` (`n >= 1`): AND-ed onto a
/// register's next value whose range the configuration bounds, it lets synthesis drop
/// the register's upper flip-flops (constant zero from power-up).
pub(crate) fn range_mask<const N: usize>(n: usize) -> Constant<Bits<N>> {
    Constant::new(((n.next_power_of_two() - 1) as u64).to_bits())
}

/// End of a one-iteration loop `for n in k..one_more(k)`: rust-hdl 0.46 index
/// expressions take loop variables only, so such a loop brings the size `k` into them
/// (a function, so that the bound is one token tree).
pub(crate) fn one_more(n: usize) -> usize {
    n + 1
}

/// `n` default-constructed blocks or signals (the lanes of a vector port).
pub(crate) fn vec_of<T: Default>(n: usize) -> Vec<T> {
    (0..n).map(|_| T::default()).collect()
}

/// A `b`-clock delay line as a vector of one (none for `b = 0`), for the tags that wait
/// for the bank read stages (`TileConfig::bank_read_stages`); a loop over the vector
/// leaves a `b = 0` block's Verilog as it was.
pub(crate) fn delays<const W: usize>(b: usize) -> Vec<Delay<W>> {
    (0..b.min(1)).map(|_| Delay::new(b)).collect()
}
