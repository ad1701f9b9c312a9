//! `LinkRxFrame`: the receiver's back end in the receiver's clock domain: takes frame
//! columns from the clock-crossing FIFO, rebuilds frames byte by byte, checks the
//! CRC-16, writes payload words into the receive buffer and announces each good data
//! frame. Bit for bit `minilpu_model::link::rx::Framer`.
//!
//! ```text
//!   FIFO (data, empty) --re--> ud, ub (column, bytes left) --> byte --> LinkCrc
//!                                                            --> kind, seq, asm (W bytes)
//!   asm --> buf_we/waddr/wdata (slot wslot, word pb / W)
//!   byte 131: CRC register == 0 ? (data ? valid, slot, seq, tag : -) : crc_errors++
//! ```
//! - **Byte counter**: `pb` is the frame byte's index minus 2 (mod 256: the header bytes
//!   are 254 and 255, the payload bytes 0..=127, the CRC bytes 128 and 129), so that it
//!   is the payload index itself. The CRC register is set to its initial value (0xFFFF)
//!   when a frame starts, and `lseq_n` holds the inverted sequence number of the last
//!   delivered frame (the gap is `seq + lseq_n`, no separate `seq + 1`).
//! - **Pace**: an entry is taken when the FIFO shows one and the previous column's
//!   bytes are done; its `lanes` bytes are then handled one per cycle (lane 0 first),
//!   so a column costs `lanes + 1` cycles against the 8 forwarded clocks it takes on
//!   the wire.
//! - **Entries**: `sof` starts a frame (frame byte 0); bytes outside a frame are
//!   ignored; `ev` (lock lost) and `ovf` (an entry was lost) abort the frame in
//!   progress and count `align_lost` / `overflows`.
//! - **Delivery**: `valid` is high for one cycle, after the `lanes`-th edge that follows
//!   the edge that took the frame's last column, with `slot` (receive-buffer slot, 0..4 in turn), `seq`
//!   and `tag` (which show other values between pulses). The payload is already in the buffer; the slot is next written when
//!   the fourth frame after it arrives. A frame with a bad CRC is counted in
//!   `crc_errors` and never announced; its slot is reused.
//! - **missing**: the sum of the sequence-number gaps (mod 256) before each delivered
//!   frame.
//! - **Counters**: `frames`, `missing` and `crc_errors` count in the cycle after the
//!   frame's last byte (with `valid` for a delivered frame), the others as their FIFO
//!   entry is taken. They are `link_counter_bits` wide (`LinkConfig::counter_bits`,
//!   16..=32): they count modulo `2^counter_bits`; every value they take is masked, so
//!   synthesis drops the flip-flops above.
//! - **Reset**: none; counters power up to zero.

use crate::link_align::LINK_ENTRY_BITS;
use crate::link_crc::LinkCrc;
use minilpu_model::link::{LinkConfig, PAYLOAD_BYTES};
use rust_hdl::prelude::*;

