//! `LaneOps`: one lane's copy of the vector unit's operation, decoded into the select
//! bits the lane's datapath needs and registered. The vector unit has one per lane, so
//! that the [`crate::VecAlu`]'s lanes start from flip-flops of their own instead of one
//! 3-bit register and its shared decode (a register and two LUT levels that drove every
//! lane's adder operand and result gates: the 16x16 tile's `y_r` paths).
//!
//! ```text
//!            +----------+
//!   op   --->| decode,  |---> c  (the lane's select bits)
//!   clock -->| register |
//!            +----------+
//! ```
//! Bits of `c` ([`VecAlu`](crate::VecAlu)'s lane names): 0 `m1` and 1 `m0` (the
//! adder's second operand: `b`, `!b`, 0 or the argmax alternative), 2 max (also the
//! adder's carry in: max subtracts), 3 add, 4 ReLU, 5 copy (the result's source gates).
//! - **Latency**: 1 cycle: `c` is the decode of `op` at the previous rising edge. The
//!   vector unit feeds the operation its ALU will see a cycle later (`op_d`, which the
//!   operand stage's `op_a` copies), so `c` always decodes the ALU's current operation.
//! - **Throughput**: one operation per cycle.
//! - **Reset**: none; powers up with every select bit 0 (result 0) until the first
//!   clock, when nothing is written.
//! - **Copies**: with the define `ECP5` the bits are kept `TRELLIS_FF` instances; yosys
//!   would otherwise merge the lanes' identical registers back into one (with
//!   `(* keep *)` on a `reg` too). Elsewhere (Verilator, iCE40) they are a plain register.
//!
//! Example waveform (`op` = max, then add):
//! ```text
//! clock   _/‾\_/‾\_/‾\_
//! op      =max=X=add=====
//! c       ====X=max=X=add
//! ```

use crate::kept_byte::kept_register_verilog;
use rust_hdl::prelude::*;

/// One lane's registered operation select bits (see the module documentation).
#[derive(LogicBlock, Default)]
pub struct LaneOps {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The operation ([`crate::vec_alu::vop`]) the ALU works on in the next cycle.
    pub op: Signal<In, Bits<3>>,
    /// The lane's select bits for the current cycle (bits as in the module
    /// documentation).
    pub c: Signal<Out, Bits<6>>,
}

impl Logic for LaneOps {
    fn update(&mut self) {
        // No behavioural model (a register): checked in Verilator through the vector
        // unit against the golden model.
    }
    fn connect(&mut self) {
        self.c.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "\
wire [5:0] d = {op == 3'd3, op == 3'd2, op == 3'd0, op == 3'd1,
    op[2] | (op[0] & !op[1]), op[2] | op[1]};
"
            .to_string()
                + &kept_register_verilog(6, "d", "q")
                + "always @(*) c = q;\n",
        )
    }
}
