//! `Mul8x2`: two signed 8 x 8 -> 16 bit multipliers with registered operands and
//! registered products, sign-extended to 32 bits, in one of three implementations
//! chosen per instance.
//!
//! ```text
//!                +-------------------------+
//!   a0 --------->| ar0 |                   |---> p0 = int8(ar0) * int8(br0)   (int32)
//!   b0 -(bload)->| br0 |  2 x 8x8, product |
//!   a1 --------->| ar1 |  registers        |---> p1 = int8(ar1) * int8(br1)   (int32)
//!   b1 -(bload)->| br1 |                   |
//!   clock ------>|                         |
//!                +-------------------------+
//! ```
//! - **Operand registers**: `ar0`/`ar1` take `a0`/`a1` at every rising edge (the
//!   array's activation register); `br0`/`br1` take `b0`/`b1` at a rising edge with
//!   `bload` and hold otherwise (the PE's *active* weight; `b` is its shadow).
//! - **Latency**: 2 clocks from `a` (operands at edge `t`, products after edge `t+1`);
//!   a `bload` at edge `t` applies to the product made at edge `t+1`. 3 clocks for a
//!   pair built [`Mul8x2::with_output_register`] (one more register after the products).
//! - **Throughput**: two products per cycle.
//! - **Reset**: none; operand and product registers power up to 0.
//! - **Why the operand registers live here**: in the iCE40 form they are the
//!   `SB_MAC16`'s own A and B input registers (`A_REG`, `B_REG`, `BHOLD = !bload`),
//!   so the 16 active weights and the activation register take no logic cells; a
//!   register fed by another register or a RAM costs a whole iCE40 logic cell. In the
//!   ECP5 `Lut` form `ar0`/`ar1` are `TRELLIS_FF` instances, so that every pair keeps
//!   its own copy of the activation next to its carry chains (yosys merges identical
//!   `always` registers: one per lane for the whole array, wired across the die).
//! - **Implementations** ([`MulImpl`]):
//!   - `Infer`: `$signed(a) * $signed(b)`; yosys maps each onto a DSP (ECP5
//!     `MULT18X18D`, iCE40 `SB_MAC16`).
//!   - `Lut`: the same products as explicit shift-and-add logic, so yosys builds them
//!     from LUTs and carry chains and leaves the DSPs to others. With the define
//!     `ECP5` each product is seven `CCU2C` carry chains whose LUTs also make the
//!     partial products ([`crate::mul8_chain`]: 36 `CCU2C`, against ~165 LUT4, 8
//!     `CCU2C` and wide muxes from yosys's own mapping); the testbench verilates that
//!     form against yosys's `CCU2C` model on every operand pair.
//!   - `Ice40Mac16`: with the define `ICE40`, one `SB_MAC16` in its dual 8x8 mode
//!     (`MODE_8x8`, signed, both 8x8 product registers): two MACs per DSP, so the
//!     iCE40UP5K's 8 DSPs carry 16 MACs. Without `ICE40` it is the `Infer` form.
//!     The testbench verilates the `ICE40` form against yosys's `SB_MAC16` model, before
//!     and after synthesis. Synthesize it without `synth_ice40 -dsp`: that option's
//!     `ice40_dsp` pass rewrites every `SB_MAC16`, this one into a combinational 16 x 16
//!     multiplier (`minilpu_synth::yosys::instantiates_sb_mac16`; the flows leave it out).
//!
//! A Verilog leaf because rust-hdl 0.46's signed multiply is wrong (it is 16 bits in
//! Verilog but 32 in its simulator) and its `signed_bit_cast` of -128 overflows.
//!
//! Example: `b0 = b1 = 0x80 (-128)` with `bload` at edge t, `a0 = 0x80`, `a1 = 0x7f`
//! at edge t+1: after edge t+2, `p0 = 0x00004000 (16384)` and
//! `p1 = 0xffffc080 (-16256)`.

use crate::mul8_chain::ecp5_chain_product;
use rust_hdl::prelude::*;

/// How a [`Mul8x2`] is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MulImpl {
    /// Behavioural `*`, for DSP inference.
    #[default]
    Infer,
    /// Explicit shift-and-add logic (no DSP).
    Lut,
    /// One iCE40 `SB_MAC16` in dual 8x8 mode (under the `ICE40` define).
    Ice40Mac16,
}

