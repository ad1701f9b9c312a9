//! `Mul8x2`: two registered signed 8 x 8 -> 16 bit multipliers, sign-extended to
//! 32 bits, in one of three implementations chosen per instance.
//!
//! ```text
//!          +-----------+
//!   a0 --->|           |---> p0 = int8(a0) * int8(b0)   (int32)
//!   b0 --->|  2 x 8x8  |
//!   a1 --->|    reg    |---> p1 = int8(a1) * int8(b1)   (int32)
//!   b1 --->|           |
//! clock -->|           |
//!          +-----------+
//! ```
//! - **Latency**: 1 clock (operands at rising edge `t`, products after that edge).
//! - **Throughput**: two products per cycle.
//! - **Reset**: none; products power up to 0.
//! - **Implementations** ([`MulImpl`]):
//!   - `Infer`: `$signed(a) * $signed(b)`; yosys maps each onto a DSP (ECP5
//!     `MULT18X18D`, iCE40 `SB_MAC16`).
//!   - `Lut`: the same products as explicit shift-and-add logic, so yosys builds them
//!     from LUTs and carry chains and leaves the DSPs to others.
//!   - `Ice40Mac16`: with the define `ICE40`, one `SB_MAC16` in its dual 8x8 mode
//!     (`MODE_8x8`, signed, both 8x8 product registers): two MACs per DSP, so the
//!     iCE40UP5K's 8 DSPs carry 16 MACs. Without `ICE40` it is the `Infer` form.
//!     The testbench verilates the `ICE40` form against yosys's `SB_MAC16` model.
//!
//! A Verilog leaf because rust-hdl 0.46's signed multiply is wrong (it is 16 bits in
//! Verilog but 32 in its simulator) and its `signed_bit_cast` of -128 overflows.
//!
//! Example: `a0 = b0 = 0x80 (-128)` gives `p0 = 0x00004000 (16384)`;
//! `a1 = 0x7f, b1 = 0x80` gives `p1 = 0xffffc080 (-16256)`.

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
    /// `a0 * b0` of the last rising edge, int32.
    pub p0: Signal<Out, Bits<32>>,
    /// `a1 * b1` of the last rising edge, int32.
    pub p1: Signal<Out, Bits<32>>,
    _impl: MulImpl,
}

impl Mul8x2 {
    /// A multiplier pair built as `how`.
    pub fn new(how: MulImpl) -> Self {
        Self {
            _impl: how,
            ..Default::default()
        }
    }
}

fn product(a: &Signal<In, Bits<8>>, b: &Signal<In, Bits<8>>) -> Bits<32> {
    let a = a.val().index() as u8 as i8 as i32;
    let b = b.val().index() as u8 as i8 as i32;
    ((a * b) as u32 as u64).to_bits()
}

/// Verilog of one product `prod{i}` (16 bit) of `a{i}` and `b{i}` as shift-and-add.
fn lut_product(i: usize) -> String {
    let mut v = format!("wire [15:0] ax{i} = {{{{8{{a{i}[7]}}}}, a{i}}};\n");
    let terms: Vec<String> = (0..8)
        .map(|k| format!("(b{i}[{k}] ? (ax{i} << {k}) : 16'd0)"))
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
            self.p0.next = product(&self.a0, &self.b0);
            self.p1.next = product(&self.a1, &self.b1);
        }
    }
    fn connect(&mut self) {
        self.p0.connect();
        self.p1.connect();
    }
    fn hdl(&self) -> Verilog {
        let infer = "\
wire signed [15:0] prod0 = $signed(a0) * $signed(b0);
wire signed [15:0] prod1 = $signed(a1) * $signed(b1);
";
        let regs = "\
initial begin
    p0 = 0;
    p1 = 0;
end
always @(posedge clock) begin
    p0 <= {{16{prod0[15]}}, prod0};
    p1 <= {{16{prod1[15]}}, prod1};
end
";
        Verilog::Custom(match self._impl {
            MulImpl::Infer => format!("{infer}{regs}"),
            MulImpl::Lut => format!("{}{}{regs}", lut_product(0), lut_product(1)),
            MulImpl::Ice40Mac16 => format!(
                "\
`ifdef ICE40
wire [31:0] o;
SB_MAC16 #(
    .MODE_8x8(1'b1), .A_SIGNED(1'b1), .B_SIGNED(1'b1),
    .TOP_8x8_MULT_REG(1'b1), .BOT_8x8_MULT_REG(1'b1),
    .TOPOUTPUT_SELECT(2'b10), .BOTOUTPUT_SELECT(2'b10)
) mac (
    .CLK(clock), .CE(1'b1), .A({{a1, a0}}), .B({{b1, b0}}), .C(16'd0), .D(16'd0),
    .AHOLD(1'b0), .BHOLD(1'b0), .CHOLD(1'b0), .DHOLD(1'b0),
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
{infer}{regs}`endif
"
            ),
        })
    }
}
