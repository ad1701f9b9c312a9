//! `LinkCrc`: one byte step of the link's CRC-16/IBM-3740 (polynomial 0x1021, MSB
//! first; `minilpu_model::link::crc`).
//!
//! ```text
//!   crc_in[15:0], data[7:0] --> 8 shift/XOR steps --> crc_out[15:0]
//! ```
//! - **Latency**: 0 (combinational; the caller holds the register and the initial
//!   value 0xFFFF).
//! - **Throughput**: one byte per cycle.
//! - **Reset**: none (no state).
//!
//! A Verilog leaf (a `for` loop over the eight bits) because rust-hdl 0.46 kernels
//! cannot carry a value through the iterations of a loop.
//!
//! Example: `crc_in = 0xFFFF`, `data = 0x00` gives `0xE1F0`.

use minilpu_model::link::crc::{crc16_update, CRC16_POLY};
use rust_hdl::prelude::*;

/// The CRC-16 byte step.
#[derive(LogicBlock, Default)]
pub struct LinkCrc {
    /// Register before the byte.
    pub crc_in: Signal<In, Bits<16>>,
    /// The byte, MSB shifted in first.
    pub data: Signal<In, Bits<8>>,
    /// Register after the byte.
    pub crc_out: Signal<Out, Bits<16>>,
}

impl Logic for LinkCrc {
    fn update(&mut self) {
        let c = crc16_update(
            self.crc_in.val().index() as u16,
            self.data.val().index() as u8,
        );
        self.crc_out.next = (c as u64).to_bits();
    }
    fn connect(&mut self) {
        self.crc_out.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
integer i;
reg [15:0] c;
always @(*) begin
    c = crc_in;
    for (i = 7; i >= 0; i = i - 1)
        c = {{c[14:0], 1'b0}} ^ ((c[15] ^ data[i]) ? 16'h{CRC16_POLY:04X} : 16'h0000);
    crc_out = c;
end
"
        ))
    }
}
