//! `LinkTx`: the link transmitter. Four frame buffers filled by the user, a superframe
//! scheduler that puts each posted frame into the next frame slot, the byte engine
//! (header, payload, CRC-16) and the lane serializers. Its lanes carry exactly
//! `minilpu_model::link::tx::lane_stream` for the slots it filled.
//!
//! ```text
//!   wr_en, wr_addr, wr_data --> txbuf (SramBank: 4 slots x 128/W words of W bytes,
//!   post, post_tag --------->         then the 4 slots' tag words)    |
//!                   \------> pend/busy per slot                       |
//!   bitc, pcol, pb (schedule) --> stage 1: kind, raddr --------------> |
//!                                  stage 2: the byte (tag|sequence|payload) --> s3b
//!                                  stage 3: byte (ALIGN|s3b|CRC) --> LinkCrc
//!                                           nxt (next column) --> sh (shift) --> lanes
//! ```
//! - **Stream**: stream bit `n` is on the lanes during cycle `8 + n` (cycles counted
//!   from power-up); the first column is prefetched during cycles 0..7.
//! - **Posting**: write the 128/W payload words of buffer slot `k` at word addresses
//!   `k * 128/W ..`, then pulse `post` (with `post_tag`, 7 bits). The 4 slots are used
//!   in turn, starting with slot 0 (`next_slot` shows the slot the next `post` takes);
//!   frames leave in the order they were posted. A post in cycle `t` makes the frame eligible
//!   for every frame slot decided after `t`; the decision for a slot is taken in the
//!   cycle `8 * (its first stream column)` and shown on `fstart` (and `fdata` when it
//!   took a frame). Slots of the first `training_superframes` superframes never take
//!   a frame. The slot's `busy` bit is set by `post` and cleared after the last payload
//!   read; write or post a slot only while its `busy` bit is low, and never write and
//!   post in the same cycle (the post writes the tag into byte `254 mod W` of buffer
//!   word `4 * 128/W + k`, where header byte 0's `pb` selects it).
//! - **Latency**: a frame posted in cycle `t` (none other waiting, training over)
//!   starts on the lanes 8 cycles after the first decision after `t`: at most
//!   `8 * (132 / lanes + 2) + 8` cycles.
//! - **Throughput**: one frame per frame slot (`8 * 132 / lanes` cycles), no
//!   back-pressure: a frame not posted in time leaves an idle frame on the wire.
//! - **frames**: data frames sent (counted at the decision), modulo `2^counter_bits`.
//! - **Reset**: none; powers up sending training superframes.
//!
//! Byte kinds in stage 1 (`kind`): 0 ALIGN high byte, 1 ALIGN low byte, 2 header
//! byte 0, 3 header byte 1 (sequence number), 4 payload, 5 CRC high, 6 CRC low.
//! `pb` is the frame byte's index minus 2 (mod 256: header bytes 254 and 255, payload
//! 0..=127, CRC 128 and 129), the payload index itself.
//!
//! The CRC register runs through the CRC bytes too: a step with the register's own
//! high byte shifts it left by 8 (the table entry of 0 is 0), so both CRC bytes are
//! the register's high byte. It is set to the initial value 0xFFFF by the bytes that
//! precede a frame (ALIGN, CRC low).
//!
//! The byte for lane `l` of the next column is fetched in cycle `l` of the current
//! column (stage 1: kind and buffer address; stage 2: the buffer's byte, the tag or the
//! sequence number into `s3b`; stage 3: the CRC update and the shift into `nxt`, in
//! cycle `l + 2`, at most 5); `nxt` moves into the serializer at the column boundary
//! (cycle 7). Stage 3 keeps the block RAM's clock-to-out out of the CRC's cycle. With
//! words of 8 bytes or more a stage 2a registers the buffer's word before stage 2's
//! byte multiplexer, and stages 2 and 3 come a cycle later (stage 3 at most in cycle 6).

use crate::link_crc::LinkCrc;
use crate::sram_bank::SramBank;
use minilpu_model::link::{LinkConfig, ALIGN_PATTERN, PAYLOAD_BYTES};
use rust_hdl::prelude::*;

/// Frame buffer slots of the transmitter (`docs/link.md`).
pub use minilpu_model::link::TX_SLOTS;

// The slot pointers are 2 bits wide.
const _: () = assert!(TX_SLOTS == 4);

