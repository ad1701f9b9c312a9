//! `ArrayFeed`: the register stages between the banks and the matmul array
//! (`TileConfig::array_feed_stages`), so that on a large die no single register or
//! RAM output drives every column.
//!
//! ```text
//!                            stage 1 (s = 2)          last stage, one copy per group
//!   act, swap, wvalid, wsel --> [reg] --+--> [reg] --> gact/gswap/gwvalid/gwsel of group 0
//!                                       +--> [reg] --> ... of group 1
//!                                       +--> ...       (a group: ARRAY_FEED_GROUP columns)
//!   wdata ---------------------> [reg] ----> [reg] --> qwdata  (no copies: each bank
//!                                                      feeds only its own columns)
//! ```
//! - **Latency**: `s` clocks (0, 1 or 2) from every input to every output; with
//!   `s = 0` the outputs are the inputs (every group sees the same wires).
//! - **Throughput**: one activation vector and one install word per cycle.
//! - **Reset**: none; the registers power up to 0 (no `swap`, no `wvalid`).
//! - **Why copies**: the last stage's registers of group `g` feed only the
//!   [`crate::Mul8x2`] pairs and PEs of columns `g * 4 .. g * 4 + 3`, so each can sit
//!   next to them. With the define `ECP5` the copies are `TRELLIS_FF` instances, as the
//!   pairs' own activation registers are: yosys merges identical `always` registers
//!   (every group's copy samples the same value) back into one.
//! - **Column strobes** (with stages): each column's shadow write (`gwload`, `wvalid`
//!   with `wsel` naming its install word) is decoded before the last stage into a
//!   register of its own (kept like the copies), instead of by a decoder after a
//!   group's copy that drove the enables of every shadow register in the group.
//!
//! A Verilog leaf for those instances, and because rust-hdl 0.46 kernels cannot index
//! the stage vector.
//!
//! Example (s = 1, two groups): `act[0] = 0x7f` and `swap = 1` at edge t appear on
//! `gact[0]`, `gact[lanes]`, `gswap[0]` and `gswap[1]` after edge t.

use minilpu_model::config::ARRAY_FEED_GROUP;
use rust_hdl::prelude::*;

/// One cycle's inputs, as the simulation carries them through the stages.
#[derive(Clone, Default)]
struct Word {
    act: Vec<Bits<8>>,
    swap: bool,
    wvalid: bool,
    wsel: Bits<8>,
    wdata: Vec<Bits<8>>,
}

/// The array's feed stages.
#[derive(LogicBlock)]
pub struct ArrayFeed {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Activation vector from the activation bank, one int8 per lane.
    pub act: Vec<Signal<In, Bits<8>>>,
    /// With `act`: make the shadow weights active (see [`crate::MatmulArray`]).
    pub swap: Signal<In, Bit>,
    /// The weight banks deliver install word `wsel` this cycle.
    pub wvalid: Signal<In, Bit>,
    /// Install word index.
    pub wsel: Signal<In, Bits<8>>,
    /// Weight vectors, lane `l` of bank `b` at `b * lanes + l`; valid with `wvalid`.
    pub wdata: Vec<Signal<In, Bits<8>>>,
    /// `act` `s` clocks later, lane `l` of group `g` at `g * lanes + l`.
    pub gact: Vec<Signal<Out, Bits<8>>>,
    /// `swap` `s` clocks later, one per group.
    pub gswap: Vec<Signal<Out, Bit>>,
    /// `wvalid` `s` clocks later, one per group.
    pub gwvalid: Vec<Signal<Out, Bit>>,
    /// `wsel` `s` clocks later, one per group.
    pub gwsel: Vec<Signal<Out, Bits<8>>>,
    /// `wdata` `s` clocks later (one copy).
    pub qwdata: Vec<Signal<Out, Bits<8>>>,
    /// With stages only (empty without): column `j`'s shadow write, `wvalid` and `wsel`
    /// naming its install word (`wsel == j / wb`), `s` clocks later, decoded before the
    /// last stage into one register per column, so that no decoder between a register
    /// and the column's shadow enables drives every column of a group.
    pub gwload: Vec<Signal<Out, Bit>>,
    /// An install word is in a stage: a shadow write is still to come (for the
    /// tile's activity; always 0 with `s = 0`).
    pub pending: Signal<Out, Bit>,
    _lanes: usize,
    _groups: usize,
    _stages: usize,
    _wb: usize,
    /// Simulation state: stage `k`'s registers.
    _pipe: Vec<Word>,
}

