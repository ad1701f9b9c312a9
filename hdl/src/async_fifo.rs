//! `AsyncFifo`: a clock-domain-crossing FIFO of `2^aw` words of `D` bits, with
//! Gray-coded pointers passed through two-flop synchronizers (Cummings' style).
//!
//! ```text
//!   wclk domain                         rclk domain
//!   we, wdata --> mem[wbin] ----------> rdata = mem[rbin]   (show-ahead, registered)
//!   full <-- wgray vs sync2(rgray)      empty <-- rgray vs sync2(wgray)
//!   wgray ------------ 2 flops ------->
//!           <--------- 2 flops -------- rgray
//! ```
//! - **Write**: at a `wclk` edge with `we` and not `full`, `wdata` is stored. A write
//!   while `full` is ignored (the writer must look at `full`).
//! - **Read**: `rdata` shows the oldest word whenever `empty` is low; a `rclk` edge with
//!   `re` and not `empty` drops it.
//! - **Latency**: a word written at a `wclk` edge clears `empty` after the second `rclk`
//!   edge that follows it (1 to 2 `rclk` periods, by phase, plus one period if the first
//!   of those edges comes too close to sample it cleanly on silicon).
//! - **Throughput**: one word per clock on each side.
//! - **Flags**: only one Gray bit changes per pointer step, so a synchronizer never
//!   sees a torn pointer; `full` and `empty` are conservative (they are released late,
//!   never early).
//! - **Reset**: none; pointers power up to zero (empty).
//! - **Registered `empty`** ([`AsyncFifo::registered_empty`]): `empty` is then a
//!   flip-flop, loaded at each `rclk` edge with the compare of the pointers that edge
//!   leaves (the read pointer after a pop, and the synchronizer's first stage, which the
//!   edge moves into the second). It equals the combinational compare in every cycle,
//!   but the reader's `re` and whatever it drives no longer wait for the compare.
//! - **Unused bits**: [`AsyncFifo::zero_bits`] names a range of `wdata` bits the writer
//!   always drives 0 (a link with fewer than 4 lanes); they are not stored and read
//!   back as 0.
//! - **Mapping**: the memory is read into a register at every `rclk` edge, at the read
//!   pointer this edge leaves (`rbin + 1` when it drops a word), so that it maps onto
//!   block RAM (iCE40 `SB_RAM40_4K` with the `ICE40` define; flip-flops would cost a
//!   logic cell per bit). `rdata` is still `mem[rbin]` whenever `empty` is low: a word
//!   is visible to the reader only from the second `rclk` edge after the `wclk` edge
//!   that wrote it (the synchronizer), and that edge reads it; and the writer never
//!   writes a word the reader still shows (`full`). While `empty`, `rdata` is undefined.
//!
//! A Verilog leaf: the memory is indexed by a pointer, and the two `always` blocks run
//! on different clocks.

use rust_hdl::prelude::*;

/// The asynchronous FIFO.
#[derive(LogicBlock)]
pub struct AsyncFifo<const D: usize> {
    /// Write clock.
    pub wclk: Signal<In, Clock>,
    /// Write `wdata` at the `wclk` edge (ignored when `full`).
    pub we: Signal<In, Bit>,
    /// Word to write.
    pub wdata: Signal<In, Bits<D>>,
    /// No room (in the `wclk` domain).
    pub full: Signal<Out, Bit>,
    /// Read clock.
    pub rclk: Signal<In, Clock>,
    /// Drop the word on `rdata` at the `rclk` edge (ignored when `empty`).
    pub re: Signal<In, Bit>,
    /// Oldest word (valid when not `empty`).
    pub rdata: Signal<Out, Bits<D>>,
    /// Nothing to read (in the `rclk` domain).
    pub empty: Signal<Out, Bit>,
    _aw: usize,
    _zlo: usize,
    _zhi: usize,
    _reg_empty: bool,
}

impl<const D: usize> AsyncFifo<D> {
    /// A FIFO of `2^aw` words, `aw` in 2..=8.
    pub fn new(aw: usize) -> Self {
        assert!((2..=8).contains(&aw), "aw {aw}");
        Self {
            wclk: Default::default(),
            we: Default::default(),
            wdata: Default::default(),
            full: Default::default(),
            rclk: Default::default(),
            re: Default::default(),
            rdata: Default::default(),
            empty: Default::default(),
            _aw: aw,
            _zlo: 0,
            _zhi: 0,
            _reg_empty: false,
        }
    }