/// The link transmitter.
#[derive(LogicBlock)]
pub struct LinkTx {
    /// The TX clock (also forwarded to the receiver as its bit clock).
    pub clock: Signal<In, Clock>,
    /// Write `wr_data` into the frame buffers at `wr_addr`.
    pub wr_en: Signal<In, Bit>,
    /// Buffer word address: slot `k` (0..4) occupies `k * 128/W .. (k + 1) * 128/W`
    /// (a write never meets a `post`).
    pub wr_addr: Signal<In, Bits<16>>,
    /// Buffer word: `W` payload bytes, byte `j` of word `i` is payload byte `i * W + j`.
    pub wr_data: Vec<Signal<In, Bits<8>>>,
    /// Post slot `next_slot` for sending (slots are used in turn from slot 0).
    pub post: Signal<In, Bit>,
    /// Tag of the posted frame (bits 6..0).
    pub post_tag: Signal<In, Bits<8>>,
    /// The serial data lanes (bit `l` = lane `l`; unused lanes are 0).
    pub lanes: Signal<Out, Bits<4>>,
    /// Per slot (bit `k` = slot `k`): posted and not yet read out.
    pub busy: Signal<Out, Bits<4>>,
    /// The slot the next `post` takes (write its words first).
    pub next_slot: Signal<Out, Bits<2>>,
    /// A frame slot's content is decided this cycle.
    pub fstart: Signal<Out, Bit>,
    /// With `fstart`: the slot takes a posted frame.
    pub fdata: Signal<Out, Bit>,
    /// Data frames sent.
    pub frames: Signal<Out, Bits<32>>,
    txbuf: SramBank<8>,
    lcrc: LinkCrc,
    bitc: DFF<Bits<3>>,
    pcol: DFF<Bits<16>>,
    pb: DFF<Bits<8>>,
    sfc: DFF<Bits<8>>,
    s2v: DFF<Bit>,
    s2k: DFF<Bits<3>>,
    s2sel: DFF<Bits<8>>,
    s3v: DFF<Bit>,
    s3k: DFF<Bits<3>>,
    s3b: DFF<Bits<8>>,
    // Stage 2a (words of 8 bytes or more): the buffer's word and stage 1's byte fields,
    // registered before stage 2's byte multiplexer.
    t2v: Vec<DFF<Bit>>,
    t2k: Vec<DFF<Bits<3>>>,
    t2sel: Vec<DFF<Bits<8>>>,
    tw: Vec<DFF<Bits<8>>>,
    cdata: DFF<Bit>,
    cslot: DFF<Bits<2>>,
    seq: DFF<Bits<8>>,
    crc: DFF<Bits<16>>,
    pend: Vec<DFF<Bit>>,
    sbusy: Vec<DFF<Bit>>,
    rs: DFF<Bits<2>>,
    ps: DFF<Bits<2>>,
    nxt: DFF<Bits<32>>,
    sh: DFF<Bits<32>>,
    nframes: DFF<Bits<32>>,
    req: Signal<Local, Bit>,
    decide: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    rpend: Signal<Local, Bit>,
    kind: Signal<Local, Bits<3>>,
    pay: Signal<Local, Bits<8>>,
    cbyte: Signal<Local, Bits<8>>,
    tbyte: Signal<Local, Bits<8>>,
    k_lanes: Constant<Bits<3>>,
    k_last_col: Constant<Bits<16>>,
    k_pcmask: Constant<Bits<16>>,
    k_train: Constant<Bits<8>>,
    k_sfmask: Constant<Bits<8>>,
    k_wmask: Constant<Bits<8>>,
    k_wshift: Constant<Bits<16>>,
    k_hshift: Constant<Bits<16>>,
    k_tagbase: Constant<Bits<16>>,
    k_hmask: Constant<Bits<16>>,
    k_nshift: Constant<Bits<32>>,
    k_smask: Constant<Bits<32>>,
    k_cmask: Constant<Bits<32>>,
    k_pat_hi: Constant<Bits<8>>,
    k_pat_lo: Constant<Bits<8>>,
    k_crc_init: Constant<Bits<16>>,
    _words: usize,
    _taglane: usize,
    _ws: usize,
    _slots: usize,
}

/// A constant of the TX's configuration.
fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.to_bits())
}

