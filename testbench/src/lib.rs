//! minilpu testbench: drives the Verilog emitted by `minilpu-hdl` in Verilator and
//! checks it against the golden model in `minilpu-model`.
//!
//! - [`verilated`]: build any Verilog text into a shared library at run time
//!   (Verilator 5 + a generated C++ shim, cached by content hash) and poke its ports.

pub mod board_sim;
pub mod host_link;
pub mod link_sim;
pub mod program;
pub mod ring_sim;
pub mod runner;
pub mod serial;
pub mod tile_sim;
pub mod verilated;
