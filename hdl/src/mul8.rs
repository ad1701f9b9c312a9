//! `Mul8`: a registered signed 8 x 8 -> 16 bit multiplier, sign-extended to 32 bits.
//!
//! ```text
//!          +--------+
//!   a  --->|  a*b   |---> p  (int32, = int8(a) * int8(b))
//!   b  --->|  reg   |
//! clock -->|        |
//!          +--------+
//! ```
//! - **Latency**: 1 clock (the product of the operands at rising edge `t` is on `p`
//!   after that edge).
//! - **Throughput**: one product per cycle.
//! - **Reset**: none; `p` powers up to 0.
//! - **Mapping**: the multiply with its output register is the shape yosys maps onto an
//!   iCE40 `SB_MAC16` or an ECP5 `MULT18X18D` (9x9 half).
//!
//! Written as a Verilog leaf because rust-hdl 0.46's signed multiply is wrong
//! (`unsigned_cast(signed(a)*signed(b))` is 16 bits in Verilog but 32 in its
//! simulator) and its `signed_bit_cast` of -128 overflows the stack.
//!
//! Example: `a = 0x80 (-128)`, `b = 0x80 (-128)` gives `p = 0x00004000 (16384)`;
//! `a = 0x7f (127)`, `b = 0x80 (-128)` gives `p = 0xffffc080 (-16256)`.

use rust_hdl::prelude::*;

/// Registered signed 8x8 multiplier.
#[derive(LogicBlock, Default)]
pub struct Mul8 {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Multiplicand, int8 two's complement.
    pub a: Signal<In, Bits<8>>,
    /// Multiplier, int8 two's complement.
    pub b: Signal<In, Bits<8>>,
    /// Product of the operands sampled at the last rising edge, int32 two's complement.
    pub p: Signal<Out, Bits<32>>,
}

impl Logic for Mul8 {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let a = self.a.val().index() as u8 as i8 as i32;
            let b = self.b.val().index() as u8 as i8 as i32;
            self.p.next = ((a * b) as u32 as u64).to_bits();
        }
    }
    fn connect(&mut self) {
        self.p.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
wire signed [15:0] prod = $signed(a) * $signed(b);
initial p = 0;
always @(posedge clock) p <= {{16{prod[15]}}, prod};
"
            .into(),
        )
    }
}
