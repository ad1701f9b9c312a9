//! `VecAlu`: the vector unit's lane datapath (combinational): saturating add, max,
//! ReLU and copy on `lanes` int8 lanes, and the first maximum of one word for argmax.
//!
//! ```text
//!   a[lanes], b[lanes], op --> y[lanes]        (op: 0 add, 1 max, 2 relu, 3 copy, else 0)
//!   a[lanes] ---------------> pm[n1], pi[n1]   (first levels of the argmax tree)
//!   qm[n1], qi[n1] ---------> wmax, widx       (the other levels: largest, lowest index)
//! ```
//! The argmax tree compares pairs (the higher index wins only when strictly greater, so
//! the lowest index wins on ties). Its `ceil(levels / 2)` first levels go from `a` to
//! `pm`/`pi` (`n1` = [`VecAlu::partial_width`] nodes) and the rest from `qm`/`qi` to
//! `wmax`/`widx`, so that the vector unit can put a register between the two halves.
//! With [`VecAlu::flat_halves`] (`TileConfig::argmax_flat_halves`, the default) a half
//! of two levels (the first with 8 and 16 lanes, the second with 16 and 32: four nodes
//! each) is one level of six compares side by side, three of which drive a 4:1
//! multiplexer that picks the first maximum, not two compares and multiplexers in a row
//! (the same answer; the 16x16 tile's slowest paths).
//! With 16 lanes and flat halves the tree is split otherwise ([`VecAlu::final_nodes`]):
//! one level of pairs from `a` to `pm` (8 nodes, each compare straight off the
//! operands), then two flat halves side by side from `qm` to two nodes, `wmax`/`widx`
//! (lanes 0..8) and `wmax1`/`widx1` (lanes 8..16), whose last compare the vector unit
//! makes together with its running best. No cycle then holds more than one flat half.
//! The second cycle's six compares per half are made in the first, from the operands:
//! node `b` (pair `x0, x1`) beats node `a` (pair `y0, y1`) when `x0` or `x1` is greater
//! than both `y0` and `y1`, four compares of lanes side by side and one LUT. They leave
//! on `pc` (twelve bits, [`VecAlu::cross_width`]) for the caller to register into `qc`,
//! so that the second cycle has no compare left, only the flat halves' selects and
//! multiplexers. They read the operands from `ax`, the caller's copy of the registers
//! that drive `a`, so that `a`'s registers keep their few loads.
//! `pm`/`pi` are valid only with op argmax: the first level's compares use the odd
//! lanes' adders (idle then), which compute `a[l] - a[l-1] - 1`. With op argmax `y` is 0,
//! so the vector unit can OR the argmax result into the write data.
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
    /// Result per lane (0 for any op other than add, max, relu, copy).
    pub y: Vec<Signal<Out, Bits<8>>>,
    /// Argmax tree after its first levels: node maxima (int8; valid with op argmax).
    pub pm: Vec<Signal<Out, Bits<8>>>,
    /// Argmax tree after its first levels: lane index of each node maximum.
    pub pi: Vec<Signal<Out, Bits<8>>>,
    /// `pm` as registered by the caller.
    pub qm: Vec<Signal<In, Bits<8>>>,
    /// `pi` as registered by the caller.
    pub qi: Vec<Signal<In, Bits<8>>>,
    /// With the split form ([`VecAlu::cross_width`] = 12): for each flat half `h` and
    /// node pair `a < b` of it (`b` outer, `a` inner, in order), "node `4h+b`'s maximum
    /// is strictly greater than node `4h+a`'s" (valid with op argmax).
    pub pc: Vec<Signal<Out, Bit>>,
    /// `pc` as registered by the caller (beside `qm`).
    pub qc: Vec<Signal<In, Bit>>,
    /// With the split form: `a` again, from the caller's copy of its operand registers,
    /// for the cross compares (`pc`) only (one per lane; empty otherwise).
    pub ax: Vec<Signal<In, Bits<8>>>,
    /// Largest of `qm` (int8).
    pub wmax: Signal<Out, Bits<8>>,
    /// Lowest lane index holding `wmax`.
    pub widx: Signal<Out, Bits<8>>,
    /// With the split last level ([`VecAlu::final_nodes`] = 2): the second node's
    /// maximum (of the upper half of `qm`); `wmax`/`widx` are then the lower half's.
    pub wmax1: Vec<Signal<Out, Bits<8>>>,
    /// With the split last level: the second node's lane index (zero-extended, for the
    /// caller's 32-bit flat index).
    pub widx1: Vec<Signal<Out, Bits<32>>>,
    /// With [`VecAlu::lane_ops`]: lane `l`'s registered select bits ([`crate::LaneOps`]),
    /// the decode of `op` made a cycle early, used instead of decoding `op` here.
    pub ctl: Vec<Signal<In, Bits<6>>>,
    /// Halves of two levels as one level of compares (`TileConfig::argmax_flat_halves`).
    _flat: bool,
}

