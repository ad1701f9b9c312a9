//! `LinkRx`: the link receiver. Only wires: the forwarded-clock front end
//! ([`LinkAlign`]), the clock-crossing FIFO ([`AsyncFifo`], 4 entries), the back end in
//! the receiver's own clock ([`LinkRxFrame`]) and the receive buffer ([`SramBank`],
//! 4 frame slots), plus a two-flop synchronizer for `locked`.
//!
//! ```text
//!   fclk domain                     |  clock domain
//!   lanes --> LinkAlign --we/wdata--> AsyncFifo --> LinkRxFrame --> buf (4 x 128 B)
//!                       <--full-----|            \-> valid, slot, seq, tag, counters
//!             locked ---------------|--> 2 flops --> locked        raddr --> rdata
//! ```
//! - **Latency**: see `docs/link.md` ("Latency budget"): from the edge that samples a
//!   frame's last bit, 2 forwarded clocks (front end), then `1 + u` receiver clocks in
//!   the FIFO's synchronizer (`u` in (0, 1] by phase), then `lanes + 1` receiver clocks
//!   (back end) until `valid`.
//! - **Read port**: `rdata` shows the buffer word at the `raddr` of the previous
//!   receiver clock; slot `s` holds words `s * 128/W ..`.
//! - **Write port**: with words of 8 bytes or more, the framer's write (enable, address,
//!   word) goes through two registers before the buffer (`wp_*` after the framer,
//!   `wq_*` before the buffer), so that neither the framer's byte logic nor the route
//!   across to a wide buffer's LUT-RAM slices (its write enable fans out to all of
//!   them) shares a cycle with the other. A payload word then lands two cycles later:
//!   the frame's last word is in the buffer by the cycle that raises `valid` (its two
//!   CRC bytes are handled first), and a reader starts with the frame's first word.
//! - **Clock tolerance**: the back end needs `lanes + 1` receiver clocks per column,
//!   the wire brings one column per 8 forwarded clocks, so any receiver clock faster
//!   than `(lanes + 1) / 8` of the transmitter's works; a slower one overflows the FIFO
//!   (counted, frames dropped).
//! - **Reset**: none; powers up hunting, with empty FIFO and zero counters.

use crate::async_fifo::AsyncFifo;
use crate::link_align::{LinkAlign, LINK_ENTRY_BITS};
use crate::link_rx_frame::LinkRxFrame;
use crate::sram_bank::SramBank;
use minilpu_model::link::{LinkConfig, PAYLOAD_BYTES, RX_SLOTS};
use rust_hdl::prelude::*;

/// Address bits of the clock-crossing FIFO (4 entries).
pub const LINK_FIFO_AW: usize = 2;

/// The link receiver.
#[derive(LogicBlock)]
pub struct LinkRx {
    /// The forwarded clock (the transmitter's bit clock).
    pub fclk: Signal<In, Clock>,
    /// The receiver's own clock.
    pub clock: Signal<In, Clock>,
    /// Serial data lanes, sampled on `fclk` (bit `l` = lane `l`).
    pub lanes: Signal<In, Bits<4>>,
    /// Receive-buffer read address (receiver clock).
    pub raddr: Signal<In, Bits<16>>,
    /// Receive-buffer word read at the previous edge's `raddr`.
    pub rdata: Vec<Signal<Out, Bits<8>>>,
    /// A good data frame is in slot `slot` (one-cycle pulse).
    pub valid: Signal<Out, Bit>,
    /// With `valid`: receive-buffer slot.
    pub slot: Signal<Out, Bits<2>>,
    /// With `valid`: sequence number.
    pub seq: Signal<Out, Bits<8>>,
    /// With `valid`: the sender's tag.
    pub tag: Signal<Out, Bits<8>>,
    /// Lanes aligned and frames flowing (synchronized to `clock`).
    pub locked: Signal<Out, Bit>,
    /// Data frames delivered.
    pub frames: Signal<Out, Bits<32>>,
    /// Frames dropped for a bad CRC.
    pub crc_errors: Signal<Out, Bits<32>>,
    /// Losses of lock.
    pub align_lost: Signal<Out, Bits<32>>,
    /// Clock-crossing FIFO overflows.
    pub overflows: Signal<Out, Bits<32>>,
    /// Data frames missing between delivered ones.
    pub missing: Signal<Out, Bits<32>>,
    align: LinkAlign,
    fifo: AsyncFifo<LINK_ENTRY_BITS>,
    framer: LinkRxFrame,
    rxbuf: SramBank<8>,
    sync1: DFF<Bit>,
    sync2: DFF<Bit>,
    // The registered write port (words of 8 bytes or more; absent otherwise): a first
    // stage after the framer (`wp_*`), then one before the buffer (`wq_*`).
    wp_we: Vec<DFF<Bit>>,
    wp_a: Vec<DFF<Bits<16>>>,
    wp_d: Vec<DFF<Bits<8>>>,
    wq_we: Vec<DFF<Bit>>,
    wq_a: Vec<DFF<Bits<16>>>,
    wq_d: Vec<DFF<Bits<8>>>,
    _words: usize,
    _wq: usize,
}