impl ArrayFeed {
    /// Feed stages for an array of `lanes` rows and `cols` columns fed by `wb` weight
    /// banks, `stages` (0..=2) registers deep.
    pub fn new(lanes: usize, cols: usize, wb: usize, stages: usize) -> Self {
        assert!(stages <= 2, "array feed stages {stages}");
        let groups = cols.div_ceil(ARRAY_FEED_GROUP);
        let zero = Word {
            act: vec![Bits::default(); lanes],
            wdata: vec![Bits::default(); wb * lanes],
            ..Default::default()
        };
        Self {
            clock: Default::default(),
            act: crate::vec_of(lanes),
            swap: Default::default(),
            wvalid: Default::default(),
            wsel: Default::default(),
            wdata: crate::vec_of(wb * lanes),
            gact: crate::vec_of(groups * lanes),
            gswap: crate::vec_of(groups),
            gwvalid: crate::vec_of(groups),
            gwsel: crate::vec_of(groups),
            qwdata: crate::vec_of(wb * lanes),
            gwload: crate::vec_of(if stages > 0 { cols } else { 0 }),
            pending: Default::default(),
            _lanes: lanes,
            _groups: groups,
            _stages: stages,
            _wb: wb,
            _pipe: vec![zero; stages],
        }
    }

    fn drive(&mut self, w: &Word) {
        let n = self._lanes;
        for g in 0..self._groups {
            for l in 0..n {
                self.gact[g * n + l].next = w.act[l];
            }
            self.gswap[g].next = w.swap;
            self.gwvalid[g].next = w.wvalid;
            self.gwsel[g].next = w.wsel;
        }
        for (j, o) in self.gwload.iter_mut().enumerate() {
            o.next = w.wvalid && w.wsel.index() == j / self._wb;
        }
        for (q, d) in self.qwdata.iter_mut().zip(&w.wdata) {
            q.next = *d;
        }
    }
}

impl Logic for ArrayFeed {
    fn update(&mut self) {
        // The inputs are sampled only where they are used: every update without stages,
        // at the clock edge with them.
        if self._stages == 0 || self.clock.pos_edge() {
            let now = Word {
                act: self.act.iter().map(|a| a.val()).collect(),
                swap: self.swap.val(),
                wvalid: self.wvalid.val(),
                wsel: self.wsel.val(),
                wdata: self.wdata.iter().map(|a| a.val()).collect(),
            };
            if self._stages == 0 {
                self.drive(&now);
                self.pending.next = false;
                return;
            }
            self._pipe.rotate_right(1);
            self._pipe[0] = now;
        }
        let pipe = std::mem::take(&mut self._pipe);
        self.pending.next = pipe.iter().any(|w| w.wvalid);
        self.drive(&pipe[self._stages - 1]);
        self._pipe = pipe;
    }
    fn connect(&mut self) {
        for s in self
            .gact
            .iter_mut()
            .chain(self.gwsel.iter_mut())
            .chain(self.qwdata.iter_mut())
        {
            s.connect();
        }
        for s in self
            .gswap
            .iter_mut()
            .chain(self.gwvalid.iter_mut())
            .chain(self.gwload.iter_mut())
            .chain([&mut self.pending])
        {
            s.connect();
        }
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(feed_verilog(
            self._lanes,
            self._groups,
            self.wdata.len(),
            self._stages,
            self.gwload.len(),
        ))
    }
}

