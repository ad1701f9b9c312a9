//! minilpu RTL, written in rust-hdl 0.46 and emitted as Verilog.
//!
//! Synthesizable blocks only, one per file (see `docs/architecture.md`):
//! [`SramBank`] (block RAM and [`spram_bank`] flavours), [`Mul8x2`], [`Pe`], [`AdderTree`],
//! [`MatmulArray`], [`Accumulator`], [`RequantLane`], [`Requantizer`], [`Delay`],
//! [`MatmulController`], and the top [`Tile`]. [`emit_verilog`] turns a
//! [`TileConfig`] into Verilog text.
//!
//! Arithmetic leaves (`Mul8x2`, `AdderTree`, `RequantLane`) and memories are small
//! Verilog bodies inside rust-hdl blocks: rust-hdl 0.46 mis-sizes signed multiplies,
//! has 32-bit literals and cannot index arrays by expressions (see the block docs).

pub mod accumulator;
pub mod adder_tree;
pub mod delay;
pub mod matmul_array;
pub mod matmul_controller;
pub mod mul8x2;
pub mod pe;
pub mod requant_lane;
pub mod requantizer;
pub mod spram_bank;
pub mod sram_bank;
pub mod tile;

pub use accumulator::Accumulator;
pub use adder_tree::AdderTree;
pub use delay::Delay;
pub use matmul_array::MatmulArray;
pub use matmul_controller::MatmulController;
pub use mul8x2::{Mul8x2, MulImpl};
pub use pe::Pe;
pub use requant_lane::RequantLane;
pub use requantizer::Requantizer;
pub use sram_bank::SramBank;
pub use tile::Tile;

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

/// `n` default-constructed blocks or signals (the lanes of a vector port).
pub(crate) fn vec_of<T: Default>(n: usize) -> Vec<T> {
    (0..n).map(|_| T::default()).collect()
}
