//! minilpu golden model.
//!
//! Everything the RTL is checked against lives here, free of rust-hdl:
//! - [`config`]: the one [`TileConfig`] with its named presets and validation;
//! - [`arith`]: the arithmetic contract (`../shared/arithmetic.md`), bit for bit;
//! - [`layout`]: where a matmul's operands sit in SRAM and how the command is tiled;
//! - [`timing`]: the datapath's exact cycle count, predicted without running the RTL;
//! - [`npy`]: NumPy `.npy` reading and writing with dtype/shape checks;
//! - [`link`]: the chip-to-chip link (frames, CRC, receiver) and its arrival budget;
//! - [`ring`]: a ring of cards running `send`/`recv` programs.

pub mod arith;
pub mod asm;
pub mod config;
pub mod exec;
pub mod gemm;
pub mod isa;
pub mod layout;
pub mod link;
pub mod npy;
pub mod randprog;
pub mod ring;
pub mod schedule;
pub mod timing;

pub use config::{BankKind, ConfigError, DspStyle, TileConfig};