/// The body: `b` is the broadcast bus `{wsel, wvalid, swap, act[n-1], .., act[0]}`,
/// `w` the weight bus; `bq` / `wq` after the stages, `bg{g}` group `g`'s copy.
fn feed_verilog(lanes: usize, groups: usize, wlanes: usize, stages: usize, cols: usize) -> String {
    let bw = 8 * lanes + 10;
    let ww = 8 * wlanes;
    let cat = |name: &str, n: usize| {
        (0..n)
            .rev()
            .map(|i| format!("{name}${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut v = format!(
        "wire [{bh}:0] b = {{wsel, wvalid, swap, {acts}}};\nwire [{wh}:0] w = {{{ws}}};\n",
        bh = bw - 1,
        wh = ww - 1,
        acts = cat("act", lanes),
        ws = cat("wdata", wlanes),
    );
    // The stages before the last: one register each, no copies.
    let (mut bsrc, mut wsrc) = ("b".to_string(), "w".to_string());
    for k in 1..stages {
        v += &format!(
            "reg [{bh}:0] b{k} = 0;\nreg [{wh}:0] w{k} = 0;\nalways @(posedge clock) begin\n    b{k} <= {bsrc};\n    w{k} <= {wsrc};\nend\n",
            bh = bw - 1,
            wh = ww - 1,
        );
        bsrc = format!("b{k}");
        wsrc = format!("w{k}");
    }
    // The last stage: the weight bus once, the broadcast bus once per group.
    // `pending`: a `wvalid` in any stage (bit 8 * lanes + 1 of the broadcast bus).
    let wv = 8 * lanes + 1;
    let mut pend = vec!["1'b0".to_string()];
    pend.extend((1..stages).map(|k| format!("b{k}[{wv}]")));
    if stages > 0 {
        pend.push(format!("bg0[{wv}]"));
    }
    if stages == 0 {
        // No register reads the clock (Verilator's lint skips names with `unused`).
        v += "wire unused_clock = clock;\n";
        v += &format!("wire [{}:0] wq = w;\n", ww - 1);
        for g in 0..groups {
            v += &format!("wire [{}:0] bg{g} = b;\n", bw - 1);
        }
    } else {
        v += &format!(
            "reg [{wh}:0] wq = 0;\nalways @(posedge clock) wq <= {wsrc};\n",
            wh = ww - 1
        );
        // Column `j`'s shadow write, decoded from the stage before the last.
        let a = 8 * lanes;
        let wb = wlanes / lanes;
        for j in 0..cols {
            v += &format!(
                "wire wl_d{j} = {bsrc}[{}] & ({bsrc}[{}:{}] == 8'd{});\n",
                a + 1,
                a + 9,
                a + 2,
                j / wb
            );
        }
        v += "`ifdef ECP5\ngenvar fk;\n";
        for j in 0..cols {
            v += &format!(
                "wire wl{j};\n(* keep *) TRELLIS_FF #(.GSR(\"DISABLED\"), .CEMUX(\"1\"), .REGSET(\"RESET\"))\n    wl{j}_ff (.CLK(clock), .LSR(1'b0), .DI(wl_d{j}), .Q(wl{j}));\n"
            );
        }
        for g in 0..groups {
            v += &format!(
                "wire [{bh}:0] bg{g};\ngenerate for (fk = 0; fk < {bw}; fk = fk + 1) begin : g{g}_ff\n    (* keep *) TRELLIS_FF #(.GSR(\"DISABLED\"), .CEMUX(\"1\"), .REGSET(\"RESET\"))\n        f (.CLK(clock), .LSR(1'b0), .DI({bsrc}[fk]), .Q(bg{g}[fk]));\nend endgenerate\n",
                bh = bw - 1
            );
        }
        v += "`else\n";
        for g in 0..groups {
            v += &format!(
                "(* keep *) reg [{bh}:0] bg{g} = 0;\nalways @(posedge clock) bg{g} <= {bsrc};\n",
                bh = bw - 1
            );
        }
        for j in 0..cols {
            v += &format!("reg wl{j} = 0;\nalways @(posedge clock) wl{j} <= wl_d{j};\n");
        }
        v += "`endif\n";
    }
    v += "always @(*) begin\n";
    v += &format!("    pending = {};\n", pend.join(" | "));
    for g in 0..groups {
        for l in 0..lanes {
            v += &format!(
                "    gact${} = bg{g}[{}:{}];\n",
                g * lanes + l,
                8 * l + 7,
                8 * l
            );
        }
        let a = 8 * lanes;
        v += &format!("    gswap${g} = bg{g}[{a}];\n");
        v += &format!("    gwvalid${g} = bg{g}[{}];\n", a + 1);
        v += &format!("    gwsel${g} = bg{g}[{}:{}];\n", a + 9, a + 2);
    }
    for i in 0..wlanes {
        v += &format!("    qwdata${i} = wq[{}:{}];\n", 8 * i + 7, 8 * i);
    }
    for j in 0..cols {
        v += &format!("    gwload${j} = wl{j};\n");
    }
    v += "end\n";
    v
}
