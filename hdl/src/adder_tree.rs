//! `AdderTree`: `groups` independent pipelined sums of `n` int32 values each (n a
//! power of two, 2..=64): one tree per matmul array column.
//!
//! ```text
//!               +-------------+
//!   x[g*n+0] -->|             |
//!   ...      -->| sum over i  |---> sum[g] (int32, wraps mod 2^32)
//!   x[g*n+n-1]->| of x[g*n+i] |
//!   clock    -->|  2 stages   |
//!               +-------------+
//! ```
//! - **Latency**: exactly [`ADDER_TREE_LATENCY`] = 2 clocks for every `n`: a register
//!   after level `ceil(levels / 2)` of the binary tree and one on the output; 1 clock
//!   for a tree built [`AdderTree::without_output_register`] (the levels after the
//!   middle register are combinational, for a caller that registers the sum itself).
//! - **Throughput**: one sum per cycle.
//! - **Reset**: none; the pipeline powers up to zeros.
//!
//! - **Width**: the addends are int32 ports but are known to fit `in_bits` signed bits
//!   (16 for int8 x int8 products: -16256 ..= 16384), so level `k` of the tree adds
//!   `in_bits + k` bits and the sum is sign-extended to 32 on the output: no sum can
//!   overflow (`in_bits + log2 n <= 32`), and the carry chains and pipeline registers
//!   are half as wide as int32 ones. Addends outside `in_bits` are a caller's bug.
//!
//! The tree is emitted as Verilog by Rust code here because rust-hdl 0.46's HDL
//! kernels can only index arrays by a bare loop variable (no `x[2*i]`), which a tree
//! needs.
//!
//! Example (n = 4, one group): `x = [1, -2, 3, 4]` at edge t gives `sum = [6]` after
//! edge t+2.

use rust_hdl::prelude::*;

/// Latency of an [`AdderTree`] in clocks, for every size.
pub const ADDER_TREE_LATENCY: usize = 2;

/// Pipelined binary adder trees.
#[derive(LogicBlock)]
pub struct AdderTree {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Addends, int32 two's complement; tree `g` sums `x[g*n .. g*n+n]`.
    pub x: Vec<Signal<In, Bits<32>>>,
    /// Sums of the addends presented [`ADDER_TREE_LATENCY`] edges ago, one per tree.
    pub sum: Vec<Signal<Out, Bits<32>>>,
    _n: usize,
    _in_bits: usize,
    _out_reg: bool,
    _pipe: Vec<Vec<u32>>,
}

impl AdderTree {
    /// `groups` trees over `n` inputs each, every input a sign-extended `in_bits`-bit
    /// value (`2 ..= 32 - log2 n`).
    pub fn new(n: usize, groups: usize, in_bits: usize) -> Self {
        assert!(n.is_power_of_two() && (2..=64).contains(&n), "n {n}");
        let levels = n.trailing_zeros() as usize;
        assert!((2..=32 - levels).contains(&in_bits), "in_bits {in_bits}");
        Self {
            clock: Default::default(),
            x: crate::vec_of(n * groups),
            sum: crate::vec_of(groups),
            _n: n,
            _in_bits: in_bits,
            _out_reg: true,
            _pipe: vec![vec![0; ADDER_TREE_LATENCY]; groups],
        }
    }

    /// The same trees without the output register: latency `ADDER_TREE_LATENCY - 1`,
    /// `sum` straight from the adders after the middle register. For a caller whose
    /// next stage is a register anyway (the accumulator's), so that the last adders
    /// share logic cells with it instead of feeding it from flip-flops of their own.
    pub fn without_output_register(mut self) -> Self {
        self._out_reg = false;
        for p in &mut self._pipe {
            p.truncate(ADDER_TREE_LATENCY - 1);
        }
        self
    }

    /// Clocks from `x` to `sum`.
    pub fn latency(&self) -> usize {
        ADDER_TREE_LATENCY - usize::from(!self._out_reg)
    }
}

impl Logic for AdderTree {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            for (g, pipe) in self._pipe.iter_mut().enumerate() {
                let s = self.x[g * self._n..(g + 1) * self._n]
                    .iter()
                    .fold(0u32, |acc, v| acc.wrapping_add(v.val().index() as u32));
                self.sum[g].next = (pipe[pipe.len() - 1] as u64).to_bits();
                pipe.rotate_right(1);
                pipe[0] = s;
            }
        }
    }
    fn connect(&mut self) {
        for s in &mut self.sum {
            s.connect();
        }
    }
    fn hdl(&self) -> Verilog {
        let n = self._n;
        let levels = n.trailing_zeros() as usize;
        let cut = levels.div_ceil(2);
        let mut v = String::new();
        let w0 = self._in_bits;
        for g in 0..self.sum.len() {
            // level 0 are the inputs, cut to their `in_bits` significant bits
            let mut names: Vec<String> = (0..n)
                .map(|i| format!("x${}[{}:0]", g * n + i, w0 - 1))
                .collect();
            for level in 1..=levels {
                // level `level` sums two signed (w - 1)-bit values into w bits
                let w = w0 + level;
                let mut next = Vec::new();
                for i in 0..names.len() / 2 {
                    let nm = format!("t{g}_l{level}_{i}");
                    let sx = |e: &str| format!("{{{e}[{}], {e}}}", w - 2);
                    let (a, b) = (&names[2 * i], &names[2 * i + 1]);
                    let (an, bn) = (format!("{nm}_a"), format!("{nm}_b"));
                    v += &format!(
                        "wire [{}:0] {an} = {a};\nwire [{}:0] {bn} = {b};\n",
                        w - 2,
                        w - 2
                    );
                    let expr = format!("{} + {}", sx(&an), sx(&bn));
                    if level == cut {
                        v += &format!(
                            "reg [{}:0] {nm};\ninitial {nm} = 0;\nalways @(posedge clock) {nm} <= {expr};\n",
                            w - 1
                        );
                    } else {
                        v += &format!("wire [{}:0] {nm} = {expr};\n", w - 1);
                    }
                    next.push(nm);
                }
                names = next;
            }
            let w = w0 + levels;
            let out = if w == 32 {
                names[0].clone()
            } else {
                format!(
                    "{{{{{}{{{}[{}]}}}}, {}}}",
                    32 - w,
                    names[0],
                    w - 1,
                    names[0]
                )
            };
            if self._out_reg {
                v += &format!("initial sum${g} = 0;\nalways @(posedge clock) sum${g} <= {out};\n");
            } else {
                v += &format!("always @(*) sum${g} = {out};\n");
            }
        }
        Verilog::Custom(v)
    }
}