/// The receiver back end.
#[derive(LogicBlock)]
pub struct LinkRxFrame {
    /// The receiver's clock.
    pub clock: Signal<In, Clock>,
    /// FIFO head (see `LinkAlign`).
    pub fifo_data: Signal<In, Bits<LINK_ENTRY_BITS>>,
    /// The FIFO is empty.
    pub fifo_empty: Signal<In, Bit>,
    /// Take the FIFO head at the next edge.
    pub fifo_re: Signal<Out, Bit>,
    /// Write a payload word into the receive buffer.
    pub buf_we: Signal<Out, Bit>,
    /// Receive-buffer word address (`slot * 128/W + word`).
    pub buf_waddr: Signal<Out, Bits<16>>,
    /// Receive-buffer word (`W` bytes).
    pub buf_wdata: Vec<Signal<Out, Bits<8>>>,
    /// A good data frame is in slot `slot` (one-cycle pulse).
    pub valid: Signal<Out, Bit>,
    /// With `valid`: receive-buffer slot.
    pub slot: Signal<Out, Bits<2>>,
    /// With `valid`: sequence number.
    pub seq: Signal<Out, Bits<8>>,
    /// With `valid`: the sender's tag.
    pub tag: Signal<Out, Bits<8>>,
    /// Data frames delivered.
    pub frames: Signal<Out, Bits<32>>,
    /// Frames dropped for a bad CRC.
    pub crc_errors: Signal<Out, Bits<32>>,
    /// Losses of lock.
    pub align_lost: Signal<Out, Bits<32>>,
    /// FIFO overflows.
    pub overflows: Signal<Out, Bits<32>>,
    /// Data frames missing between delivered ones.
    pub missing: Signal<Out, Bits<32>>,
    lcrc: LinkCrc,
    ub: DFF<Bits<3>>,
    ud: DFF<Bits<32>>,
    inframe: DFF<Bit>,
    pb: DFF<Bits<8>>,
    crc: DFF<Bits<16>>,
    kind: DFF<Bits<8>>,
    seqr: DFF<Bits<8>>,
    asm: DFF<Bits<128>>,
    wslot: DFF<Bits<2>>,
    lseq_n: DFF<Bits<8>>,
    c_frames: DFF<Bits<32>>,
    c_crc: DFF<Bits<32>>,
    c_lost: DFF<Bits<32>>,
    c_ovf: DFF<Bits<32>>,
    c_missing: DFF<Bits<32>>,
    vld: DFF<Bit>,
    bad: DFF<Bit>,
    // With words of 8 bytes or more: `ub != 0` in a flip-flop of its own (absent
    // otherwise), so that the byte strobe `go` and the FIFO's read are flip-flops
    // ANDed: `ub`'s compare is not shared between the FIFO and the framer's logic.
    ubnz: Vec<DFF<Bit>>,
    go: Signal<Local, Bit>,
    rbyte: Signal<Local, Bits<8>>,
    udm: Signal<Local, Bits<32>>,
    asm_n: Signal<Local, Bits<128>>,
    gap: Signal<Local, Bits<8>>,
    ubm: Signal<Local, Bits<3>>,
    ubn: Signal<Local, Bits<3>>,
    k_lanes: Constant<Bits<3>>,
    k_ubmask: Constant<Bits<3>>,
    k_umask: Constant<Bits<32>>,
    k_cmask: Constant<Bits<32>>,
    k_wmask: Constant<Bits<8>>,
    k_wshift: Constant<Bits<16>>,
    k_sshift: Constant<Bits<16>>,
    k_hmask: Constant<Bits<16>>,
    k_ashift: Constant<Bits<128>>,
    k_amask: Constant<Bits<128>>,
    k_crc_init: Constant<Bits<16>>,
    _words: usize,
    _nz: usize,
}

impl LinkRxFrame {
    /// The back end for a valid `cfg`.
    pub fn new(cfg: &LinkConfig) -> Self {
        cfg.validate().expect("valid link config");
        let w = cfg.word_bytes;
        Self {
            clock: Default::default(),
            fifo_data: Default::default(),
            fifo_empty: Default::default(),
            fifo_re: Default::default(),
            buf_we: Default::default(),
            buf_waddr: Default::default(),
            buf_wdata: crate::vec_of(w),
            valid: Default::default(),
            slot: Default::default(),
            seq: Default::default(),
            tag: Default::default(),
            frames: Default::default(),
            crc_errors: Default::default(),
            align_lost: Default::default(),
            overflows: Default::default(),
            missing: Default::default(),
            lcrc: Default::default(),
            ub: Default::default(),
            ud: Default::default(),
            inframe: Default::default(),
            pb: Default::default(),
            crc: Default::default(),
            kind: Default::default(),
            seqr: Default::default(),
            asm: Default::default(),
            wslot: Default::default(),
            lseq_n: Default::default(),
            c_frames: Default::default(),
            c_crc: Default::default(),
            c_lost: Default::default(),
            c_ovf: Default::default(),
            c_missing: Default::default(),
            vld: Default::default(),
            bad: Default::default(),
            ubnz: crate::vec_of((w >= 8) as usize),
            go: Default::default(),
            rbyte: Default::default(),
            udm: Default::default(),
            asm_n: Default::default(),
            gap: Default::default(),
            ubm: Default::default(),
            ubn: Default::default(),
            k_lanes: Constant::new((cfg.lanes as u64).to_bits()),
            // `ub` never exceeds `lanes`: the mask tells synthesis so (one flip-flop for
            // one lane).
            k_ubmask: crate::range_mask(cfg.lanes + 1),
            k_umask: Constant::new((u32::MAX as u64 >> (32 - 8 * cfg.lanes)).to_bits()),
            k_cmask: Constant::new((cfg.counter_mask() as u64).to_bits()),
            k_wmask: Constant::new((w as u64 - 1).to_bits()),
            k_wshift: Constant::new((w.trailing_zeros() as u64).to_bits()),
            k_sshift: Constant::new(((PAYLOAD_BYTES / w).trailing_zeros() as u64).to_bits()),
            k_hmask: Constant::new(((PAYLOAD_BYTES / w) as u64 - 1).to_bits()),
            k_ashift: Constant::new((8 * (w as u64 - 1)).to_bits()),
            k_amask: Constant::new(Bits::<128>::mask() >> (128 - 8 * w) as u64),
            k_crc_init: Constant::new(0xFFFF_u64.to_bits()),
            _words: w,
            _nz: (w >= 8) as usize,
        }
    }
}

