//! `SramBank`: `groups` independent synchronous simple-dual-port SRAM banks (one write
//! port and one read port each), in one block so that a parent can address their
//! lanes with a single index.
//!
//! ```text
//!               +------------------+
//!   we[g]   --->|                  |
//!   waddr[g]--->|   SramBank       |---> rdata[g * lanes + l]
//!   wdata[..]-->|  groups x        |
//!   raddr[g]--->|  depth x lanes   |
//!   clock   --->|                  |
//!               +------------------+
//! ```
//! Group `g` is a bank of its own: its own memory, read at `raddr[g]`, written with
//! `wdata[g * lanes ..]` at `waddr[g]` when bit `g` of `we` is set.
//! - **Latency**: read data appears one clock after the read address (registered
//!   output). A write is visible to reads issued on the following cycle or later; a read
//!   of the address being written in the same cycle returns the old word.
//! - **Throughput**: one read and one write per group per cycle.
//! - **Reset**: none; contents and read registers power up to zero (FPGA init), except
//!   the read register of a bank built with [`SramBank::uninit_read`] (undefined until
//!   the first read: block RAM output latches have no power-up value, and yosys emulates
//!   one with a flip-flop and one LUT per bit, 128 SB_LUT4 for a 128-bit iCE40 bank).
//! - **Collisions**: a bank built with [`SramBank::collision_free`] is one whose user
//!   never reads an address in the cycle it is written, or never uses such a read: its
//!   memory carries yosys's `no_rw_check`, so synthesis maps it straight onto the block
//!   RAM instead of adding the flip-flops and multiplexers (one word wide) that emulate
//!   the read-first result (74 FF + 39 SB_LUT4 for a 32-bit iCE40 bank). In
//!   simulation (without the `SYNTHESIS` define yosys sets) such a read returns the old
//!   word inverted, so a test that relies on a colliding read fails in Verilator
//!   rather than on silicon.
//! - **Mapping**: block-RAM flavour in the shape yosys infers as iCE40 `SB_RAM40_4K` and
//!   ECP5 `DP16KD` (no byte enables, read-first); SPRAM flavour see
//!   [`crate::spram_bank`]. Lane 0 is bits `0..LW` of a word.
//!
//! The body is emitted as Verilog because rust-hdl 0.46's `RAM` widget neither packs a
//! word from lanes nor maps to SPRAM.
//!
//! Example waveform (`d` = word written earlier at `a`):
//! ```text
//! clock     _/‾\_/‾\_/‾\_
//! raddr[0]  =a==X=b======
//! rdata[0..]====X=d==X=e=
//! ```

use crate::spram_bank::{spram_body, SPRAM_DEPTH};
use rust_hdl::prelude::*;

/// `groups` SRAM banks of `depth` words, each `lanes` lanes of `LW` bits.
#[derive(LogicBlock)]
pub struct SramBank<const LW: usize> {
    /// Clock; everything happens on its rising edge.
    pub clock: Signal<In, Clock>,
    /// Write enables, bit `g` for group `g`, sampled at the rising edge.
    pub we: Signal<In, Bits<16>>,
    /// Write address per group (low `log2(depth)` bits used); valid with `we`.
    pub waddr: Vec<Signal<In, Bits<16>>>,
    /// Write data, group-major (`g * lanes + l`); valid with `we`.
    pub wdata: Vec<Signal<In, Bits<LW>>>,
    /// Read address per group, sampled every rising edge.
    pub raddr: Vec<Signal<In, Bits<16>>>,
    /// Read data of the addresses sampled at the previous rising edge, group-major.
    pub rdata: Vec<Signal<Out, Bits<LW>>>,
    _depth: usize,
    _lanes: usize,
    _spram: bool,
    _collision_free: bool,
    _read_init: bool,
    _mem: Vec<Vec<Vec<Bits<LW>>>>,
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
            waddr: crate::vec_of(groups),
            wdata: crate::vec_of(lanes * groups),
            raddr: crate::vec_of(groups),
            rdata: crate::vec_of(lanes * groups),
            _depth: depth,
            _lanes: lanes,
            _spram: false,
            _collision_free: false,
            _read_init: true,
            _mem: vec![vec![vec![Bits::default(); lanes]; depth]; groups],
        }
    }
}

