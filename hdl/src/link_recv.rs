//! `LinkRecv`: the tile's `recv` unit (LINK-rx, `docs/isa.md`) and the queue of frames
//! the link receiver delivered. It copies `vlen` words of paced frames from the
//! receiver's buffer into a bank, one frame of `P = 128/W` words every `T` cycles.
//!
//! ```text
//!   rx_valid, rx_slot, rx_seq, flush --> queue: avail, rslot, eseq, fault
//!   issue, bank, word, len --> ph (cycle in frame), rem (words left)
//!                          --> rx_raddr --> (receiver buffer) --> rx_rdata
//!                                           --> we, w_bank, w_addr, w_data (bank write)
//!   queue empty or fault set at a frame's check --> err
//! ```
//! - **Queue** (always, running or not): on `rx_valid`, if the queue is empty `rslot`
//!   becomes `rx_slot`; a sequence number other than `eseq`, or a delivery while 3
//!   frames wait, sets the sticky `fault`; `eseq` becomes `rx_seq + 1`; `avail` counts
//!   up (at most 4). `flush` (before the delivery of its cycle) empties the queue and
//!   clears `fault`; `eseq` keeps counting.
//! - **Latency**: issued in cycle `t`, frame `j` starts at `b_j = t + j*T`. In `b_j+1`
//!   an empty queue or a set `fault` raises `err` (the instruction ends, nothing more
//!   is written).
//!   Otherwise receiver buffer word `rslot*P + i` is read in `b_j+1+i` and driven onto
//!   the write port for bank word `word + j*P + i` in `b_j+2+i` (`i < P_j = min(P,
//!   V - j*P)`; the bank takes it in `b_j+3+i`); the frame
//!   leaves the queue at the end of `b_j+P_j`.
//! - **Read address** (`rx_raddr`): in the read cycles above, `rslot*P + i`; in other
//!   cycles it holds no meaning (nothing is written from it). With words of 8 bytes or
//!   more it comes from flip-flops alone (`pw`, the word index a cycle ahead, 0 while
//!   idle, so an issue's first read needs no multiplexer).
//! - The fault stops nothing by itself: only the next frame check fails.
//! - **Throughput**: one instruction at a time; `ready` again at `t + n*T`
//!   (`n = ceil(V/P)`); `active` until the last write, `t + (n-1)*T + P_(n-1) + 1` (the
//!   cycle it drives the write port; the tile's registered bank port lands it a cycle later).
//! - **Reset**: none; powers up idle with an empty queue, `eseq` 0, no fault.

use rust_hdl::prelude::*;