/// Two registered signed 8x8 multipliers.
#[derive(LogicBlock, Default)]
pub struct Mul8x2 {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// First multiplicand, int8.
    pub a0: Signal<In, Bits<8>>,
    /// First multiplier, int8.
    pub b0: Signal<In, Bits<8>>,
    /// Second multiplicand, int8.
    pub a1: Signal<In, Bits<8>>,
    /// Second multiplier, int8.
    pub b1: Signal<In, Bits<8>>,
    /// Load `b0` and `b1` into the operand registers at this rising edge.
    pub bload: Signal<In, Bit>,
    /// `ar0 * br0` of the last rising edge, int32.
    pub p0: Signal<Out, Bits<32>>,
    /// `ar1 * br1` of the last rising edge, int32.
    pub p1: Signal<Out, Bits<32>>,
    _impl: MulImpl,
    _out_reg: bool,
    /// Simulation state: operand registers `[ar0, br0, ar1, br1]`.
    _regs: [u8; 4],
    /// Simulation state: the products in the output register (`with_output_register`).
    _q: [Bits<32>; 2],
}

impl Mul8x2 {
    /// A multiplier pair built as `how`.
    pub fn new(how: MulImpl) -> Self {
        Self {
            _impl: how,
            ..Default::default()
        }
    }

    /// The same pair with one more register after the products: latency 3. In the
    /// iCE40 form it is the `SB_MAC16`'s own output register (its adders add 0), so it
    /// takes no logic cells.
    pub fn with_output_register(mut self) -> Self {
        self._out_reg = true;
        self
    }

    /// Clocks from `a0`/`a1` to `p0`/`p1`.
    pub fn latency(&self) -> usize {
        2 + usize::from(self._out_reg)
    }
}

fn product(a: u8, b: u8) -> Bits<32> {
    let p = a as i8 as i32 * b as i8 as i32;
    (p as u32 as u64).to_bits()
}

/// Verilog of one product `prod{i}` (16 bit) of `ar{i}` and `br{i}` as shift-and-add.
fn lut_product(i: usize) -> String {
    let mut v = format!("wire [15:0] ax{i} = {{{{8{{ar{i}[7]}}}}, ar{i}}};\n");
    let terms: Vec<String> = (0..8)
        .map(|k| format!("(br{i}[{k}] ? (ax{i} << {k}) : 16'd0)"))
        .collect();
    v += &format!(
        "wire [15:0] prod{i} = {} - {};\n",
        terms[..7].join(" + "),
        terms[7]
    );
    v
}

