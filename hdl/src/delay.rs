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
//! **Block-RAM form** ([`Delay::in_block_ram`], `n >= 2`): the line is a small memory
//! written at a pointer that steps every clock and read `n - 1` entries behind it into
//! the RAM's output register, so `n` registers of `W` bits cost one block RAM and a
//! pointer instead of `n * W` flip-flops (on the iCE40 each such flip-flop, fed by
//! another, takes a logic cell of its own). Same latency; `q` is undefined until the
//! first clock edge (RAM output latches have no power-up value; zero in simulation),
//! so it suits values such as addresses that travel beside a valid bit kept in
//! flip-flops.
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
    _ram: bool,
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
            _ram: false,
            _line: vec![Bits::default(); n],
        }
    }

    /// Keep the line in a block RAM (see the module docs); needs `n >= 2`.
    pub fn in_block_ram(mut self) -> Self {
        assert!(
            self._n >= 2,
            "a block-RAM delay needs n >= 2, not {}",
            self._n
        );
        self._ram = true;
        self
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
        if self._ram {
            return Verilog::Custom(ram_line(W, n));
        }
        let mut v = format!("reg [{}:0] line [0:{}];\ninteger k;\n", W - 1, n - 1);
        v += &format!("initial for (k = 0; k < {n}; k = k + 1) line[k] = 0;\n");
        v += "always @(posedge clock) begin\n    line[0] <= d;\n";
        v += &format!("    for (k = 1; k < {n}; k = k + 1) line[k] <= line[k - 1];\nend\n");
        v += &format!("always @(*) q = line[{}];\n", n - 1);
        Verilog::Custom(v)
    }
}

/// The block-RAM form: entry `p` is written at the edge when the pointer is `p`, and read
/// `n - 1` edges later, when the pointer is `p + n - 1` (modulo the depth), so the
/// pointer and read address never meet (`n >= 2`, depth `>= n`).
fn ram_line(w: usize, n: usize) -> String {
    let depth = n.next_power_of_two();
    let ab = depth.trailing_zeros().max(1);
    let behind = (depth - (n - 1)) % depth;
    format!(
        "\
(* ram_style = \"block\", no_rw_check *) reg [{hi}:0] mem [0:{top}];
reg [{ahi}:0] wp;
reg [{hi}:0] r;
integer k;
initial begin
    wp = 0;
    for (k = 0; k <= {top}; k = k + 1) mem[k] = 0;
end
`ifndef SYNTHESIS
initial r = 0;
`endif
always @(posedge clock) begin
    mem[wp] <= d;
    r <= mem[wp + {ab}'d{behind}];
    wp <= wp + {ab}'d1;
end
always @(*) q = r;
",
        hi = w - 1,
        top = depth - 1,
        ahi = ab - 1,
    )
}