    /// The same FIFO with `empty` from a flip-flop when `on` (see the header); the
    /// same flags cycle for cycle.
    pub fn registered_empty(mut self, on: bool) -> Self {
        self._reg_empty = on;
        self
    }

    /// The same FIFO for a writer that always drives bits `lo..hi` of `wdata` to 0:
    /// the memory leaves them out (`rdata` shows them as 0).
    pub fn zero_bits(mut self, lo: usize, hi: usize) -> Self {
        assert!(lo <= hi && hi < D, "zero bits {lo}..{hi} of {D}");
        self._zlo = lo;
        self._zhi = hi;
        self
    }
}

impl<const D: usize> Logic for AsyncFifo<D> {
    fn update(&mut self) {
        // No behavioural model: two clock domains; checked in Verilator
        // (testbench/tests/link.rs).
    }
    fn connect(&mut self) {
        self.full.connect();
        self.rdata.connect();
        self.empty.connect();
    }
    fn hdl(&self) -> Verilog {
        let aw = self._aw;
        let depth = 1usize << aw;
        let (zlo, zhi) = (self._zlo, self._zhi);
        // Stored word: the bits above `zhi`, then those below `zlo`.
        let sw = D - (zhi - zlo);
        let (wpack, rpack) = if zhi == zlo {
            ("wdata".to_string(), "rword".to_string())
        } else {
            let hi = format!("wdata[{}:{zhi}]", D - 1);
            let wpack = if zlo == 0 {
                hi
            } else {
                format!("{{{hi}, wdata[{}:0]}}", zlo - 1)
            };
            let rhi = format!("rword[{}:{zlo}]", sw - 1);
            let zeros = format!("{}'d0", zhi - zlo);
            let rpack = if zlo == 0 {
                format!("{{{rhi}, {zeros}}}")
            } else {
                format!("{{{rhi}, {zeros}, rword[{}:0]}}", zlo - 1)
            };
            (wpack, rpack)
        };
        // `empty`: the pointers' compare, or (registered) a flip-flop loaded with the
        // compare of the values the edge leaves: `rgray` after a pop, `rq1` (the next
        // `rq2`).
        let (empty_decl, empty_comb, empty_seq) = if self._reg_empty {
            (
                format!(
                    "reg empty_r;\nwire [{aw}:0] rgray_n = rbin_n ^ (rbin_n >> 1);\n\
                     initial empty_r = 1'b1;\n"
                ),
                "empty = empty_r;".to_string(),
                "    empty_r <= (pop ? rgray_n : rgray) == rq1;\n".to_string(),
            )
        } else {
            (
                String::new(),
                "empty = rgray == rq2;".to_string(),
                String::new(),
            )
        };
        Verilog::Custom(format!(
            "\
integer k;
`ifdef ICE40
(* ram_style = \"block\" *)
`endif
reg [{sh}:0] mem [0:{top}];
reg [{sh}:0] rword;
reg [{aw}:0] wbin, wgray, rbin, rgray;
reg [{aw}:0] wq1, wq2, rq1, rq2;
wire [{aw}:0] wbin_n = wbin + 1'b1;
wire [{aw}:0] rbin_n = rbin + 1'b1;
wire pop = re && !empty;
{empty_decl}initial begin
    wbin = 0; wgray = 0; rbin = 0; rgray = 0;
    wq1 = 0; wq2 = 0; rq1 = 0; rq2 = 0;
    for (k = 0; k <= {top}; k = k + 1) mem[k] = 0;
end
always @(*) begin
    full = wgray == {{~wq2[{aw}:{aw1}], wq2[{aw2}:0]}};
    {empty_comb}
    rdata = {rpack};
end
always @(posedge wclk) begin
    wq1 <= rgray;
    wq2 <= wq1;
    if (we && !full) begin
        mem[wbin[{aw1}:0]] <= {wpack};
        wbin <= wbin_n;
        wgray <= wbin_n ^ (wbin_n >> 1);
    end
end
always @(posedge rclk) begin
    rq1 <= wgray;
    rq2 <= rq1;
{empty_seq}    rword <= mem[pop ? rbin_n[{aw1}:0] : rbin[{aw1}:0]];
    if (pop) begin
        rbin <= rbin_n;
        rgray <= rbin_n ^ (rbin_n >> 1);
    end
end
",
            sh = sw - 1,
            top = depth - 1,
            aw1 = aw - 1,
            aw2 = aw - 2,
        ))
    }
}