impl LinkRx {
    /// The receiver for a valid `cfg`.
    pub fn new(cfg: &LinkConfig) -> Self {
        cfg.validate().expect("valid link config");
        let w = cfg.word_bytes;
        let wq = (w >= 8) as usize;
        Self {
            fclk: Default::default(),
            clock: Default::default(),
            lanes: Default::default(),
            raddr: Default::default(),
            rdata: crate::vec_of(w),
            valid: Default::default(),
            slot: Default::default(),
            seq: Default::default(),
            tag: Default::default(),
            locked: Default::default(),
            frames: Default::default(),
            crc_errors: Default::default(),
            align_lost: Default::default(),
            overflows: Default::default(),
            missing: Default::default(),
            align: LinkAlign::new(cfg),
            // The bytes of absent lanes are always 0 in the entries: not stored.
            // With words of 8 bytes or more, `empty` from a flip-flop: the framer's
            // `fifo_re` starts the CRC, byte counter and frame flag (the same flags).
            fifo: AsyncFifo::new(LINK_FIFO_AW)
                .zero_bits(8 * cfg.lanes, 32)
                .registered_empty(w >= 8),
            framer: LinkRxFrame::new(cfg),
            // The framer fills the slot after the newest queued frame, `recv` reads queued
            // ones: they meet only after a queue overflow, which the link fault reports.
            // Read on every clock: a real word in the read register from the first edge.
            rxbuf: SramBank::new(w, RX_SLOTS * PAYLOAD_BYTES / w, 1)
                .collision_free()
                .uninit_read(),
            sync1: Default::default(),
            sync2: Default::default(),
            wp_we: crate::vec_of(wq),
            wp_a: crate::vec_of(wq),
            wp_d: crate::vec_of(w * wq),
            wq_we: crate::vec_of(wq),
            wq_a: crate::vec_of(wq),
            wq_d: crate::vec_of(w * wq),
            _words: w,
            _wq: wq,
        }
    }
}

impl Logic for LinkRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync1, sync2);
        self.align.clock.next = self.fclk.val();
        self.fifo.wclk.next = self.fclk.val();
        self.fifo.rclk.next = self.clock.val();
        self.framer.clock.next = self.clock.val();
        self.rxbuf.clock.next = self.clock.val();
        // Forwarded-clock side.
        self.align.lanes.next = self.lanes.val();
        self.align.full.next = self.fifo.full.val();
        self.fifo.we.next = self.align.we.val();
        self.fifo.wdata.next = self.align.wdata.val();
        // Receiver-clock side.
        self.framer.fifo_data.next = self.fifo.rdata.val();
        self.framer.fifo_empty.next = self.fifo.empty.val();
        self.fifo.re.next = self.framer.fifo_re.val();
        self.rxbuf.we.next = 0.into();
        if self.framer.buf_we.val() {
            self.rxbuf.we.next = 1.into();
        }
        self.rxbuf.waddr[0].next = self.framer.buf_waddr.val();
        self.rxbuf.raddr[0].next = self.raddr.val();
        for j in 0..self._words {
            self.rxbuf.wdata[j].next = self.framer.buf_wdata[j].val();
            self.rdata[j].next = self.rxbuf.rdata[j].val();
        }
        for q in 0..self._wq {
            self.wp_we[q].clock.next = self.clock.val();
            self.wp_a[q].clock.next = self.clock.val();
            self.wp_we[q].d.next = self.framer.buf_we.val();
            self.wp_a[q].d.next = self.framer.buf_waddr.val();
            self.wq_we[q].clock.next = self.clock.val();
            self.wq_a[q].clock.next = self.clock.val();
            self.wq_we[q].d.next = self.wp_we[q].q.val();
            self.wq_a[q].d.next = self.wp_a[q].q.val();
            self.rxbuf.we.next = 0.into();
            if self.wq_we[q].q.val() {
                self.rxbuf.we.next = 1.into();
            }
            self.rxbuf.waddr[0].next = self.wq_a[q].q.val();
            for j in 0..self._words {
                self.wp_d[j].clock.next = self.clock.val();
                self.wp_d[j].d.next = self.framer.buf_wdata[j].val();
                self.wq_d[j].clock.next = self.clock.val();
                self.wq_d[j].d.next = self.wp_d[j].q.val();
                self.rxbuf.wdata[j].next = self.wq_d[j].q.val();
            }
        }
        self.sync1.d.next = self.align.locked.val();
        self.sync2.d.next = self.sync1.q.val();
        self.locked.next = self.sync2.q.val();
        self.valid.next = self.framer.valid.val();
        self.slot.next = self.framer.slot.val();
        self.seq.next = self.framer.seq.val();
        self.tag.next = self.framer.tag.val();
        self.frames.next = self.framer.frames.val();
        self.crc_errors.next = self.framer.crc_errors.val();
        self.align_lost.next = self.framer.align_lost.val();
        self.overflows.next = self.framer.overflows.val();
        self.missing.next = self.framer.missing.val();
    }
}
