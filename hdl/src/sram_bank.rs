//! `SramBank`: `groups` synchronous simple-dual-port SRAM banks (one write port, one
//! read port each) that share their addresses.
//!
//! ```text
//!            +------------------+
//!   we[g] -->|                  |
//!   waddr -->|   SramBank       |--> rdata[groups * lanes]
//!   wdata -->|  groups x        |
//!   raddr -->|  depth x lanes   |
//!   clock -->|                  |
//!            +------------------+
//! ```
//! Group `g` is a bank of its own (its own memory, written when `we` bit `g` is set);
//! all groups read the same `raddr` in the same cycle, which is how the tile's weight
//! banks are read. `rdata[g * lanes + l]` is lane `l` of group `g`.
//! - **Latency**: read data appears one clock after `raddr` is presented (registered
//!   output). A write is visible to reads issued on the following cycle or later; a
//!   read of the address being written in the same cycle returns the old word.
//! - **Throughput**: one read and one write per cycle.
//! - **Reset**: none; contents and the read register power up to zero (FPGA init).
//! - **Mapping**: written in the shape yosys infers as iCE40 `SB_RAM40_4K` and ECP5
//!   `DP16KD` (no byte enables, no read enable, read-first).
//!
//! The body is emitted as plain Verilog because rust-hdl 0.46's `RAM` widget does not
//! pack a word from lanes; the lanes are concatenated here (lane 0 in bits 0..LW).
//!
//! Example waveform (`d` = word written earlier at `a`):
//! ```text
//! clock  _/‾\_/‾\_/‾\_
//! raddr  =a==X=b======
//! rdata  ====X=d==X=e=
//! ```

use crate::spram_bank::{spram_body, SPRAM_DEPTH};
use rust_hdl::prelude::*;

/// One SRAM bank of `depth` words, each `lanes` lanes of `LW` bits.
#[derive(LogicBlock)]
pub struct SramBank<const LW: usize> {
    /// Clock; everything happens on its rising edge.
    pub clock: Signal<In, Clock>,
    /// Write enables, bit `g` for group `g`, sampled at the rising edge.
    pub we: Signal<In, Bits<16>>,
    /// Write address (low `log2(depth)` bits used); valid with `we`.
    pub waddr: Signal<In, Bits<16>>,
    /// Write data, one `LW`-bit value per lane; valid with `we`.
    pub wdata: Vec<Signal<In, Bits<LW>>>,
    /// Read address, sampled every rising edge.
    pub raddr: Signal<In, Bits<16>>,
    /// Read data of the address sampled at the previous rising edge, group-major.
    pub rdata: Vec<Signal<Out, Bits<LW>>>,
    _depth: usize,
    _groups: usize,
    _spram: bool,
    _mem: Vec<Vec<Bits<LW>>>,
}

impl<const LW: usize> SramBank<LW> {
    /// `groups` banks (1..=16) of `depth` words (a power of two, at most 65536) of
    /// `lanes` lanes.
    pub fn new(lanes: usize, depth: usize, groups: usize) -> Self {
        assert!(depth.is_power_of_two() && depth <= 1 << 16, "depth {depth}");
        assert!((1..=16).contains(&groups), "groups {groups}");
        Self {
            clock: Default::default(),
            we: Default::default(),
            waddr: Default::default(),
            wdata: (0..lanes).map(|_| Default::default()).collect(),
            raddr: Default::default(),
            rdata: (0..lanes * groups).map(|_| Default::default()).collect(),
            _depth: depth,
            _groups: groups,
            _spram: false,
            _mem: vec![vec![Bits::default(); lanes * groups]; depth],
        }
    }
}

/// Verilog concatenation `{p$N-1, ..., p$0}` of a lane-vector port.
pub(crate) fn concat_lanes(port: &str, lanes: usize) -> String {
    let parts: Vec<String> = (0..lanes).rev().map(|i| format!("{port}${i}")).collect();
    format!("{{{}}}", parts.join(", "))
}

impl SramBank<8> {
    /// The iCE40 SPRAM flavour (see [`crate::spram_bank`]): `groups` single-ported
    /// banks of 16384 words of `lanes` int8 lanes.
    pub fn new_spram(lanes: usize, groups: usize) -> Self {
        assert!((lanes * 8).is_multiple_of(16), "lanes {lanes}");
        let mut bank = Self::new(lanes, SPRAM_DEPTH, groups);
        bank._spram = true;
        bank
    }
}

impl<const LW: usize> Logic for SramBank<LW> {
    fn update(&mut self) {
        // Behavioural model for rust-hdl's simulator (not a sign-off: Verilator is).
        if self.clock.pos_edge() {
            let mask = self._depth - 1;
            let r = self.raddr.val().index() & mask;
            // The SPRAM flavour is single-ported: no read in a write cycle.
            if !(self._spram && self.we.val().any()) {
                let addr = if self._spram && self.we.val().any() {
                    0
                } else {
                    r
                };
                for (o, v) in self.rdata.iter_mut().zip(&self._mem[addr]) {
                    o.next = *v;
                }
            }
            let w = self.waddr.val().index() & mask;
            let lanes = self.wdata.len();
            for g in 0..self._groups {
                if self.we.val().get_bit(g) {
                    for (m, d) in self._mem[w][g * lanes..].iter_mut().zip(&self.wdata) {
                        *m = d.val();
                    }
                }
            }
        }
    }
    fn connect(&mut self) {
        for o in &mut self.rdata {
            o.connect();
        }
    }
    fn hdl(&self) -> Verilog {
        let lanes = self.wdata.len();
        if self._spram {
            return Verilog::Custom(spram_body(lanes, self._groups));
        }
        let w = lanes * LW;
        let abits = self._depth.trailing_zeros().max(1);
        let mut v = format!(
            "wire [{}:0] wd = {};\ninteger k;\n",
            w - 1,
            concat_lanes("wdata", lanes)
        );
        for g in 0..self._groups {
            v += &format!(
                "\
reg [{hi}:0] mem{g} [0:{top}];
reg [{hi}:0] rd{g};
initial begin
    rd{g} = 0;
    for (k = 0; k <= {top}; k = k + 1) mem{g}[k] = 0;
end
always @(posedge clock) begin
    if (we[{g}]) mem{g}[waddr[{ahi}:0]] <= wd;
    rd{g} <= mem{g}[raddr[{ahi}:0]];
end
",
                hi = w - 1,
                top = self._depth - 1,
                ahi = abits - 1,
            );
        }
        v += "always @(*) begin\n";
        for g in 0..self._groups {
            for i in 0..lanes {
                v += &format!(
                    "    rdata${} = rd{g}[{}:{}];\n",
                    g * lanes + i,
                    (i + 1) * LW - 1,
                    i * LW
                );
            }
        }
        v += "end\n";
        Verilog::Custom(v)
    }
}
