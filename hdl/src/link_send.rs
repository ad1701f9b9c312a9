//! `LinkSend`: the tile's `send` unit (LINK-tx, `docs/isa.md`): copies `vlen` words
//! of a bank into the link transmitter's frame buffer, one paced frame of `P = 128/W`
//! words every `T` cycles, and posts each frame.
//!
//! ```text
//!   issue, bank, word, len --> ph (cycle in frame), rem (words left), fj (frame)
//!                          --> re, r_bank, r_addr  (bank read, one word per cycle)
//!   rdata (bank word, one cycle later) --> tx_we, tx_waddr, tx_wdata --> LinkTx buffer
//!                                          tx_post, tx_tag ----------> LinkTx
//!   tx_busy, tx_next_slot --> slot check --> err
//! ```
//! - **Latency**: issued in cycle `t`, frame `j` starts at `b_j = t + j*T`: bank word
//!   `word + j*P + i` is read in `b_j+1+i` (`i < P_j = min(P, V - j*P)`), buffer word
//!   `slot*P + i` is written in `b_j+2+i` (`i < P`; zero bytes for `i >= P_j`), the frame
//!   is posted with tag `j mod 128` in `b_j+2+P`. `slot` is the transmitter's
//!   `next_slot` in `b_j+1`; if that slot is `busy` then, `err` is high in that cycle and
//!   the instruction ends (nothing is written or posted; the word read in that cycle is
//!   dropped).
//! - **Bank read stages** (`b`, `TileConfig::bank_read_stages`, set with
//!   [`LinkSend::read_stages`]): the reads stay where they are, the words arrive `b`
//!   cycles later, and so the buffer writes (`b_j+2+b+i`) and the post (`b_j+2+b+P`).
//!   With read stages the buffer's write strobe, address and post leave registers set
//!   a cycle ahead (same cycles; `testbench/tests/programs.rs` checks them).
//! - **Throughput**: one instruction at a time; `ready` again at `t + n*T`
//!   (`n = ceil(V/P)`); `active` until the last post, `t + (n-1)*T + P + 2 + b`.
//! - **Reset**: none; idle at power-up.

use crate::Delay;
use rust_hdl::prelude::*;

