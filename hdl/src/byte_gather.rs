//! `ByteGather`: picks 32-bit word `k` (bytes `4k .. 4k+4`, little-endian) out of a
//! byte vector, for the host bus.
//!
//! ```text
//!   bytes[n], k --> word = {bytes[4k+3], bytes[4k+2], bytes[4k+1], bytes[4k]}
//! ```
//! - **Latency**: 0 (combinational). Only the low `ceil(log2(n / 4))` bits of `k` are
//!   decoded (the caller decodes the rest of its address): words at or above `n / 4`
//!   within them give 0, higher bits of `k` are ignored.
//! - **Reset**: none (no state).
//!
//! A Verilog leaf because rust-hdl 0.46 cannot concatenate signals selected by a loop
//! variable. Example: bytes `[1, 2, 3, 4, 5, 6, 7, 8]`, `k = 1` gives `0x08070605`.

use rust_hdl::prelude::*;

/// A 32-bit word selector over a byte vector.
#[derive(LogicBlock)]
pub struct ByteGather {
    /// The bytes (a multiple of 4).
    pub bytes: Vec<Signal<In, Bits<8>>>,
    /// Which 32-bit word.
    pub k: Signal<In, Bits<16>>,
    /// The word.
    pub word: Signal<Out, Bits<32>>,
}

impl ByteGather {
    /// A selector over `n` bytes (a multiple of 4).
    pub fn new(n: usize) -> Self {
        assert!(n.is_multiple_of(4) && n > 0, "n {n}");
        Self {
            bytes: crate::vec_of(n),
            k: Default::default(),
            word: Default::default(),
        }
    }
}

impl Logic for ByteGather {
    fn update(&mut self) {
        let w = (self.bytes.len() / 4)
            .next_power_of_two()
            .trailing_zeros()
            .max(1);
        let k = self.k.val().index() & ((1 << w) - 1);
        let mut w = 0u64;
        if 4 * k + 3 < self.bytes.len() {
            for j in 0..4 {
                w |= (self.bytes[4 * k + j].val().index() as u64) << (8 * j);
            }
        }
        self.word.next = w.to_bits();
    }
    fn connect(&mut self) {
        self.word.connect();
    }
    fn hdl(&self) -> Verilog {
        let words = self.bytes.len() / 4;
        let w = words.next_power_of_two().trailing_zeros().max(1) as usize;
        let mut v = format!("always @(*) begin\n    case (k[{}:0])\n", w - 1);
        for k in 0..words {
            v += &format!(
                "        {w}'d{k}: word = {{bytes${}, bytes${}, bytes${}, bytes${}}};\n",
                4 * k + 3,
                4 * k + 2,
                4 * k + 1,
                4 * k
            );
        }
        v += "        default: word = 32'd0;\n    endcase\nend\n";
        Verilog::Custom(v)
    }
}