/// Levels of the argmax tree over `lanes` values.
fn tree_levels(lanes: usize) -> usize {
    lanes.next_power_of_two().trailing_zeros() as usize
}

/// One argmax tree level: pairs, the right one wins only when strictly greater.
fn level_of<T: Clone>(nodes: &[T], gt: impl Fn(&T, &T) -> bool) -> Vec<T> {
    nodes
        .chunks(2)
        .map(|p| match p {
            [l, r] if gt(r, l) => r.clone(),
            _ => p[0].clone(),
        })
        .collect()
}

/// Verilog for up to `levels` levels of the argmax tree over `(max, index)` nodes; the
/// first level's compares are `gt0(j)` when given (pair `j`: right strictly greater).
fn tree_verilog(
    v: &mut String,
    tag: &str,
    mut nodes: Vec<(String, String)>,
    levels: usize,
    gt0: Option<&dyn Fn(usize) -> String>,
) -> Vec<(String, String)> {
    for k in 0..levels {
        let mut next = Vec::new();
        for (j, pair) in nodes.chunks(2).enumerate() {
            if let [(ml, il), (mr, ir)] = pair {
                let gt = match (k, gt0) {
                    (0, Some(f)) => f(j),
                    _ => format!("$signed({mr}) > $signed({ml})"),
                };
                *v += &format!(
                    "wire {tag}gt{k}_{j} = {gt};\n\
wire [7:0] {tag}m{k}_{j} = {tag}gt{k}_{j} ? {mr} : {ml};\n\
wire [7:0] {tag}i{k}_{j} = {tag}gt{k}_{j} ? {ir} : {il};\n"
                );
                next.push((format!("{tag}m{k}_{j}"), format!("{tag}i{k}_{j}")));
            } else {
                next.push(pair[0].clone());
            }
        }
        nodes = next;
    }
    nodes
}

/// The node pairs `(a, b)`, `a < b`, of each flat half of four nodes, half by half and
/// in the order [`tournament_verilog`] makes its compares (`b` outer, `a` inner): the
/// first `count` of them (12: both halves of the split form).
fn cross_pairs(count: usize) -> Vec<(usize, usize)> {
    (0..2)
        .flat_map(|h| (0..4).flat_map(move |b| (0..b).map(move |a| (4 * h + a, 4 * h + b))))
        .take(count)
        .collect()
}

/// Verilog for the two levels of the argmax tree over four `(max, index)` nodes in one
/// level of compares: the first maximum (the tree's answer, the lowest index winning
/// ties). Its six compares run side by side instead of two compares and two
/// multiplexers in a row. The two pairs' compares (node 1 beats node 0: `c0_1`; node 3
/// beats node 2: `c2_3`) pick which cross compare says that the upper pair's winner
/// strictly beats the lower pair's (`hi`), and those three drive a 4:1 multiplexer: two
/// LUT levels after the compares (an AND-OR of "node `j` wins" terms mapped to six or
/// more on the 16x16 tile). `given(a, b)` may name an existing signal for "node `b`
/// strictly greater than node `a`" (the lane adders' compares).
fn tournament_verilog(
    v: &mut String,
    tag: &str,
    nodes: &[(String, String)],
    given: &dyn Fn(usize, usize) -> Option<String>,
) -> (String, String) {
    assert_eq!(nodes.len(), 4, "a flat half has four nodes");
    for b in 0..4 {
        for a in 0..b {
            let gt = given(a, b)
                .unwrap_or_else(|| format!("$signed({}) > $signed({})", nodes[b].0, nodes[a].0));
            *v += &format!("wire {tag}c{a}_{b} = {gt};\n");
        }
    }
    *v += &format!(
        "wire {tag}hi = {tag}c2_3 ? ({tag}c0_1 ? {tag}c1_3 : {tag}c0_3) : \
         ({tag}c0_1 ? {tag}c1_2 : {tag}c0_2);\n"
    );
    let pick = |k: usize| -> String {
        let x = |j: usize| if k == 0 { &nodes[j].0 } else { &nodes[j].1 };
        format!(
            "{tag}hi ? ({tag}c2_3 ? {} : {}) : ({tag}c0_1 ? {} : {})",
            x(3),
            x(2),
            x(1),
            x(0)
        )
    };
    *v += &format!(
        "wire [7:0] {tag}tm = {};\nwire [7:0] {tag}ti = {};\n",
        pick(0),
        pick(1)
    );
    (format!("{tag}tm"), format!("{tag}ti"))
}