/// The `send` unit.
#[derive(LogicBlock)]
pub struct LinkSend {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A `send` was issued in the previous cycle `t` (when `ready`; the sequencer's
    /// registered strobe): this cycle, `t+1`, runs as if it had been latched at the end of `t`.
    pub issue: Signal<In, Bit>,
    /// The issue strobe before a refusal withdraws it: for the read address and bank
    /// multiplexers only, while idle (the contract is at [`crate::Sequencer::pre_mxl`]).
    pub pre: Signal<In, Bit>,
    /// Source bank; valid with `issue`.
    pub bank: Signal<In, Bits<8>>,
    /// First source word; valid with `issue`.
    pub word: Signal<In, Bits<16>>,
    /// Words (`vlen`, >= 1); valid with `issue`.
    pub len: Signal<In, Bits<16>>,
    /// Can accept an issue this cycle.
    pub ready: Signal<Out, Bit>,
    /// Has effects pending in this or a later cycle.
    pub active: Signal<Out, Bit>,
    /// The frame's buffer slot is still in use (combinational): the tile stops with LINK.
    pub err: Signal<Out, Bit>,
    /// Read the source bank this cycle.
    pub re: Signal<Out, Bit>,
    /// Bank of that read.
    pub r_bank: Signal<Out, Bits<8>>,
    /// Word of that read.
    pub r_addr: Signal<Out, Bits<16>>,
    /// The word read at the previous cycle.
    pub rdata: Vec<Signal<In, Bits<8>>>,
    /// Write `tx_wdata` into the transmitter's buffer at `tx_waddr`.
    pub tx_we: Signal<Out, Bit>,
    /// Transmitter buffer word address (`slot * P + i`).
    pub tx_waddr: Signal<Out, Bits<16>>,
    /// Transmitter buffer word.
    pub tx_wdata: Vec<Signal<Out, Bits<8>>>,
    /// Post the frame (one cycle).
    pub tx_post: Signal<Out, Bit>,
    /// Tag of the posted frame (`j mod 128`).
    pub tx_tag: Signal<Out, Bits<8>>,
    /// Transmitter slots in use (bit `k` = slot `k`).
    pub tx_busy: Signal<In, Bits<4>>,
    /// The slot the transmitter's next post takes.
    pub tx_next_slot: Signal<In, Bits<2>>,
    on: DFF<Bit>,
    ph: DFF<Bits<16>>,
    rem: DFF<Bits<16>>,
    fj: DFF<Bits<8>>,
    sbank: DFF<Bits<8>>,
    saddr: DFF<Bits<16>>,
    slot: DFF<Bits<2>>,
    rv_d: DFF<Bit>,
    last_r: DFF<Bit>,
    p1_r: DFF<Bit>,
    rdwin: DFF<Bit>,
    // `ph > P + 2`: this frame is posted (set after the post, cleared at the frame's end).
    posted: DFF<Bit>,
    // With `b` bank read stages (one entry when `b` > 0) the words arrive `b` cycles
    // later: `rv_d` waits `b` cycles more, and the buffer writes (`2 + b <= ph < k_hi`,
    // word `ph - 2 - b`) and the post (`ph = k_hi` = P + 2 + b) come `b` cycles later.
    rv_p: Vec<Delay<1>>,
    k_hi: Vec<Constant<Bits<16>>>,
    // With bank read stages (the large tiles) the buffer's write strobe, address and
    // post, and the frame's word count for the read window, come from registers set a
    // cycle ahead (`we_r`, `wa_r`, `post_r`, `pj_r`; `k_lo1` = 1 + b, `k_hi1` =
    // `k_hi - 1`), so that no compare of `ph` or `rem` sits between a flip-flop and
    // the transmitter's buffer or the bank's read enable.
    we_r: Vec<DFF<Bit>>,
    wa_r: Vec<DFF<Bits<16>>>,
    post_r: Vec<DFF<Bit>>,
    pj_r: Vec<DFF<Bits<16>>>,
    k_lo1: Vec<Constant<Bits<16>>>,
    k_hi1: Vec<Constant<Bits<16>>>,
    // P >= 2: a frame of two words or more reads in `ph` = 2.
    k_p2: Vec<Constant<Bit>>,
    p1: Signal<Local, Bit>,
    pj: Signal<Local, Bits<16>>,
    phw: Signal<Local, Bits<16>>,
    last: Signal<Local, Bit>,
    miss: Signal<Local, Bit>,
    e_on: Signal<Local, Bit>,
    e_ph: Signal<Local, Bits<16>>,
    e_rem: Signal<Local, Bits<16>>,
    e_fj: Signal<Local, Bits<8>>,
    e_sbank: Signal<Local, Bits<8>>,
    e_saddr: Signal<Local, Bits<16>>,
    k_p: Constant<Bits<16>>,
    k_pshift: Constant<Bits<16>>,
    k_tlast: Constant<Bits<16>>,
    k_phmask: Constant<Bits<16>>,
    k_pjmask: Constant<Bits<16>>,
    k_phhi: Constant<Bits<16>>,
    k_wmask: Constant<Bits<16>>,
    k_bmask: Constant<Bits<8>>,
    k_amask: Constant<Bits<16>>,
    _lanes: usize,
    _b: usize,
    _p: usize,
    _t: u64,
}

impl LinkSend {
    /// The unit for `lanes`-byte words (a power of two, 1..=16) and frames paced every
    /// `frame_cycles` cycles (`T`, more than `128 / lanes + 2`).
    pub fn new(lanes: usize, frame_cycles: u64) -> Self {
        let p = minilpu_model::link::PAYLOAD_BYTES / lanes;
        assert!(lanes.is_power_of_two() && lanes <= 16, "lanes {lanes}");
        assert!(frame_cycles > p as u64 + 2 && frame_cycles < 1 << 16);
        Self {
            clock: Default::default(),
            issue: Default::default(),
            pre: Default::default(),
            bank: Default::default(),
            word: Default::default(),
            len: Default::default(),
            ready: Default::default(),
            active: Default::default(),
            err: Default::default(),
            re: Default::default(),
            r_bank: Default::default(),
            r_addr: Default::default(),
            rdata: crate::vec_of(lanes),
            tx_we: Default::default(),
            tx_waddr: Default::default(),
            tx_wdata: crate::vec_of(lanes),
            tx_post: Default::default(),
            tx_tag: Default::default(),
            tx_busy: Default::default(),
            tx_next_slot: Default::default(),
            on: Default::default(),
            ph: Default::default(),
            rem: Default::default(),
            fj: Default::default(),
            sbank: Default::default(),
            saddr: Default::default(),
            slot: Default::default(),
            rv_d: Default::default(),
            last_r: Default::default(),
            p1_r: Default::default(),
            rdwin: Default::default(),
            posted: Default::default(),
            rv_p: Vec::new(),
            k_hi: Vec::new(),
            we_r: Vec::new(),
            wa_r: Vec::new(),
            post_r: Vec::new(),
            pj_r: Vec::new(),
            k_lo1: Vec::new(),
            k_hi1: Vec::new(),
            k_p2: Vec::new(),
            p1: Default::default(),
            pj: Default::default(),
            phw: Default::default(),
            last: Default::default(),
            miss: Default::default(),
            e_on: Default::default(),
            e_ph: Default::default(),
            e_rem: Default::default(),
            e_fj: Default::default(),
            e_sbank: Default::default(),
            e_saddr: Default::default(),
            k_p: Constant::new((p as u64).to_bits()),
            k_pshift: Constant::new((p.trailing_zeros() as u64).to_bits()),
            k_tlast: Constant::new((frame_cycles - 1).to_bits()),
            // `ph` never exceeds T - 1 and a frame's word count never P: the masks tell
            // synthesis so.
            k_phmask: crate::range_mask(frame_cycles as usize),
            k_pjmask: Constant::new((2 * p as u64 - 1).to_bits()),
            // The bits of `ph` above those of a frame's word count.
            k_phhi: Constant::new(
                (((frame_cycles as usize).next_power_of_two() as u64 - 1) & !(2 * p as u64 - 1))
                    .to_bits(),
            ),
            k_wmask: Constant::new((p as u64 - 1).to_bits()),
            k_bmask: Constant::new(0xFF_u64.to_bits()),
            k_amask: Constant::new(0xFFFF_u64.to_bits()),
            _lanes: lanes,
            _b: 0,
            _p: p,
            _t: frame_cycles,
        }
    }