/// The `recv` unit with the delivered-frame queue.
#[derive(LogicBlock)]
pub struct LinkRecv {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// A `recv` was issued in the previous cycle `t` (when `ready`; the sequencer's
    /// registered strobe): this cycle, `t+1`, runs as if it had been latched at the end of `t`.
    pub issue: Signal<In, Bit>,
    /// Destination bank; valid with `issue`.
    pub bank: Signal<In, Bits<8>>,
    /// First destination word; valid with `issue`.
    pub word: Signal<In, Bits<16>>,
    /// Words (`vlen`, >= 1); valid with `issue`.
    pub len: Signal<In, Bits<16>>,
    /// Empty the queue and clear the fault (host `LINK_FLUSH`).
    pub flush: Signal<In, Bit>,
    /// The receiver delivered a frame (one cycle).
    pub rx_valid: Signal<In, Bit>,
    /// With `rx_valid`: its receive-buffer slot.
    pub rx_slot: Signal<In, Bits<2>>,
    /// With `rx_valid`: its sequence number.
    pub rx_seq: Signal<In, Bits<8>>,
    /// Receive-buffer read address.
    pub rx_raddr: Signal<Out, Bits<16>>,
    /// Receive-buffer word read at the previous cycle's `rx_raddr`.
    pub rx_rdata: Vec<Signal<In, Bits<8>>>,
    /// Can accept an issue this cycle.
    pub ready: Signal<Out, Bit>,
    /// Has effects pending in this or a later cycle.
    pub active: Signal<Out, Bit>,
    /// At a frame's check: no frame, or the link fault is set (combinational): stop with LINK.
    pub err: Signal<Out, Bit>,
    /// Write `w_data` this cycle.
    pub we: Signal<Out, Bit>,
    /// Bank of the write.
    pub w_bank: Signal<Out, Bits<8>>,
    /// Word of the write.
    pub w_addr: Signal<Out, Bits<16>>,
    /// Data of the write.
    pub w_data: Vec<Signal<Out, Bits<8>>>,
    /// Frames in the queue (0..=4).
    pub avail: Signal<Out, Bits<3>>,
    /// The sticky link fault.
    pub fault: Signal<Out, Bit>,
    /// The sequence number the next delivery should carry.
    pub eseq: Signal<Out, Bits<8>>,
    on: DFF<Bit>,
    ph: DFF<Bits<16>>,
    rem: DFF<Bits<16>>,
    dbank: DFF<Bits<8>>,
    daddr: DFF<Bits<16>>,
    wv_d: DFF<Bit>,
    q_avail: DFF<Bits<3>>,
    q_rslot: DFF<Bits<2>>,
    q_eseq: DFF<Bits<8>>,
    q_fault: DFF<Bit>,
    last_r: DFF<Bit>,
    p1_r: DFF<Bit>,
    rdwin: DFF<Bit>,
    tkwin: DFF<Bit>,
    pastw: DFF<Bit>,
    // With words of 8 bytes or more: the read address's word, `ph - 1` a cycle ahead
    // (0 while idle, the word an issue reads first); absent otherwise.
    pw: Vec<DFF<Bits<16>>>,
    p1: Signal<Local, Bit>,
    pj: Signal<Local, Bits<16>>,
    phw: Signal<Local, Bits<16>>,
    last: Signal<Local, Bit>,
    miss: Signal<Local, Bit>,
    e_on: Signal<Local, Bit>,
    e_ph: Signal<Local, Bits<16>>,
    e_rem: Signal<Local, Bits<16>>,
    rd: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    a_eff: Signal<Local, Bits<3>>,
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
    _pw: usize,
}

