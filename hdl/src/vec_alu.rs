//! `VecAlu`: the vector unit's lane datapath (combinational): saturating add, max,
//! ReLU and copy on `lanes` int8 lanes, and the first maximum of one word for argmax.
//!
//! ```text
//!   a[lanes], b[lanes], op --> y[lanes]        (op: 0 add, 1 max, 2 relu, 3 copy)
//!   a[lanes] ---------------> wmax, widx       (largest lane of `a`, lowest index wins)
//! ```
//! - **Latency**: 0 (combinational; the vector unit registers around it).
//! - **Reset**: none (no state).
//!
//! A Verilog leaf because rust-hdl 0.46 has no signed comparison that survives the
//! most negative value. Example: `a = 100, b = 100`, op add: `y = 127`;
//! `a = [-128, 5, 5, 0]`: `wmax = 5`, `widx = 1`.

use rust_hdl::prelude::*;

/// Vector lane operation codes (the low bits of the ISA's vector opcodes).
pub mod vop {
    /// Saturating add.
    pub const ADD: u64 = 0;
    /// Lane-wise max.
    pub const MAX: u64 = 1;
    /// max(a, 0).
    pub const RELU: u64 = 2;
    /// a.
    pub const COPY: u64 = 3;
    /// Argmax (handled by the vector unit's reduction).
    pub const ARGMAX: u64 = 4;
}

/// The lane datapath.
#[derive(LogicBlock)]
pub struct VecAlu {
    /// First operand, int8 per lane.
    pub a: Vec<Signal<In, Bits<8>>>,
    /// Second operand, int8 per lane (add, max).
    pub b: Vec<Signal<In, Bits<8>>>,
    /// Operation ([`vop`]).
    pub op: Signal<In, Bits<3>>,
    /// Result per lane.
    pub y: Vec<Signal<Out, Bits<8>>>,
    /// Largest lane of `a` (int8).
    pub wmax: Signal<Out, Bits<8>>,
    /// Lowest lane index holding `wmax`.
    pub widx: Signal<Out, Bits<8>>,
}

impl VecAlu {
    /// A datapath of `lanes` lanes.
    pub fn new(lanes: usize) -> Self {
        Self {
            a: crate::vec_of(lanes),
            b: crate::vec_of(lanes),
            op: Default::default(),
            y: crate::vec_of(lanes),
            wmax: Default::default(),
            widx: Default::default(),
        }
    }
}

fn s8(v: &Signal<In, Bits<8>>) -> i32 {
    v.val().index() as u8 as i8 as i32
}

impl Logic for VecAlu {
    fn update(&mut self) {
        let op = self.op.val().index() as u64;
        let mut best = (0usize, i32::MIN);
        for l in 0..self.a.len() {
            let (a, b) = (s8(&self.a[l]), s8(&self.b[l]));
            let y = match op {
                vop::ADD => (a + b).clamp(-128, 127),
                vop::MAX => a.max(b),
                vop::RELU => a.max(0),
                _ => a,
            };
            self.y[l].next = ((y as i8 as u8) as u64).to_bits();
            if a > best.1 {
                best = (l, a);
            }
        }
        self.wmax.next = ((best.1 as i8 as u8) as u64).to_bits();
        self.widx.next = (best.0 as u64).to_bits();
    }
    fn connect(&mut self) {
        for y in &mut self.y {
            y.connect();
        }
        self.wmax.connect();
        self.widx.connect();
    }
    fn hdl(&self) -> Verilog {
        let n = self.a.len();
        let mut v = String::new();
        for l in 0..n {
            v += &format!(
                "\
wire signed [8:0] s{l} = $signed(a${l}) + $signed(b${l});
wire [7:0] add{l} = (s{l} > 9'sd127) ? 8'h7f : ((s{l} < -9'sd128) ? 8'h80 : s{l}[7:0]);
wire [7:0] max{l} = ($signed(a${l}) > $signed(b${l})) ? a${l} : b${l};
wire [7:0] relu{l} = a${l}[7] ? 8'h00 : a${l};
"
            );
        }
        // Argmax of one word: a balanced tree of pairwise compares (log2(lanes) deep);
        // the right (higher) half wins only when strictly greater, so the lowest index
        // wins on ties.
        let mut level: Vec<(String, String)> = (0..n)
            .map(|l| (format!("a${l}"), format!("8'd{l}")))
            .collect();
        let mut k = 0;
        while level.len() > 1 {
            let mut next = Vec::new();
            for (j, pair) in level.chunks(2).enumerate() {
                if let [(ml, il), (mr, ir)] = pair {
                    v += &format!(
                        "wire gt{k}_{j} = $signed({mr}) > $signed({ml});\n\
wire [7:0] m{k}_{j} = gt{k}_{j} ? {mr} : {ml};\n\
wire [7:0] i{k}_{j} = gt{k}_{j} ? {ir} : {il};\n"
                    );
                    next.push((format!("m{k}_{j}"), format!("i{k}_{j}")));
                } else {
                    next.push(pair[0].clone());
                }
            }
            level = next;
            k += 1;
        }
        let (wmax, widx) = level.pop().expect("lanes >= 1");
        v += "always @(*) begin\n";
        for l in 0..n {
            v += &format!(
                "    case (op)\n        3'd0: y${l} = add{l};\n        3'd1: y${l} = max{l};\n        3'd2: y${l} = relu{l};\n        default: y${l} = a${l};\n    endcase\n"
            );
        }
        v += &format!("    wmax = {wmax};\n    widx = {widx};\nend\n");
        Verilog::Custom(v)
    }
}