impl Logic for LinkRxFrame {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, ub, ud, inframe, pb, crc, kind, seqr, asm, wslot, lseq_n, c_frames, c_crc,
            c_lost, c_ovf, c_missing, vld, bad
        );
        self.asm.d.next = self.asm.q.val() & self.k_amask.val();
        // The counters hold their masked values (see the header).
        self.c_frames.d.next = self.c_frames.q.val() & self.k_cmask.val();
        self.c_crc.d.next = self.c_crc.q.val() & self.k_cmask.val();
        self.c_lost.d.next = self.c_lost.q.val() & self.k_cmask.val();
        self.c_ovf.d.next = self.c_ovf.q.val() & self.k_cmask.val();
        self.c_missing.d.next = self.c_missing.q.val() & self.k_cmask.val();
        // `ub` never exceeds `lanes`: read through the mask, its unused flip-flops go.
        self.ubm.next = self.ub.q.val() & self.k_ubmask.val();
        self.fifo_re.next = !self.fifo_empty.val() & (self.ubm.val() == 0);
        // Only the `lanes` low bytes of a column are used: the mask lets synthesis drop
        // the others.
        self.udm.next = self.ud.q.val() & self.k_umask.val();
        self.rbyte.next = self.udm.val().get_bits::<8>(0);
        self.go.next = (self.ubm.val() != 0) & self.inframe.q.val();
        for q in 0..self._nz {
            self.fifo_re.next = !self.fifo_empty.val() & !self.ubnz[q].q.val();
            self.go.next = self.ubnz[q].q.val() & self.inframe.q.val();
        }
        // The register is set to the initial value when the frame starts.
        self.lcrc.crc_in.next = self.crc.q.val();
        self.lcrc.data.next = self.rbyte.val();
        // The mask keeps the unused high bytes constant, so synthesis drops them.
        self.asm_n.next = ((self.asm.q.val() >> 8)
            | (bit_cast::<128, 8>(self.rbyte.val()) << self.k_ashift.val()))
            & self.k_amask.val();
        // An 8-bit signal of its own: rust-hdl would add in 32 bits. `seq - (last + 1)`
        // is `seq + !last` (mod 256).
        self.gap.next = self.seqr.q.val() + self.lseq_n.q.val();
        self.buf_we.next = false;
        // The word index is below 128/W in the payload bytes (the only ones written).
        self.buf_waddr.next = (bit_cast::<16, 2>(self.wslot.q.val()) << self.k_sshift.val())
            | ((bit_cast::<16, 8>(self.pb.q.val()) >> self.k_wshift.val()) & self.k_hmask.val());
        for j in 0..self._words {
            self.buf_wdata[j].next = self.asm_n.val().get_bits::<8>(8 * j);
        }
        self.vld.d.next = false;
        self.bad.d.next = false;
        // Unpack the held column, one byte per cycle. `ud` is not read once its last
        // byte is handled (`ub` 1 -> 0), so it shifts only while more bytes follow
        // (never with one lane).
        self.ubn.next = (self.ubm.val() - 1) & self.k_ubmask.val();
        for q in 0..self._nz {
            self.ubnz[q].clock.next = self.clock.val();
            self.ubnz[q].d.next = self.ubnz[q].q.val() & (self.ubn.val() != 0);
        }
        if self.ubm.val() != 0 {
            self.ub.d.next = self.ubn.val();
            if self.ubn.val() != 0 {
                self.ud.d.next = self.udm.val() >> 8;
            }
        }
        if self.go.val() {
            self.crc.d.next = self.lcrc.crc_out.val();
            self.pb.d.next = self.pb.q.val() + 1;
            if self.pb.q.val() == 254 {
                self.kind.d.next = self.rbyte.val();
            }
            if self.pb.q.val() == 255 {
                self.seqr.d.next = self.rbyte.val();
            }
            // Payload bytes: pb in 0..=127.
            if !self.pb.q.val().get_bit(7) {
                self.asm.d.next = self.asm_n.val();
                if (self.pb.q.val() & self.k_wmask.val()) == self.k_wmask.val() {
                    self.buf_we.next = true;
                }
            }
            // Frame byte 131.
            if self.pb.q.val() == 129 {
                self.inframe.d.next = false;
                if self.lcrc.crc_out.val() == 0 {
                    if self.kind.q.val().get_bit(7) {
                        self.vld.d.next = true;
                        self.wslot.d.next = self.wslot.q.val() + 1;
                    }
                } else {
                    self.bad.d.next = true;
                }
            }
        }
        // The counters and the last sequence number follow the CRC check's flip-flops a
        // cycle later (`valid`'s cycle), so that the check does not drive their enables.
        // `seqr` still holds the delivered frame's number then (see `valid` below).
        if self.vld.q.val() {
            self.c_frames.d.next = (self.c_frames.q.val() + 1) & self.k_cmask.val();
            self.c_missing.d.next =
                (self.c_missing.q.val() + bit_cast::<32, 8>(self.gap.val())) & self.k_cmask.val();
            self.lseq_n.d.next = !self.seqr.q.val();
        }
        if self.bad.q.val() {
            self.c_crc.d.next = (self.c_crc.q.val() + 1) & self.k_cmask.val();
        }
        // Take the next FIFO entry.
        if self.fifo_re.val() {
            if self.fifo_data.val().get_bit(34) {
                self.c_ovf.d.next = (self.c_ovf.q.val() + 1) & self.k_cmask.val();
                self.inframe.d.next = false;
            }
            if self.fifo_data.val().get_bit(33) {
                self.c_lost.d.next = (self.c_lost.q.val() + 1) & self.k_cmask.val();
                self.inframe.d.next = false;
            } else {
                self.ud.d.next = self.fifo_data.val().get_bits::<32>(0);
                self.ub.d.next = self.k_lanes.val();
                for q in 0..self._nz {
                    self.ubnz[q].d.next = true;
                }
                if self.fifo_data.val().get_bit(32) {
                    self.inframe.d.next = true;
                    self.pb.d.next = 254.into();
                    self.crc.d.next = self.k_crc_init.val();
                }
            }
        }
        self.valid.next = self.vld.q.val();
        // With `valid` (the cycle after byte 131): `wslot` has just moved on, and
        // `seqr`/`kind` still hold this frame's header: the next frame's byte 0 is
        // handled two cycles later at the earliest (`fifo_re` needs `ub == 0`, then the
        // byte takes a cycle), its byte 1 later still.
        self.slot.next = self.wslot.q.val() - 1;
        self.seq.next = self.seqr.q.val();
        self.tag.next = self.kind.q.val() & 0x7F;
        self.frames.next = self.c_frames.q.val();
        self.crc_errors.next = self.c_crc.q.val();
        self.align_lost.next = self.c_lost.q.val();
        self.overflows.next = self.c_ovf.q.val();
        self.missing.next = self.c_missing.q.val();
    }
}