    /// The same unit for a tile of `banks` banks of at most `depth` words: an issued
    /// instruction's bank is below `banks` (else it is ILLEGAL) and its words below
    /// `depth` (else RANGE, checked at issue against the whole extent; `docs/isa.md`),
    /// so the bank and word registers keep only the bits those need.
    pub fn bounds(mut self, banks: usize, depth: usize) -> Self {
        self.k_bmask = crate::range_mask(banks);
        self.k_amask = crate::range_mask(depth);
        self
    }

    /// The same unit in a tile with `b` bank read stages (0 to 3): its words arrive `b`
    /// cycles later, so its buffer writes and posts come `b` cycles later (`docs/isa.md`).
    /// The post must still come before the frame's last cycle: `T > P + 2 + b`.
    pub fn read_stages(mut self, b: usize) -> Self {
        assert!(b <= 3, "bank read stages {b}");
        assert!(
            self._t > (self._p + 2 + b) as u64,
            "frame cycles {} must exceed P + 2 + b = {}",
            self._t,
            self._p + 2 + b
        );
        self._b = b.min(1);
        self.rv_p = crate::delays(b);
        self.k_hi = (0..self._b)
            .map(|_| Constant::new(((self._p + 2 + b) as u64).to_bits()))
            .collect();
        self.k_lo1 = (0..self._b)
            .map(|_| Constant::new((1 + b as u64).to_bits()))
            .collect();
        self.k_hi1 = (0..self._b)
            .map(|_| Constant::new(((self._p + 1 + b) as u64).to_bits()))
            .collect();
        self.k_p2 = (0..self._b).map(|_| Constant::new(self._p >= 2)).collect();
        self.we_r = crate::vec_of(self._b);
        self.wa_r = crate::vec_of(self._b);
        self.post_r = crate::vec_of(self._b);
        self.pj_r = crate::vec_of(self._b);
        self
    }
}

impl Logic for LinkSend {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, on, ph, rem, fj, sbank, saddr, slot, rv_d, last_r, p1_r, rdwin, posted
        );
        // The issue arrives registered: this cycle's state is the issue's.
        self.e_on.next = self.on.q.val();
        self.e_ph.next = self.ph.q.val() & self.k_phmask.val();
        self.e_rem.next = self.rem.q.val();
        self.e_fj.next = self.fj.q.val();
        self.e_sbank.next = self.sbank.q.val();
        self.e_saddr.next = self.saddr.q.val();
        if self.issue.val() {
            self.e_on.next = true;
            self.e_ph.next = 1.into();
            self.e_rem.next = self.len.val();
            self.e_fj.next = 0.into();
        }
        // The read address and bank switch on `pre` (a legal issue finds the unit off),
        // so that `fault_r` is not on the bank address path.
        if self.pre.val() & !self.on.q.val() {
            self.e_sbank.next = self.bank.val() & self.k_bmask.val();
            self.e_saddr.next = self.word.val() & self.k_amask.val();
        }
        self.on.d.next = self.e_on.val();
        self.ph.d.next = self.e_ph.val();
        self.rem.d.next = self.e_rem.val();
        self.fj.d.next = self.e_fj.val();
        self.sbank.d.next = self.e_sbank.val();
        self.saddr.d.next = self.e_saddr.val();
        // Words of this frame, and whether it is the last one (first needed at `ph` > P + 2,
        // so `last` comes from a flip-flop: `rem` changes only at `ph` = 0 and 1).
        self.pj.next = self.e_rem.val() & self.k_pjmask.val();
        self.last.next = true;
        if ((self.e_rem.val() >> self.k_pshift.val()) != 0) & (self.e_rem.val() != self.k_p.val()) {
            self.pj.next = self.k_p.val();
            self.last.next = false;
        }
        self.last_r.d.next = self.last.val();
        // `ph` = 1: the issue, or a later frame's first cycle (`ph` was 0).
        self.p1_r.d.next = self.e_on.val() & (self.e_ph.val() == 0);
        self.p1.next = self.issue.val() | self.p1_r.q.val();
        // Slot check in b_j + 1.
        self.miss.next = false;
        for s in 0..4 {
            if (self.tx_next_slot.val().index() == s) & self.tx_busy.val().get_bit(s) {
                self.miss.next = true;
            }
        }
        self.err.next = self.e_on.val() & self.p1.val() & self.miss.val();
        if self.e_on.val() & self.p1.val() {
            self.slot.d.next = self.tx_next_slot.val();
        }
        // Bank reads in b_j+1 .. b_j+P_j.
        // The read window `1 <= ph <= pj` is decided a cycle ahead, into `rdwin` for
        // `2 <= ph <= pj` (a frame has at least one word, so `ph` = 1 always reads): the
        // read enable, and so the bank's address, is a LUT or two off flip-flops.
        // As `e_on & (p1 | rdwin)`, split on the issue (which finds the unit off). The
        // slot check is not on it: a frame whose slot is busy still reads its first word
        // in `b_j+1` (the cycle the schedule gave it), but `err` turns the unit off, so
        // nothing is written or posted. So the transmitter's `busy` stays off the bank
        // ports' address path.
        self.re.next =
            self.issue.val() | (self.on.q.val() & (self.p1_r.q.val() | self.rdwin.q.val()));
        self.rdwin.d.next = (self.e_ph.val() != 0)
            // `ph < pj` as a compare of the low bits (`pj <= P`).
            & ((self.e_ph.val() & self.k_phhi.val()) == 0)
            & ((self.e_ph.val() & self.k_pjmask.val()) < self.pj.val());
        // With read stages: the same from `ph` and last cycle's word count (`rem` only
        // changes into `ph` = 0, where the window is closed, or at the issue, whose `ph`
        // = 2 reads when the frame has two words or more).
        for k in 0..self._b {
            self.pj_r[k].clock.next = self.clock.val();
            self.pj_r[k].d.next = self.pj.val();
            self.rdwin.d.next = ((self.ph.q.val() & self.k_phmask.val()) != 0)
                & ((self.ph.q.val() & self.k_phmask.val() & self.k_phhi.val()) == 0)
                & ((self.ph.q.val() & self.k_pjmask.val()) < self.pj_r[k].q.val());
            if self.issue.val() {
                self.rdwin.d.next = self.k_p2[k].val() & ((self.len.val() >> 1) != 0);
            }
        }
        self.r_bank.next = self.e_sbank.val();
        self.r_addr.next = self.e_saddr.val();
        if self.re.val() {
            // Past the extent's last word (at most `depth`) only when no read follows.
            self.saddr.d.next = (self.e_saddr.val() + 1) & self.k_amask.val();
        }
        self.rv_d.d.next = self.re.val();
        for k in 0..self._b {
            self.rv_p[k].clock.next = self.clock.val();
            self.rv_p[k].d.next = self.re.val().into();
            self.rv_d.d.next = self.rv_p[k].q.val().any();
        }
        // Buffer writes in b_j+2 .. b_j+P+1, the post in b_j+P+2.
        // `phw` = ph - 2: only its low bits are used (the word in the slot); the write
        // window 2 <= ph < P + 2 by compares, without a 16-bit carry chain.
        // Writes, post and tag come from flip-flops (`on`, `ph`, `fj`), not from the
        // issue's `e_*`: an issue finds the unit off and its `ph` = 1 is in neither window,
        // so the two agree, and the issue strobe stays off the buffer's write port.
        self.phw.next = self.ph.q.val() - 2;
        self.tx_we.next = self.on.q.val()
            & ((self.ph.q.val() >> 1) != 0)
            & (self.ph.q.val() < self.k_p.val() + 2);
        self.tx_waddr.next = (bit_cast::<16, 2>(self.slot.q.val()) << self.k_pshift.val())
            | (self.phw.val() & self.k_wmask.val());
        for l in 0..self._lanes {
            self.tx_wdata[l].next = 0.into();
            if self.rv_d.q.val() {
                self.tx_wdata[l].next = self.rdata[l].val();
            }
        }
        self.tx_post.next = self.on.q.val() & (self.ph.q.val() == self.k_p.val() + 2);
        // With bank read stages everything is `b` cycles later (writes in
        // 2 + b <= ph < P + 2 + b, word ph - 2 - b; the post in ph = P + 2 + b): strobe,
        // address and post come from registers set a cycle ahead.
        // `on` and `ph` go on unchanged from a cycle with `k_lo1 <= ph <= k_hi1` (past
        // the slot check in `ph` = 1, before the frame's last cycle) and the slot only
        // changes in `ph` = 1; an issue finds the unit off, its `ph` = 1 in no window.
        for k in 0..self._b {
            self.we_r[k].clock.next = self.clock.val();
            self.wa_r[k].clock.next = self.clock.val();
            self.post_r[k].clock.next = self.clock.val();
            self.we_r[k].d.next = self.on.q.val()
                & ((self.ph.q.val() & self.k_phmask.val()) >= self.k_lo1[k].val())
                & ((self.ph.q.val() & self.k_phmask.val()) < self.k_hi1[k].val());
            self.wa_r[k].d.next = (bit_cast::<16, 2>(self.slot.q.val()) << self.k_pshift.val())
                | (((self.ph.q.val() & self.k_phmask.val()) - self.k_lo1[k].val())
                    & self.k_wmask.val());
            self.post_r[k].d.next =
                self.on.q.val() & ((self.ph.q.val() & self.k_phmask.val()) == self.k_hi1[k].val());
            self.tx_we.next = self.we_r[k].q.val();
            self.tx_waddr.next = self.wa_r[k].q.val();
            self.tx_post.next = self.post_r[k].q.val();
        }
        self.tx_tag.next = self.fj.q.val() & 0x7F;
        // Frame pacing: ph counts 0..T-1 within a frame.
        if self.e_on.val() {
            self.ph.d.next = self.e_ph.val() + 1;
            if self.e_ph.val() == self.k_tlast.val() {
                self.ph.d.next = 0.into();
                self.rem.d.next = self.e_rem.val() - self.k_p.val();
                self.fj.d.next = self.e_fj.val() + 1;
                if self.last_r.q.val() {
                    self.on.d.next = false;
                }
            }
        }
        if self.err.val() {
            self.on.d.next = false;
        }
        self.ready.next = !self.e_on.val();
        // `posted` is `ph > P + 2` (the frame's post is behind it), made a cycle ahead
        // from the post's and the frame end's compares (`T - 1 >= P + 2`). The activity
        // comes from it and the strobe (an issue's `ph` = 1 is never past the post), so
        // the issue does not run through `e_ph` into the tile's activity.
        self.posted.d.next = self.e_on.val()
            & (self.e_ph.val() != self.k_tlast.val())
            & ((self.e_ph.val() == self.k_p.val() + 2) | self.posted.q.val());
        for k in 0..self._b {
            self.posted.d.next = self.e_on.val()
                & (self.e_ph.val() != self.k_tlast.val())
                & ((self.e_ph.val() == self.k_hi[k].val()) | self.posted.q.val());
        }
        self.active.next =
            self.issue.val() | (self.on.q.val() & !(self.last_r.q.val() & self.posted.q.val()));
    }
}
