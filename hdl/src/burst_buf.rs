//! `BurstBuf`: the host bridge's burst buffer, 64 words of 32 bits in one block RAM of
//! 16-bit halves, written a byte at a time and read a half at a time.
//!
//! ```text
//!   we, lane[2], waddr[6], din[8] --> mem (128 x 16) --> rd --> lo
//!   raddr[6], rhalf ------------------^                  rdata[32] = {rd, lo}
//! ```
//! - **Latency**: `rdata` two clocks after the low half's read address (see below).
//! - **Throughput**: one byte written and one half read per clock.
//! - **Reset**: none; contents power up to zero.

use crate::host_bridge::proto;
use rust_hdl::prelude::*;

/// The burst buffer: 64 words of 32 bits in one block RAM of 16-bit halves, written a
/// byte at a time (byte lane `lane` of word `waddr`), read a half at a time: the low half
/// (`rhalf` 0) of word `raddr` in one clock and its high half (`rhalf` 1) in the next;
/// after that second clock `rdata` is the whole word.
///
/// - **Latency**: `rdata` two clocks after the low half's read address (bits 15..0 come
///   from the read of two clocks ago, bits 31..16 from the read of the last clock); a
///   write is visible to reads issued on the following cycle or later (the bridge never
///   reads a word in the cycle it writes it: the memory carries yosys's `no_rw_check`).
/// - **Reset**: none; contents power up to zero, `rdata` is unspecified until the first
///   reads (the bridge reads a word before it uses it).
/// - **Cost**: 1 iCE40 SB_RAM40_4K (256 x 16, the byte lanes as write masks), a 16-bit
///   register for the low half, a few LUTs; no byte-gathering register in front of it.
#[derive(LogicBlock, Default)]
pub struct BurstBuf {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Write `din` into byte `lane` of word `waddr`.
    pub we: Signal<In, Bit>,
    /// Byte lane of the write (0: bits 7..0).
    pub lane: Signal<In, Bits<2>>,
    /// Word address of the write.
    pub waddr: Signal<In, Bits<6>>,
    /// The byte to write.
    pub din: Signal<In, Bits<8>>,
    /// Word address of the read.
    pub raddr: Signal<In, Bits<6>>,
    /// Half of the read: 0 the low half (bits 15..0), 1 the high half.
    pub rhalf: Signal<In, Bit>,
    /// The high half read at the previous clock above the low half read the clock
    /// before: the word, after a low-half and a high-half read of it.
    pub rdata: Signal<Out, Bits<32>>,
    _mem: Vec<u32>,
    _rd: u16,
    _lo: u16,
}

impl Logic for BurstBuf {
    fn update(&mut self) {
        // Behavioural model for rust-hdl's simulator (not a sign-off: Verilator is).
        if self._mem.is_empty() {
            self._mem = vec![0; proto::MAX_BURST];
        }
        if self.clock.pos_edge() {
            let w = self._mem[self.raddr.val().index()];
            self._lo = self._rd;
            self._rd = if self.rhalf.val() {
                (w >> 16) as u16
            } else {
                w as u16
            };
            self.rdata.next = ((self._rd as u64) << 16 | self._lo as u64).to_bits();
            if self.we.val() {
                let sh = 8 * self.lane.val().index();
                let w = &mut self._mem[self.waddr.val().index()];
                *w = (*w & !(0xFF << sh)) | ((self.din.val().index() as u32) << sh);
            }
        }
    }
    fn connect(&mut self) {
        self.rdata.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
integer k;
(* no_rw_check *) reg [15:0] mem [0:127];
reg [15:0] rd;
reg [15:0] lo;
initial for (k = 0; k < 128; k = k + 1) mem[k] = 0;
always @(posedge clock) begin
    if (we & !lane[0]) mem[{waddr, lane[1]}][7:0] <= din;
    if (we & lane[0]) mem[{waddr, lane[1]}][15:8] <= din;
    rd <= mem[{raddr, rhalf}];
    lo <= rd;
end
always @(*) rdata = {rd, lo};
"
            .into(),
        )
    }
}