impl LinkRecv {
    /// The unit for `lanes`-byte words (a power of two, 1..=16) and frames paced every
    /// `frame_cycles` cycles (`T`, more than `128 / lanes + 2`).
    pub fn new(lanes: usize, frame_cycles: u64) -> Self {
        let p = minilpu_model::link::PAYLOAD_BYTES / lanes;
        assert!(lanes.is_power_of_two() && lanes <= 16, "lanes {lanes}");
        assert!(frame_cycles > p as u64 + 2 && frame_cycles < 1 << 16);
        Self {
            clock: Default::default(),
            issue: Default::default(),
            bank: Default::default(),
            word: Default::default(),
            len: Default::default(),
            flush: Default::default(),
            rx_valid: Default::default(),
            rx_slot: Default::default(),
            rx_seq: Default::default(),
            rx_raddr: Default::default(),
            rx_rdata: crate::vec_of(lanes),
            ready: Default::default(),
            active: Default::default(),
            err: Default::default(),
            we: Default::default(),
            w_bank: Default::default(),
            w_addr: Default::default(),
            w_data: crate::vec_of(lanes),
            avail: Default::default(),
            fault: Default::default(),
            eseq: Default::default(),
            on: Default::default(),
            ph: Default::default(),
            rem: Default::default(),
            dbank: Default::default(),
            daddr: Default::default(),
            wv_d: Default::default(),
            q_avail: Default::default(),
            q_rslot: Default::default(),
            q_eseq: Default::default(),
            q_fault: Default::default(),
            last_r: Default::default(),
            p1_r: Default::default(),
            rdwin: Default::default(),
            tkwin: Default::default(),
            pastw: Default::default(),
            pw: crate::vec_of((lanes >= 8) as usize),
            p1: Default::default(),
            pj: Default::default(),
            phw: Default::default(),
            last: Default::default(),
            miss: Default::default(),
            e_on: Default::default(),
            e_ph: Default::default(),
            e_rem: Default::default(),
            rd: Default::default(),
            take: Default::default(),
            a_eff: Default::default(),
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
            _pw: (lanes >= 8) as usize,
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
}

impl Logic for LinkRecv {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, on, ph, rem, dbank, daddr, wv_d, q_avail, q_rslot, q_eseq, q_fault,
            last_r, p1_r, rdwin, tkwin, pastw
        );
        // The issue arrives registered: this cycle's state is the issue's.
        self.e_on.next = self.on.q.val();
        self.e_ph.next = self.ph.q.val() & self.k_phmask.val();
        self.e_rem.next = self.rem.q.val();
        if self.issue.val() {
            self.e_on.next = true;
            self.e_ph.next = 1.into();
            self.e_rem.next = self.len.val();
        }
        self.on.d.next = self.e_on.val();
        self.ph.d.next = self.e_ph.val();
        self.rem.d.next = self.e_rem.val();
        // Words of this frame, and whether it is the last one.
        self.pj.next = self.e_rem.val() & self.k_pjmask.val();
        self.last.next = true;
        if ((self.e_rem.val() >> self.k_pshift.val()) != 0) & (self.e_rem.val() != self.k_p.val()) {
            self.pj.next = self.k_p.val();
            self.last.next = false;
        }
        // The read window, the frame's last read (`take`) and its end (`active`) are
        // decided a cycle ahead, into flip-flops (as in `LinkSend`): `ph` = 1 (the issue,
        // or a frame's first cycle after `ph` = 0) always reads, and `pj`, `last` are
        // needed from flip-flops only from `ph` = 2 on (`rem` changes at `ph` = 0 and 1).
        self.last_r.d.next = self.last.val();
        self.p1_r.d.next = self.e_on.val() & (self.e_ph.val() == 0);
        self.p1.next = self.issue.val() | self.p1_r.q.val();
        // For `ph` + 1: `2 <= ph + 1 <= pj`, `ph + 1 == pj`, `ph + 1 > pj` (low-bit
        // compares where `pj <= P` allows).
        self.rdwin.d.next = (self.e_ph.val() != 0)
            & ((self.e_ph.val() & self.k_phhi.val()) == 0)
            & ((self.e_ph.val() & self.k_pjmask.val()) < self.pj.val());
        self.tkwin.d.next = (self.e_ph.val() != 0)
            & ((self.e_ph.val() & self.k_phhi.val()) == 0)
            & (((self.e_ph.val() & self.k_pjmask.val()) + 1) == self.pj.val());
        self.pastw.d.next = self.e_ph.val() >= self.pj.val();
        // The frame check in b_j + 1, then reads in b_j+1 .. b_j+P_j.
        self.miss.next =
            self.e_on.val() & self.p1.val() & ((self.q_avail.q.val() == 0) | self.q_fault.q.val());
        self.err.next = self.miss.val();
        self.rd.next = self.e_on.val() & (self.p1.val() | self.rdwin.q.val()) & !self.miss.val();
        // The last read: at `ph` = 1 when the frame has one word (`rem` = 1: P > 1).
        self.take.next = self.rd.val()
            & ((self.p1.val() & (self.e_rem.val() == 1)) | (!self.p1.val() & self.tkwin.q.val()));
        // Word `ph - 1` of the slot in the read cycles (ph - 1 < P there).
        self.phw.next = self.e_ph.val() - 1;
        self.rx_raddr.next = (bit_cast::<16, 2>(self.q_rslot.q.val()) << self.k_pshift.val())
            | (self.phw.val() & self.k_wmask.val());
        // Wide buffers: the address from flip-flops alone (no issue, no subtraction): the
        // read address fans out to every LUT-RAM slice of the receive buffer.
        for q in 0..self._pw {
            self.pw[q].clock.next = self.clock.val();
            self.pw[q].d.next = 0.into();
            self.rx_raddr.next = (bit_cast::<16, 2>(self.q_rslot.q.val()) << self.k_pshift.val())
                | (self.pw[q].q.val() & self.k_wmask.val());
        }
        // Bank writes one cycle after each read; `daddr` is the next write's word and
        // counts the writes. No write falls in an issue cycle (a read in the cycle
        // before needs `on`, and an issue needs `ready`), and a frame's writes end
        // (`b_j+P_j+1`) before the next frame's first read (`b_j+T+1`).
        if self.wv_d.q.val() {
            // Past the extent's last word (at most `depth`) only when no write follows.
            self.daddr.d.next = (self.daddr.q.val() + 1) & self.k_amask.val();
        }
        if self.issue.val() {
            self.dbank.d.next = self.bank.val() & self.k_bmask.val();
            self.daddr.d.next = self.word.val() & self.k_amask.val();
        }
        self.wv_d.d.next = self.rd.val();
        self.we.next = self.wv_d.q.val();
        self.w_bank.next = self.dbank.q.val();
        self.w_addr.next = self.daddr.q.val();
        for l in 0..self._lanes {
            self.w_data[l].next = self.rx_rdata[l].val();
        }
        // The queue: flush first, then this cycle's delivery and consumption.
        self.a_eff.next = self.q_avail.q.val();
        if self.flush.val() {
            self.a_eff.next = 0.into();
            self.q_fault.d.next = false;
        }
        if self.take.val() {
            self.q_rslot.d.next = self.q_rslot.q.val() + 1;
        }
        if self.rx_valid.val() {
            self.q_eseq.d.next = self.rx_seq.val() + 1;
            if self.a_eff.val() == 0 {
                self.q_rslot.d.next = self.rx_slot.val();
            }
            if (self.rx_seq.val() != self.q_eseq.q.val()) | (self.a_eff.val() == 3) {
                self.q_fault.d.next = true;
            }
        }
        self.q_avail.d.next = self.a_eff.val();
        if self.rx_valid.val() & !self.take.val() & (self.a_eff.val() != 4) {
            self.q_avail.d.next = self.a_eff.val() + 1;
        }
        if !self.rx_valid.val() & self.take.val() {
            self.q_avail.d.next = self.a_eff.val() - 1;
        }
        self.avail.next = self.q_avail.q.val();
        self.fault.next = self.q_fault.q.val();
        self.eseq.next = self.q_eseq.q.val();
        // Frame pacing: ph counts 0..T-1 within a frame.
        // `pw` follows `ph - 1` while the unit is on, and is 0 after an idle cycle (an
        // issue always follows one: `ready` is `!e_on`, and the issue comes registered).
        if self.e_on.val() {
            self.ph.d.next = self.e_ph.val() + 1;
            for q in 0..self._pw {
                self.pw[q].d.next = self.e_ph.val();
            }
            if self.e_ph.val() == self.k_tlast.val() {
                self.ph.d.next = 0.into();
                for q in 0..self._pw {
                    self.pw[q].d.next = self.k_wmask.val();
                }
                self.rem.d.next = self.e_rem.val() - self.k_p.val();
                if self.last_r.q.val() {
                    self.on.d.next = false;
                }
            }
        }
        if self.miss.val() {
            self.on.d.next = false;
        }
        self.ready.next = !self.e_on.val();
        // From flip-flops and the strobe alone (at an issue `p1` is set): the issue does
        // not run through `e_on` into the tile's activity.
        self.active.next = self.issue.val()
            | (self.on.q.val() & !(self.last_r.q.val() & !self.p1_r.q.val() & self.pastw.q.val()))
            | self.wv_d.q.val();
    }
}