impl Logic for Mul8x2 {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let [ar0, br0, ar1, br1] = self._regs;
            let (y0, y1) = (product(ar0, br0), product(ar1, br1));
            if self._out_reg {
                self.p0.next = self._q[0];
                self.p1.next = self._q[1];
                self._q = [y0, y1];
            } else {
                self.p0.next = y0;
                self.p1.next = y1;
            }
            self._regs[0] = self.a0.val().index() as u8;
            self._regs[2] = self.a1.val().index() as u8;
            if self.bload.val() {
                self._regs[1] = self.b0.val().index() as u8;
                self._regs[3] = self.b1.val().index() as u8;
            }
        }
    }
    fn connect(&mut self) {
        self.p0.connect();
        self.p1.connect();
    }
    fn hdl(&self) -> Verilog {
        let operands = "\
reg [7:0] ar0 = 0, br0 = 0, ar1 = 0, br1 = 0;
always @(posedge clock) begin
    ar0 <= a0;
    ar1 <= a1;
    if (bload) begin
        br0 <= b0;
        br1 <= b1;
    end
end
";
        // On the ECP5 the activation registers are `TRELLIS_FF` instances: written as
        // `always` registers, yosys merges the array's identical copies (every column's
        // `ar0` of lane `l` samples the same `act[l]`) into one per lane, whose outputs
        // then cross the die to all the columns' carry chains (the 85F's worst path,
        // 25.7 ns with 22.3 ns of routing). Instances are not merged, so each pair keeps
        // its own copy next to its multipliers. Power-up value 0, like the others.
        // Connected as yosys's own flip-flop mapping connects them: `CE` and `M` left
        // open (nextpnr's packer uses `M` itself; tied to 0 it refuses the design).
        let ecp5_operands = "\
wire [7:0] ar0, ar1;
reg [7:0] br0 = 0, br1 = 0;
genvar ark;
generate for (ark = 0; ark < 8; ark = ark + 1) begin : ar_ff
    (* keep *) TRELLIS_FF #(.GSR(\"DISABLED\"), .CEMUX(\"1\"), .REGSET(\"RESET\"))
        f0 (.CLK(clock), .LSR(1'b0), .DI(a0[ark]), .Q(ar0[ark]));
    (* keep *) TRELLIS_FF #(.GSR(\"DISABLED\"), .CEMUX(\"1\"), .REGSET(\"RESET\"))
        f1 (.CLK(clock), .LSR(1'b0), .DI(a1[ark]), .Q(ar1[ark]));
end endgenerate
always @(posedge clock) begin
    if (bload) begin
        br0 <= b0;
        br1 <= b1;
    end
end
";
        let infer = "\
wire signed [15:0] prod0 = $signed(ar0) * $signed(br0);
wire signed [15:0] prod1 = $signed(ar1) * $signed(br1);
";
        let regs = if self._out_reg {
            "\
reg [15:0] q0 = 0, q1 = 0;
initial begin
    p0 = 0;
    p1 = 0;
end
always @(posedge clock) begin
    q0 <= prod0;
    q1 <= prod1;
    p0 <= {{16{q0[15]}}, q0};
    p1 <= {{16{q1[15]}}, q1};
end
"
        } else {
            "\
initial begin
    p0 = 0;
    p1 = 0;
end
always @(posedge clock) begin
    p0 <= {{16{prod0[15]}}, prod0};
    p1 <= {{16{prod1[15]}}, prod1};
end
"
        };
        // Output stage of the SB_MAC16: the registered 8x8 products (F, G), or with
        // the output register those products plus C = D = 0 through the adders into
        // the accumulator registers (Q, S).
        let out_sel = if self._out_reg {
            ".TOPOUTPUT_SELECT(2'b01), .BOTOUTPUT_SELECT(2'b01),
    .TOPADDSUB_LOWERINPUT(2'b01), .BOTADDSUB_LOWERINPUT(2'b01),
    .TOPADDSUB_UPPERINPUT(1'b1), .BOTADDSUB_UPPERINPUT(1'b1),
    .TOPADDSUB_CARRYSELECT(2'b00), .BOTADDSUB_CARRYSELECT(2'b00)"
        } else {
            ".TOPOUTPUT_SELECT(2'b10), .BOTOUTPUT_SELECT(2'b10)"
        };
        Verilog::Custom(match self._impl {
            MulImpl::Infer => format!("{operands}{infer}{regs}"),
            MulImpl::Lut => format!(
                "`ifdef ECP5\n{ecp5_operands}{}{}`else\n{operands}{}{}`endif\n{regs}",
                ecp5_chain_product(0),
                ecp5_chain_product(1),
                lut_product(0),
                lut_product(1)
            ),
            MulImpl::Ice40Mac16 => format!(
                "\
`ifdef ICE40
wire [31:0] o;
SB_MAC16 #(
    .MODE_8x8(1'b1), .A_SIGNED(1'b1), .B_SIGNED(1'b1),
    .A_REG(1'b1), .B_REG(1'b1),
    .TOP_8x8_MULT_REG(1'b1), .BOT_8x8_MULT_REG(1'b1),
    {out_sel}
) mac (
    .CLK(clock), .CE(1'b1), .A({{a1, a0}}), .B({{b1, b0}}), .C(16'd0), .D(16'd0),
    .AHOLD(1'b0), .BHOLD(!bload), .CHOLD(1'b0), .DHOLD(1'b0),
    .IRSTTOP(1'b0), .IRSTBOT(1'b0), .ORSTTOP(1'b0), .ORSTBOT(1'b0),
    .OLOADTOP(1'b0), .OLOADBOT(1'b0), .ADDSUBTOP(1'b0), .ADDSUBBOT(1'b0),
    .OHOLDTOP(1'b0), .OHOLDBOT(1'b0), .CI(1'b0), .ACCUMCI(1'b0), .SIGNEXTIN(1'b0),
    .O(o), .CO(), .ACCUMCO(), .SIGNEXTOUT()
);
always @(*) begin
    p0 = {{{{16{{o[15]}}}}, o[15:0]}};
    p1 = {{{{16{{o[31]}}}}, o[31:16]}};
end
`else
{operands}{infer}{regs}`endif
"
            ),
        })
    }
}

/// Verilog of one [`Mul8x2`] built as `how` (latency 2) as the module `top`, for
/// testing the leaf on its own.
pub fn mul8x2_verilog(how: MulImpl) -> String {
    let mut uut = Mul8x2::new(how);
    uut.connect_all();
    generate_verilog(&uut)
}