impl VecAlu {
    /// A datapath of `lanes` lanes.
    pub fn new(lanes: usize) -> Self {
        Self {
            a: crate::vec_of(lanes),
            b: crate::vec_of(lanes),
            op: Default::default(),
            y: crate::vec_of(lanes),
            // Sized by `flat_halves` below.
            pm: Vec::new(),
            pi: Vec::new(),
            qm: Vec::new(),
            qi: Vec::new(),
            pc: Vec::new(),
            qc: Vec::new(),
            ax: Vec::new(),
            wmax: Default::default(),
            widx: Default::default(),
            wmax1: Vec::new(),
            widx1: Vec::new(),
            ctl: Vec::new(),
            _flat: true,
        }
        .flat_halves(true)
    }

    /// With `flat` false, every half of the argmax tree is a chain of pairwise levels
    /// (`TileConfig::argmax_flat_halves`).
    pub fn flat_halves(mut self, flat: bool) -> Self {
        let lanes = self.a.len();
        self._flat = flat;
        self.pm = crate::vec_of(Self::partial_width(lanes, flat));
        self.pi = crate::vec_of(Self::partial_width(lanes, flat));
        self.qm = crate::vec_of(Self::partial_width(lanes, flat));
        self.qi = crate::vec_of(Self::partial_width(lanes, flat));
        self.pc = crate::vec_of(Self::cross_width(lanes, flat));
        self.qc = crate::vec_of(Self::cross_width(lanes, flat));
        self.ax = crate::vec_of(Self::cross_operands(lanes, flat));
        self.wmax1 = crate::vec_of(Self::final_nodes(lanes, flat) - 1);
        self.widx1 = crate::vec_of(Self::final_nodes(lanes, flat) - 1);
        self
    }

    /// With `on`, every lane takes its select bits from `ctl` (registered per lane by a
    /// [`crate::LaneOps`]) instead of one decode of `op` shared by all lanes; `op` is then
    /// only the behavioural model's.
    pub fn lane_ops(mut self, on: bool) -> Self {
        self.ctl = crate::vec_of(if on { self.a.len() } else { 0 });
        self
    }

    /// The split form (16 lanes, flat halves): one level of pairs from `a` to `pm`
    /// (8 nodes, compares straight off the operands), two flat halves of two levels
    /// from `qm` to two nodes, whose last compare the caller makes together with its
    /// running best. Each cycle then holds at most two levels, none three.
    fn split(lanes: usize, flat: bool) -> bool {
        flat && lanes == 16
    }

    /// Levels of the argmax tree in the first half (from `a` to `pm`).
    fn first_levels(lanes: usize, flat: bool) -> usize {
        if Self::split(lanes, flat) {
            1
        } else {
            tree_levels(lanes).div_ceil(2)
        }
    }

    /// Nodes after the first half of the argmax tree (the width of `pm`, `qm`).
    pub fn partial_width(lanes: usize, flat: bool) -> usize {
        let mut n = lanes;
        for _ in 0..Self::first_levels(lanes, flat) {
            n = n.div_ceil(2);
        }
        n
    }

    /// The second cycle's compares made in the first (`pc`, `qc`): six per flat half in
    /// the split form, else none.
    pub fn cross_width(lanes: usize, flat: bool) -> usize {
        if Self::split(lanes, flat) {
            12
        } else {
            0
        }
    }

    /// Operand lanes the cross compares read (`ax`): every lane in the split form, else
    /// none.
    pub fn cross_operands(lanes: usize, flat: bool) -> usize {
        if Self::split(lanes, flat) {
            lanes
        } else {
            0
        }
    }

    /// Nodes the second half ends in (`wmax`, and `wmax1` when 2): 2 in the split form,
    /// else 1.
    pub fn final_nodes(lanes: usize, flat: bool) -> usize {
        1 + Self::split(lanes, flat) as usize
    }
}

fn s8(v: &Signal<In, Bits<8>>) -> i32 {
    v.val().index() as u8 as i8 as i32
}