impl<const LW: usize> SramBank<LW> {
    /// The same bank for a user that never reads an address in the cycle it writes
    /// it (or never uses that read's data): synthesis may return anything for such a
    /// read, and maps the bank without read-first emulation logic.
    pub fn collision_free(mut self) -> Self {
        self._collision_free = true;
        self
    }

    /// The same bank for a user that never uses `rdata` before its first read: the
    /// read register gets no power-up value (see the module documentation).
    pub fn uninit_read(mut self) -> Self {
        self._read_init = false;
        self
    }
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

/// Verilog concatenation `{p$hi, ..., p$lo}` of lanes `lo..lo+n` of a vector port.
pub(crate) fn concat_lanes(port: &str, lo: usize, n: usize) -> String {
    let parts: Vec<String> = (lo..lo + n).rev().map(|i| format!("{port}${i}")).collect();
    format!("{{{}}}", parts.join(", "))
}

impl<const LW: usize> Logic for SramBank<LW> {
    #[allow(clippy::needless_range_loop)] // lanes index two parallel vectors
    fn update(&mut self) {
        // Behavioural model for rust-hdl's simulator (not a sign-off: Verilator is).
        if self.clock.pos_edge() {
            let (mask, lanes) = (self._depth - 1, self._lanes);
            for (g, mem) in self._mem.iter_mut().enumerate() {
                let writing = self.we.val().get_bit(g);
                if !(self._spram && writing) {
                    let r = self.raddr[g].val().index() & mask;
                    for l in 0..lanes {
                        self.rdata[g * lanes + l].next = mem[r][l];
                    }
                }
                if writing {
                    let w = self.waddr[g].val().index() & mask;
                    for l in 0..lanes {
                        mem[w][l] = self.wdata[g * lanes + l].val();
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
        let (lanes, groups) = (self._lanes, self.raddr.len());
        if self._spram {
            return Verilog::Custom(spram_body(lanes, groups));
        }
        let w = lanes * LW;
        let abits = self._depth.trailing_zeros().max(1);
        let mut v = String::from("integer k;\n");
        let attr = if self._collision_free {
            "(* no_rw_check *) "
        } else {
            ""
        };
        // In simulation a collision-free bank answers a colliding read with the old
        // word inverted, so a test that uses such a read sees wrong data instead of
        // the read-first word the silicon would not promise.
        let poison = |g: usize, ahi: u32| {
            if self._collision_free {
                format!(
                    "`ifndef SYNTHESIS
    if (we[{g}] && waddr${g}[{ahi}:0] == raddr${g}[{ahi}:0])
        rd{g} <= ~mem{g}[raddr${g}[{ahi}:0]];
`endif
"
                )
            } else {
                String::new()
            }
        };
        for g in 0..groups {
            let rd_init = if self._read_init {
                format!("rd{g} = 0;")
            } else {
                String::new()
            };
            v += &format!(
                "\
wire [{hi}:0] wd{g} = {wd};
{attr}reg [{hi}:0] mem{g} [0:{top}];
reg [{hi}:0] rd{g};
initial begin
    {rd_init}
    for (k = 0; k <= {top}; k = k + 1) mem{g}[k] = 0;
end
always @(posedge clock) begin
    if (we[{g}]) mem{g}[waddr${g}[{ahi}:0]] <= wd{g};
    rd{g} <= mem{g}[raddr${g}[{ahi}:0]];
{poison}end
",
                poison = poison(g, abits - 1),
                hi = w - 1,
                top = self._depth - 1,
                ahi = abits - 1,
                wd = concat_lanes("wdata", g * lanes, lanes),
            );
        }
        v += "always @(*) begin\n";
        for g in 0..groups {
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
