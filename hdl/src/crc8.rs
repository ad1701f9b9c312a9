//! `Crc8`: one step of the host protocol's CRC-8 (polynomial 0x07, init 0,
//! `docs/host-protocol.md`): the CRC so far and one more byte in, the CRC including the
//! byte out. The host bridge uses one for both directions.
//!
//! ```text
//!   crc[8], din[8] --> out[8] = crc8 step of (crc ^ din)
//! ```
//! - **Latency**: 0 (combinational).
//! - **Throughput**: one byte per use.
//! - **Reset**: none (no state).
//!
//! Example: over `"123456789"` from 0 the CRC is `0xF4` (CRC-8/SMBUS's check value).

use rust_hdl::prelude::*;

/// CRC-8 (polynomial 0x07) of one more byte: combinational.
#[derive(LogicBlock, Default)]
pub struct Crc8 {
    /// CRC so far.
    pub crc: Signal<In, Bits<8>>,
    /// Next byte.
    pub din: Signal<In, Bits<8>>,
    /// CRC including `byte`.
    pub out: Signal<Out, Bits<8>>,
}

impl Logic for Crc8 {
    fn update(&mut self) {
        let mut c = (self.crc.val().index() as u8) ^ (self.din.val().index() as u8);
        for _ in 0..8 {
            c = if c & 0x80 != 0 {
                (c << 1) ^ 0x07
            } else {
                c << 1
            };
        }
        self.out.next = (c as u64).to_bits();
    }
    fn connect(&mut self) {
        self.out.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
reg [7:0] c;
integer i;
always @(*) begin
    c = crc ^ din;
    for (i = 0; i < 8; i = i + 1) c = c[7] ? ({c[6:0], 1'b0} ^ 8'h07) : {c[6:0], 1'b0};
    out = c;
end
"
            .into(),
        )
    }
}