impl LinkTx {
    /// The transmitter for a valid `cfg`.
    pub fn new(cfg: &LinkConfig) -> Self {
        cfg.validate().expect("valid link config");
        let w = cfg.word_bytes;
        let half = PAYLOAD_BYTES / w;
        // Stage 2a: only where the byte multiplexer is 8:1 or wider.
        let ws = (w >= 8) as usize;
        Self {
            clock: Default::default(),
            wr_en: Default::default(),
            wr_addr: Default::default(),
            wr_data: crate::vec_of(w),
            post: Default::default(),
            post_tag: Default::default(),
            lanes: Default::default(),
            busy: Default::default(),
            next_slot: Default::default(),
            fstart: Default::default(),
            fdata: Default::default(),
            frames: Default::default(),
            // The framer reads posted slots, `send` writes free ones: never the same word.
            // Words `4 * 128/W + k` hold the tag of slot `k` (byte `254 mod W`); the block RAM has
            // room for them (a power-of-two depth).
            // Read on every clock: a real word in the read register from the first edge.
            txbuf: SramBank::new(w, 2 * TX_SLOTS * half, 1)
                .collision_free()
                .uninit_read(),
            lcrc: Default::default(),
            bitc: Default::default(),
            pcol: Default::default(),
            pb: Default::default(),
            sfc: Default::default(),
            s2v: Default::default(),
            s2k: Default::default(),
            s2sel: Default::default(),
            s3v: Default::default(),
            s3k: Default::default(),
            s3b: Default::default(),
            t2v: crate::vec_of(ws),
            t2k: crate::vec_of(ws),
            t2sel: crate::vec_of(ws),
            tw: crate::vec_of(ws * w),
            cdata: Default::default(),
            cslot: Default::default(),
            seq: Default::default(),
            crc: Default::default(),
            pend: crate::vec_of(TX_SLOTS),
            sbusy: crate::vec_of(TX_SLOTS),
            rs: Default::default(),
            ps: Default::default(),
            nxt: Default::default(),
            sh: Default::default(),
            nframes: Default::default(),
            req: Default::default(),
            decide: Default::default(),
            take: Default::default(),
            rpend: Default::default(),
            kind: Default::default(),
            pay: Default::default(),
            cbyte: Default::default(),
            tbyte: Default::default(),
            k_lanes: k(cfg.lanes as u64),
            k_last_col: k(cfg.superframe_columns() as u64 - 1),
            // `pcol` never exceeds the last column: the mask tells synthesis so.
            k_pcmask: crate::range_mask(cfg.superframe_columns()),
            k_train: k(cfg.training_superframes as u64),
            // `sfc` stops at training + 1 (at most 101): the mask tells synthesis so.
            k_sfmask: crate::range_mask(cfg.training_superframes + 2),
            k_wmask: k(w as u64 - 1),
            k_wshift: k(w.trailing_zeros() as u64),
            k_hshift: k(half.trailing_zeros() as u64),
            k_tagbase: k((TX_SLOTS * half) as u64),
            k_hmask: k(half as u64 - 1),
            k_nshift: k(8 * (cfg.lanes as u64 - 1)),
            k_smask: k(0xFEFE_FEFE),
            k_cmask: k(cfg.counter_mask() as u64),
            k_pat_hi: k((ALIGN_PATTERN >> 8) as u64),
            k_pat_lo: k((ALIGN_PATTERN & 0xFF) as u64),
            k_crc_init: k(0xFFFF),
            _words: w,
            _taglane: 254 % w,
            _ws: ws,
            _slots: TX_SLOTS,
        }
    }
}

