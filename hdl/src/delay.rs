//! `Delay`: a `W`-bit shift register of fixed length that carries tags (valid bits,
//! addresses) alongside data through a pipeline of known latency.
//!
//! ```text
//!   d --> [reg] --> [reg] --> ... --> q     (n registers)
//! ```
//! - **Latency**: exactly `n` clocks (`n >= 1`).
//! - **Throughput**: one value per cycle.
//! - **Reset**: none; powers up to zero.
//!
//! A Verilog leaf because rust-hdl 0.46 HDL kernels cannot index `stage[k - 1]`.
//!
//! Example (n = 2): `d = 5` at edge t appears on `q` after edge t+1.

use rust_hdl::prelude::*;

/// A fixed-length delay line.
#[derive(LogicBlock)]
pub struct Delay<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Value entering the line.
    pub d: Signal<In, Bits<W>>,
    /// `d` as it was `n` rising edges ago.
    pub q: Signal<Out, Bits<W>>,
    _n: usize,
    _line: Vec<Bits<W>>,
}

impl<const W: usize> Delay<W> {
    /// A delay of `n >= 1` clocks.
    pub fn new(n: usize) -> Self {
        assert!(n >= 1);
        Self {
            clock: Default::default(),
            d: Default::default(),
            q: Default::default(),
            _n: n,
            _line: vec![Bits::default(); n],
        }
    }
}

impl<const W: usize> Logic for Delay<W> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self._line.rotate_right(1);
            self._line[0] = self.d.val();
            self.q.next = self._line[self._n - 1];
        }
    }
    fn connect(&mut self) {
        self.q.connect();
    }
    fn hdl(&self) -> Verilog {
        let n = self._n;
        let mut v = format!("reg [{}:0] line [0:{}];\ninteger k;\n", W - 1, n - 1);
        v += &format!("initial for (k = 0; k < {n}; k = k + 1) line[k] = 0;\n");
        v += "always @(posedge clock) begin\n    line[0] <= d;\n";
        v += &format!("    for (k = 1; k < {n}; k = k + 1) line[k] <= line[k - 1];\nend\n");
        v += &format!("always @(*) q = line[{}];\n", n - 1);
        Verilog::Custom(v)
    }
}