impl Logic for VecAlu {
    fn update(&mut self) {
        let op = self.op.val().index() as u64;
        let gt = |r: &(i32, u64), l: &(i32, u64)| r.0 > l.0;
        let mut nodes: Vec<(i32, u64)> = (0..self.a.len())
            .map(|l| (s8(&self.a[l]), l as u64))
            .collect();
        let (lanes, flat) = (self.a.len(), self._flat);
        for _ in 0..Self::first_levels(lanes, flat) {
            nodes = level_of(&nodes, gt);
        }
        for (j, (m, i)) in nodes.iter().enumerate() {
            self.pm[j].next = ((*m as i8 as u8) as u64).to_bits();
            self.pi[j].next = i.to_bits();
        }
        for (k, (na, nb)) in cross_pairs(self.pc.len()).into_iter().enumerate() {
            self.pc[k].next = nodes[nb].0 > nodes[na].0;
        }
        let mut nodes: Vec<(i32, u64)> = (0..self.qm.len())
            .map(|j| (s8(&self.qm[j]), self.qi[j].val().index() as u64))
            .collect();
        let finals = Self::final_nodes(lanes, flat);
        while nodes.len() > finals {
            nodes = level_of(&nodes, gt);
        }
        self.wmax.next = ((nodes[0].0 as i8 as u8) as u64).to_bits();
        self.widx.next = nodes[0].1.to_bits();
        for (k, (m, i)) in nodes.iter().skip(1).enumerate() {
            self.wmax1[k].next = ((*m as i8 as u8) as u64).to_bits();
            self.widx1[k].next = i.to_bits();
        }
        for l in 0..self.a.len() {
            let (a, b) = (s8(&self.a[l]), s8(&self.b[l]));
            let y = match op {
                vop::ADD => (a + b).clamp(-128, 127),
                vop::MAX => a.max(b),
                vop::RELU => a.max(0),
                vop::COPY => a,
                _ => 0,
            };
            self.y[l].next = ((y as i8 as u8) as u64).to_bits();
        }
    }
    fn connect(&mut self) {
        for y in self.y.iter_mut().chain(&mut self.pm).chain(&mut self.pi) {
            y.connect();
        }
        for c in self.pc.iter_mut() {
            c.connect();
        }
        self.wmax.connect();
        self.widx.connect();
        for y in self.wmax1.iter_mut() {
            y.connect();
        }
        for y in self.widx1.iter_mut() {
            y.connect();
        }
    }
    fn hdl(&self) -> Verilog {
        let n = self.a.len();
        // One 9-bit adder per lane: a + b (add), a - b (max: b when negative, i.e. a < b),
        // a + 0 (relu, copy), and in an odd lane during argmax a - a[l-1] - 1 (the first
        // tree level: the odd lane is strictly greater when it is not negative). Its
        // second operand is one 4-input function of two op-wide selects and two bits.
        // With `ctl`, each lane's own registered copies of the select bits (bit order of
        // `LaneOps`), named per lane.
        let own = !self.ctl.is_empty();
        let mut v = String::new();
        if own {
            // `op` is then the behavioural model's only (Verilator ignores `*unused*`).
            v += "wire unused_op = ^op;\n";
        } else {
            v += "\
wire m1 = op[2] | op[1];
wire m0 = op[2] | (op[0] & !op[1]);
wire cin = op == 3'd1;
wire o_add = op == 3'd0;
wire o_max = op == 3'd1;
wire o_relu = op == 3'd2;
wire o_copy = op == 3'd3;
";
        }
        for l in 0..n {
            let [m1, m0, cin, o_add, o_max, o_relu, o_copy] =
                ["m1", "m0", "cin", "o_add", "o_max", "o_relu", "o_copy"].map(|x| {
                    if own {
                        format!("{x}_{l}")
                    } else {
                        x.to_string()
                    }
                });
            if own {
                v += &format!(
                    "wire {m1} = ctl${l}[0];\nwire {m0} = ctl${l}[1];\nwire {o_max} = ctl${l}[2];\n\
wire {cin} = ctl${l}[2];\nwire {o_add} = ctl${l}[3];\nwire {o_relu} = ctl${l}[4];\n\
wire {o_copy} = ctl${l}[5];\n"
                );
            }
            let alt = if l % 2 == 1 {
                format!("~a${}", l - 1)
            } else {
                "8'd0".to_string()
            };
            v += &format!(
                "\
wire [7:0] bx{l} = {m1} ? ({m0} ? {alt} : 8'd0) : ({m0} ? ~b${l} : b${l});
wire [8:0] s{l} = {{a${l}[7], a${l}}} + {{bx{l}[7], bx{l}}} + {{8'd0, {cin}}};
// the 9-bit sum overflows int8 exactly when its top two bits differ; each result bit
// is an OR of gated sources (a, b, the sum, a saturation constant) with per-lane gates
wire ovf{l} = s{l}[8] ^ s{l}[7];
wire sa{l} = {o_max} & !s{l}[8];
wire sb{l} = {o_max} & s{l}[8];
wire ss{l} = ({o_add} & !ovf{l}) | ({o_relu} & !s{l}[8]) | {o_copy};
wire klo{l} = {o_add} & ovf{l} & !s{l}[8];
wire khi{l} = {o_add} & ovf{l} & s{l}[8];
wire [7:0] r{l} = ({{8{{sa{l}}}}} & a${l}) | ({{8{{sb{l}}}}} & b${l}) | ({{8{{ss{l}}}}} & s{l}[7:0])
    | {{khi{l}, {{7{{klo{l}}}}}}};
"
            );
        }
        // Argmax of one word: the first half of the tree from `a` to `pm`/`pi`, the
        // second from `qm`/`qi` (the caller's register of `pm`/`pi`) to `wmax`/`widx`.
        let leaves: Vec<(String, String)> = (0..n)
            .map(|l| (format!("a${l}"), format!("8'd{l}")))
            .collect();
        let gt0 = |j: usize| format!("!s{}[8]", 2 * j + 1);
        // Two levels before the register (8 and 16 lanes) as one level of compares per
        // group of four lanes; the pairs of neighbours keep the adders' compares.
        let first = Self::first_levels(n, self._flat);
        let part = if Self::split(n, self._flat) {
            // One level of pairs, each compare straight off the operands (not through
            // the lane adders' operand multiplexer).
            tree_verilog(&mut v, "p", leaves, 1, None)
        } else if self._flat && first == 2 {
            leaves
                .chunks(4)
                .enumerate()
                .map(|(g, group)| {
                    let given = |a: usize, b: usize| {
                        (a.is_multiple_of(2) && b == a + 1).then(|| gt0(2 * g + a / 2))
                    };
                    tournament_verilog(&mut v, &format!("p{g}_"), group, &given)
                })
                .collect()
        } else {
            tree_verilog(&mut v, "p", leaves, first, Some(&gt0))
        };
        let qs: Vec<(String, String)> = (0..part.len())
            .map(|j| (format!("qm${j}"), format!("qi${j}")))
            .collect();
        let rest = tree_levels(n) - first;
        let mut finals = Vec::new();
        // Two levels after the register (16 or 32 lanes) as one level of compares; in
        // the split form two such halves side by side.
        let (wmax, widx) = if Self::split(n, self._flat) {
            // The cross compares, from the operands' copy: pair `(2nb, 2nb+1)` has a
            // lane greater than both lanes of pair `(2na, 2na+1)`.
            for (k, (na, nb)) in cross_pairs(12).into_iter().enumerate() {
                let gt = |x: usize, y: usize| format!("($signed(ax${x}) > $signed(ax${y}))");
                let (x0, x1, y0, y1) = (2 * nb, 2 * nb + 1, 2 * na, 2 * na + 1);
                v += &format!(
                    "wire xc{k} = ({} & {}) | ({} & {});\n",
                    gt(x0, y0),
                    gt(x0, y1),
                    gt(x1, y0),
                    gt(x1, y1)
                );
            }
            // The registered compares, by (node, node) within each half.
            let given = |h: usize| {
                move |a: usize, b: usize| {
                    cross_pairs(12)
                        .iter()
                        .position(|&p| p == (4 * h + a, 4 * h + b))
                        .map(|k| format!("qc${k}"))
                }
            };
            finals.push(tournament_verilog(&mut v, "u", &qs[4..8], &given(1)));
            tournament_verilog(&mut v, "q", &qs[0..4], &given(0))
        } else if self._flat && rest == 2 {
            tournament_verilog(&mut v, "q", &qs, &|_, _| None)
        } else {
            tree_verilog(&mut v, "q", qs, rest, None)
                .pop()
                .expect("lanes >= 1")
        };
        v += "always @(*) begin\n";
        for l in 0..n {
            v += &format!("    y${l} = r{l};\n");
        }
        for (j, (m, i)) in part.iter().enumerate() {
            v += &format!("    pm${j} = {m};\n    pi${j} = {i};\n");
        }
        for k in 0..self.pc.len() {
            v += &format!("    pc${k} = xc{k};\n");
        }
        v += &format!("    wmax = {wmax};\n    widx = {widx};\n");
        for (k, (m, i)) in finals.iter().enumerate() {
            v += &format!("    wmax1${k} = {m};\n    widx1${k} = {{24'd0, {i}}};\n");
        }
        v += "end\n";
        Verilog::Custom(v)
    }
}