impl Logic for LinkTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, bitc, pcol, pb, sfc, s2v, s2k, s2sel, s3v, s3k, s3b, cdata, cslot, seq,
            crc, rs, ps, nxt, sh, nframes
        );
        // The frame counter is `counter_bits` wide: every value it takes is masked.
        self.nframes.d.next = self.nframes.q.val() & self.k_cmask.val();
        // Per-slot state; `rpend`: the slot the scheduler reads next.
        self.rpend.next = false;
        self.busy.next = 0.into();
        for s in 0..self._slots {
            self.pend[s].clock.next = self.clock.val();
            self.sbusy[s].clock.next = self.clock.val();
            self.pend[s].d.next = self.pend[s].q.val();
            self.sbusy[s].d.next = self.sbusy[s].q.val();
            if self.rs.q.val().index() == s {
                self.rpend.next = self.pend[s].q.val();
            }
            if self.sbusy[s].q.val() {
                self.busy.next = self.busy.val() | (1 << s);
            }
        }
        self.next_slot.next = self.ps.q.val();
        clock!(self, clock, txbuf);
        // The user's write port; a post writes its tag into the slot's tag word (never
        // in a write cycle: the user's rule above).
        self.txbuf.we.next = 0.into();
        if self.wr_en.val() | self.post.val() {
            self.txbuf.we.next = 1.into();
        }
        self.txbuf.waddr[0].next = self.wr_addr.val();
        for j in 0..self._words {
            self.txbuf.wdata[j].next = self.wr_data[j].val();
        }
        if self.post.val() {
            self.txbuf.waddr[0].next = self.k_tagbase.val() | bit_cast::<16, 2>(self.ps.q.val());
            for j in self._taglane..crate::one_more(self._taglane) {
                self.txbuf.wdata[j].next = self.post_tag.val();
            }
        }
        // Stage 1: in cycles 0..lanes of a column, request the byte for lane `bitc`
        // of the next column (`pcol`).
        self.req.next = self.bitc.q.val() < self.k_lanes.val();
        self.decide.next = self.req.val() & (self.pcol.q.val() >= 2) & (self.pb.q.val() == 254);
        self.take.next = (self.sfc.q.val() > self.k_train.val()) & self.rpend.val();
        self.fstart.next = self.decide.val();
        self.fdata.next = self.decide.val() & self.take.val();
        self.kind.next = 4.into();
        if self.pb.q.val() == 254 {
            self.kind.next = 2.into();
        }
        if self.pb.q.val() == 255 {
            self.kind.next = 3.into();
        }
        if self.pb.q.val() == 128 {
            self.kind.next = 5.into();
        }
        if self.pb.q.val() == 129 {
            self.kind.next = 6.into();
        }
        if self.pcol.q.val() == 0 {
            self.kind.next = 0.into();
        }
        if self.pcol.q.val() == 1 {
            self.kind.next = 1.into();
        }
        // Payload word pb / W of the slot (exact for payload bytes, the only ones
        // read); for header byte 0 the tag word of the slot being decided. A post in this
        // cycle writes that word only if it is the slot being decided, which then is
        // either not posted (no frame, the tag unused) or busy (no post allowed).
        self.txbuf.raddr[0].next = (bit_cast::<16, 2>(self.cslot.q.val()) << self.k_hshift.val())
            | ((bit_cast::<16, 8>(self.pb.q.val()) >> self.k_wshift.val()) & self.k_hmask.val());
        if self.pb.q.val() == 254 {
            self.txbuf.raddr[0].next = self.k_tagbase.val() | bit_cast::<16, 2>(self.rs.q.val());
        }
        self.s2v.d.next = self.req.val();
        self.s2k.d.next = self.kind.val();
        // Byte `pb mod W` of the word; for header byte 0 the tag's byte.
        self.s2sel.d.next = self.pb.q.val() & self.k_wmask.val();
        if self.req.val() {
            if (self.pcol.q.val() == 0)
                & (self.bitc.q.val() == 0)
                & (self.sfc.q.val() <= self.k_train.val())
            {
                self.sfc.d.next = (self.sfc.q.val() + 1) & self.k_sfmask.val();
            }
            if self.pcol.q.val() >= 2 {
                self.pb.d.next = self.pb.q.val() + 1;
                if self.pb.q.val() == 129 {
                    self.pb.d.next = 254.into();
                }
                if (self.pb.q.val() == 127) & self.cdata.q.val() {
                    for s in 0..self._slots {
                        if self.cslot.q.val().index() == s {
                            self.sbusy[s].d.next = false;
                        }
                    }
                }
            } else {
                // ALIGN columns: a superframe's frames end with pb 129 -> 254 anyway;
                // this gives the first frame its 254 (pb powers up 0).
                self.pb.d.next = 254.into();
            }
        }
        if self.decide.val() {
            self.cdata.d.next = self.take.val();
            self.cslot.d.next = self.rs.q.val();
            if self.take.val() {
                self.nframes.d.next = (self.nframes.q.val() + 1) & self.k_cmask.val();
                self.rs.d.next = self.rs.q.val() + 1;
                for s in 0..self._slots {
                    if self.rs.q.val().index() == s {
                        self.pend[s].d.next = false;
                    }
                }
            }
        }
        // Posting.
        if self.post.val() {
            self.ps.d.next = self.ps.q.val() + 1;
            for s in 0..self._slots {
                if self.ps.q.val().index() == s {
                    self.pend[s].d.next = true;
                    self.sbusy[s].d.next = true;
                }
            }
        }
        // Stage 2: the byte of kinds 2..=4 (0 for the others) into `s3b`.
        self.pay.next = 0.into();
        for j in 0..self._words {
            if self.s2sel.q.val().index() == j {
                self.pay.next = self.txbuf.rdata[j].val();
            }
        }
        self.s3v.d.next = self.s2v.q.val();
        self.s3k.d.next = self.s2k.q.val();
        self.s3b.d.next = 0.into();
        // Header byte 0 (the tag, `pay` by `s2sel`) and payload; idle frames carry 0.
        if ((self.s2k.q.val() == 2) | (self.s2k.q.val() == 4)) & self.cdata.q.val() {
            self.s3b.d.next = self.pay.val();
            if self.s2k.q.val() == 2 {
                self.s3b.d.next = self.pay.val() | 0x80;
            }
        }
        // `seq` moves in stage 3 of this byte, a frame before its next use.
        if self.s2k.q.val() == 3 {
            self.s3b.d.next = self.seq.q.val();
        }
        // Stage 2a (words of 8 bytes or more): the same, a cycle later, from the word
        // and fields registered in stage 2a, so that the block RAM's clock-to-out and the
        // byte multiplexer are in different cycles. `cdata` and `seq` do not change
        // between (the next decision is three bytes after a frame's last payload byte).
        for s in 0..self._ws {
            self.t2v[s].clock.next = self.clock.val();
            self.t2k[s].clock.next = self.clock.val();
            self.t2sel[s].clock.next = self.clock.val();
            self.t2v[s].d.next = self.s2v.q.val();
            self.t2k[s].d.next = self.s2k.q.val();
            self.t2sel[s].d.next = self.s2sel.q.val();
            self.pay.next = 0.into();
            for j in 0..self._words {
                self.tw[j].clock.next = self.clock.val();
                self.tw[j].d.next = self.txbuf.rdata[j].val();
                if self.t2sel[s].q.val().index() == j {
                    self.pay.next = self.tw[j].q.val();
                }
            }
            self.s3v.d.next = self.t2v[s].q.val();
            self.s3k.d.next = self.t2k[s].q.val();
            self.s3b.d.next = 0.into();
            if ((self.t2k[s].q.val() == 2) | (self.t2k[s].q.val() == 4)) & self.cdata.q.val() {
                self.s3b.d.next = self.pay.val();
                if self.t2k[s].q.val() == 2 {
                    self.s3b.d.next = self.pay.val() | 0x80;
                }
            }
            if self.t2k[s].q.val() == 3 {
                self.s3b.d.next = self.seq.q.val();
            }
        }
        // Stage 3: the CRC and the next column. `cbyte`: the byte of kinds 2..=6 (the
        // ones the CRC register takes), 0 for ALIGN; `tbyte` adds the ALIGN bytes (one LUT
        // per bit next to `nxt`'s flip-flop).
        self.cbyte.next = self.s3b.q.val();
        // Both CRC bytes are the register's high byte (see the header).
        if self.s3k.q.val() >= 5 {
            self.cbyte.next = self.crc.q.val().get_bits::<8>(8);
        }
        self.tbyte.next = self.cbyte.val();
        if self.s3k.q.val() == 0 {
            self.tbyte.next = self.k_pat_hi.val();
        }
        if self.s3k.q.val() == 1 {
            self.tbyte.next = self.k_pat_lo.val();
        }
        self.lcrc.crc_in.next = self.crc.q.val();
        self.lcrc.data.next = self.cbyte.val();
        if self.s3v.q.val() {
            self.crc.d.next = self.k_crc_init.val();
            if (self.s3k.q.val() >= 2) & (self.s3k.q.val() <= 5) {
                self.crc.d.next = self.lcrc.crc_out.val();
            }
            // A data frame's number counts after its header byte 1 (idle frames carry
            // the number of the next data frame).
            if (self.s3k.q.val() == 3) & self.cdata.q.val() {
                self.seq.d.next = self.seq.q.val() + 1;
            }
            self.nxt.d.next = (self.nxt.q.val() >> 8)
                | (bit_cast::<32, 8>(self.tbyte.val()) << self.k_nshift.val());
        }
        // Serializer: MSB first; the next column moves in at the boundary.
        self.bitc.d.next = self.bitc.q.val() + 1;
        self.sh.d.next = (self.sh.q.val() << 1) & self.k_smask.val();
        if self.bitc.q.val() == 7 {
            self.sh.d.next = self.nxt.q.val();
            self.pcol.d.next = (self.pcol.q.val() + 1) & self.k_pcmask.val();
            if self.pcol.q.val() == self.k_last_col.val() {
                self.pcol.d.next = 0.into();
            }
        }
        self.lanes.next = 0.into();
        for l in 0..4 {
            if self.sh.q.val().get_bit(8 * l + 7) {
                self.lanes.next = self.lanes.val() | (1 << l);
            }
        }
        self.frames.next = self.nframes.q.val();
    }
}
