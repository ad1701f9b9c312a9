//! `KeptByte`: a byte register that synthesis keeps as flip-flops of its own, for a
//! copy of a register that already exists: a second set of flip-flops with the same
//! input, so that part of the first one's loads move to the copy and the placer can put
//! each set next to its own logic (the vector unit's operands for the argmax's cross
//! compares, `crate::Vxu`).
//!
//! ```text
//!            +----------+
//!   d    --->|   8 FF   |---> q
//!   clock -->|  (kept)  |
//!            +----------+
//! ```
//! - **Latency**: 1 cycle: `q` is `d` at the previous rising edge.
//! - **Throughput**: one byte per cycle.
//! - **Reset**: none; powers up 0.
//! - **Copies**: with the define `ECP5` the bits are kept `TRELLIS_FF` instances; yosys
//!   would otherwise merge a copy with the register it copies (it does so with
//!   `(* keep *)` on a `reg` too). Elsewhere (Verilator, iCE40) a plain register.
//!
//! Example waveform:
//! ```text
//! clock   _/‾\_/‾\_/‾\_
//! d       =5=X=7=X=9===
//! q       ===X=5=X=7=X=9
//! ```

use rust_hdl::prelude::*;

/// A kept byte register (see the module documentation).
#[derive(LogicBlock, Default)]
pub struct KeptByte {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The byte stored at the next rising edge.
    pub d: Signal<In, Bits<8>>,
    /// The byte stored at the last rising edge (0 before the first).
    pub q: Signal<Out, Bits<8>>,
}

impl Logic for KeptByte {
    fn update(&mut self) {
        // No behavioural model (a register): checked in Verilator through the vector
        // unit against the golden model.
    }
    fn connect(&mut self) {
        self.q.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(kept_register_verilog(8, "d", "r") + "always @(*) q = r;\n")
    }
}

/// Verilog for a `width`-bit register `q` loaded from `d` at every rising edge of
/// `clock`, kept by synthesis: with the define `ECP5` one kept `TRELLIS_FF` per bit
/// (yosys merges a plain `reg` that copies another one, `(* keep *)` or not), elsewhere a
/// plain `reg` powered up 0. `KeptByte`'s and `LaneOps`' registers.
pub(crate) fn kept_register_verilog(width: usize, d: &str, q: &str) -> String {
    let h = width - 1;
    format!(
        "\
`ifdef ECP5
wire [{h}:0] {q};
genvar k;
generate for (k = 0; k < {width}; k = k + 1) begin : ff
    (* keep *) TRELLIS_FF #(.GSR(\"DISABLED\"), .CEMUX(\"1\"), .REGSET(\"RESET\"))
        f (.CLK(clock), .LSR(1'b0), .DI({d}[k]), .Q({q}[k]));
end endgenerate
`else
reg [{h}:0] {q} = 0;
always @(posedge clock) {q} <= {d};
`endif
"
    )
}
