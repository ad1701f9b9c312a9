//! `HostPort`: the tile's host bus: 32-bit registers to start a program, read status and
//! the cycle counter, and move words between the host and the tile's memories through a
//! staging buffer. The CLI and tests drive it in Verilator; Step 4 puts a UART bridge in
//! front of the same bus.
//!
//! ```text
//!   bus_we, bus_re, bus_addr, bus_wdata --> registers / buffer --> bus_rdata (next cycle)
//!                                       --> start, flush
//!   link_status, link counters ---------> registers
//!                                       --> st/ld strobes, space, mbank, mword, sbytes --> memories
//!   ld_data (memory word, one cycle after `ld`) --> ldq (register) --> buffer
//! ```
//! **Register map** (32-bit word addresses):
//!
//! | addr | name | access | meaning |
//! |---|---|---|---|
//! | 0x000 | CTRL | W | bit 0: start the program at pc 0 (ignored while busy) |
//! | 0x001 | STATUS | R | bit 0 busy (running, or a unit active in the previous clock), bit 1 running, bits 4..2 status code, bits 31..16 pc of the error / halt (while running: of the latest instruction up) |
//! | 0x002 | CYCLES | R | cycles of the current / last run |
//! | 0x003 | INFO | R | lanes, cols (bits 15..8), banks (20..16), array feed stages (22..21), vector operand stage (bit 23), requant lanes (28..24), log2 requant steps (31..29) |
//! | 0x004 | SEL | R/W | target: bits 31..30 space (0 bank, 1 instruction memory, 2 accumulator), bits 28..24 bank (accumulator: the piece of the row), bits 15..0 word / row |
//! | 0x005 | CMD | W | 1: store the buffer into the target; 2: load the target into the buffer (ready `3 + b` cycles later, `b` = bank read stages); 3: LINK_FLUSH, empty the link receive queue and clear the link fault |
//! | 0x006 | TIME | R | free-running cycle counter (counts every clock since power-up, wraps) |
//! | 0x007 | INFO2 | R | bits 1..0 bank read stages, bit 2 the accumulator read stage, bit 3 the fetch stage (`TileConfig::info2_word`); reads 0 on a tile without them |
//! | 0x008 | LINK_STATUS | R | bit 0 link locked, bit 1 link fault, bits 4..2 frames in the receive queue, bits 15..8 next expected sequence number |
//! | 0x009 | TX_FRAMES | R | link data frames sent |
//! | 0x00A | RX_FRAMES | R | link data frames delivered |
//! | 0x00B | CRC_ERRORS | R | link frames dropped for a bad CRC |
//! | 0x00C | ALIGN_LOST | R | link losses of lock |
//! | 0x00D | OVERFLOWS | R | link clock-crossing FIFO overflows |
//! | 0x00E | MISSING | R | link data frames missing between delivered ones |
//! | 0x100 + k | `BUF[k]` | R/W | bytes `4k .. 4k+4` of the staging buffer, little-endian |
//!
//! A bank word is `lanes` bytes; an instruction is 8 bytes; the buffer holds the larger
//! of the two. An accumulator row (`cols` int32, little-endian) is loaded in pieces of
//! `n = min(buffer bytes / 4, cols)` columns: piece `p` (SEL's bank field) is columns
//! `p*n .. p*n+n` (`minilpu_model::config::host_acc_columns_per_load`); a piece past the
//! row loads zeros. Stores into the accumulator space do nothing. Commands (CMD) are only allowed while the tile is not busy
//! (they are ignored otherwise).
//! - **Latency**: register reads answer on `bus_rdata` one cycle after `bus_re`, and
//!   the answer stays there until the next `bus_re`. A load (CMD 2) holds the word in
//!   the buffer `3 + b` cycles after CMD: the word goes through a register (`ldq`) on
//!   its way, so that no memory's clock-to-out is in the cycle that writes the buffer.
//! - **Reset**: none; powers up idle with an empty buffer.

use crate::byte_gather::ByteGather;
use crate::{Delay, ReadTail};
use rust_hdl::prelude::*;

/// The host bus port.
#[derive(LogicBlock)]
pub struct HostPort {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Write `bus_wdata` to register `bus_addr`.
    pub bus_we: Signal<In, Bit>,
    /// Read register `bus_addr` (answer next cycle).
    pub bus_re: Signal<In, Bit>,
    /// Register address (32-bit words).
    pub bus_addr: Signal<In, Bits<16>>,
    /// Write data.
    pub bus_wdata: Signal<In, Bits<32>>,
    /// Read data of the previous cycle's `bus_re`, held until the next `bus_re` (the
    /// UART bridge sends a read word's bytes straight from it).
    pub bus_rdata: Signal<Out, Bits<32>>,
    /// Tile busy (from the sequencer).
    pub busy: Signal<In, Bit>,
    /// Program issuing.
    pub running: Signal<In, Bit>,
    /// Status code.
    pub err: Signal<In, Bits<3>>,
    /// pc of the error / halt.
    pub err_pc: Signal<In, Bits<16>>,
    /// Cycle counter.
    pub cycles: Signal<In, Bits<32>>,
    /// The LINK_STATUS word.
    pub link_status: Signal<In, Bits<32>>,
    /// Link data frames sent (TX_FRAMES).
    pub lk_tx_frames: Signal<In, Bits<32>>,
    /// Link data frames delivered (RX_FRAMES).
    pub lk_rx_frames: Signal<In, Bits<32>>,
    /// Link frames dropped for a bad CRC (CRC_ERRORS).
    pub lk_crc_errors: Signal<In, Bits<32>>,
    /// Link losses of lock (ALIGN_LOST).
    pub lk_align_lost: Signal<In, Bits<32>>,
    /// Link FIFO overflows (OVERFLOWS).
    pub lk_overflows: Signal<In, Bits<32>>,
    /// Link frames missing (MISSING).
    pub lk_missing: Signal<In, Bits<32>>,
    /// LINK_FLUSH pulse to the receive queue.
    pub flush: Signal<Out, Bit>,
    /// Start pulse to the sequencer.
    pub start: Signal<Out, Bit>,
    /// Store the buffer into the target this cycle.
    pub st: Signal<Out, Bit>,
    /// Read the target this cycle (its data is latched next cycle from `ld_data`).
    pub ld: Signal<Out, Bit>,
    /// Target space: 0 bank, 1 instruction memory, 2 accumulator.
    pub space: Signal<Out, Bits<2>>,
    /// Target bank.
    pub mbank: Signal<Out, Bits<8>>,
    /// Target word / row.
    pub mword: Signal<Out, Bits<16>>,
    /// The staging buffer's bytes.
    pub sbytes: Vec<Signal<Out, Bits<8>>>,
    /// The loaded word as bytes, valid the cycle after `ld` (after its last cycle, with
    /// a bank read stage).
    pub ld_data: Vec<Signal<In, Bits<8>>>,
    buf: Vec<DFF<Bits<8>>>,
    sel: DFF<Bits<32>>,
    st_r: DFF<Bit>,
    ld_r: DFF<Bit>,
    ld_d: DFF<Bit>,
    // The loaded word, registered, and its write into the buffer a cycle after `ld_d`.
    ldq: Vec<DFF<Bits<8>>>,
    ld_e: DFF<Bit>,
    // With `b` bank read stages (one entry each when `b` > 0): `ld` is held `b` more
    // cycles (`ld_hold`) and the buffer takes the word `b` cycles later (`ld_p`), when a
    // bank's data arrives; the instruction memory and the accumulator keep their
    // address meanwhile.
    ld_hold: Vec<ReadTail>,
    ld_p: Vec<Delay<1>>,
    flush_r: DFF<Bit>,
    rdata: DFF<Bits<32>>,
    uptime: DFF<Bits<32>>,
    gather: ByteGather,
    reg_hit: Signal<Local, Bit>,
    buf_hit: Signal<Local, Bit>,
    rreg: Signal<Local, Bits<32>>,
    info: Constant<Bits<32>>,
    // INFO2, only on a tile with the features it reports (`_i2` entries).
    info2: Vec<Constant<Bits<32>>>,
    link_status_mask: Constant<Bits<32>>,
    buf_hi: Constant<Bits<8>>,
    _bytes: usize,
    _words: usize,
    _b: usize,
    _i2: usize,
}

impl HostPort {
    /// A port with a staging buffer of `bytes` bytes (a multiple of 4), the
    /// configuration words `info` and `info2`, for a tile with `b` bank read stages
    /// (0 to 3).
    pub fn new(bytes: usize, info: u32, info2: u32, b: usize) -> Self {
        assert!(b <= 3, "bank read stages {b}");
        let ba = b.min(1);
        // INFO2 exists on a tile with any feature it reports.
        let i2 = (info2 != 0) as usize;
        Self {
            clock: Default::default(),
            bus_we: Default::default(),
            bus_re: Default::default(),
            bus_addr: Default::default(),
            bus_wdata: Default::default(),
            bus_rdata: Default::default(),
            busy: Default::default(),
            running: Default::default(),
            err: Default::default(),
            err_pc: Default::default(),
            cycles: Default::default(),
            link_status: Default::default(),
            lk_tx_frames: Default::default(),
            lk_rx_frames: Default::default(),
            lk_crc_errors: Default::default(),
            lk_align_lost: Default::default(),
            lk_overflows: Default::default(),
            lk_missing: Default::default(),
            flush: Default::default(),
            start: Default::default(),
            st: Default::default(),
            ld: Default::default(),
            space: Default::default(),
            mbank: Default::default(),
            mword: Default::default(),
            sbytes: crate::vec_of(bytes),
            ld_data: crate::vec_of(bytes),
            buf: crate::vec_of(bytes),
            sel: Default::default(),
            st_r: Default::default(),
            ld_r: Default::default(),
            ld_d: Default::default(),
            ldq: crate::vec_of(bytes),
            ld_e: Default::default(),
            ld_hold: crate::read_tail::read_tails(b),
            ld_p: crate::delays(b),
            flush_r: Default::default(),
            rdata: Default::default(),
            uptime: Default::default(),
            gather: ByteGather::new(bytes),
            reg_hit: Default::default(),
            buf_hit: Default::default(),
            rreg: Default::default(),
            info: Constant::new((info as u64).to_bits()),
            info2: (0..i2)
                .map(|_| Constant::new((info2 as u64).to_bits()))
                .collect(),
            // The LINK_STATUS bits the register map defines (0..=4, 8..=15); the others
            // read 0.
            link_status_mask: Constant::new(0xFF1Fu64.to_bits()),
            // Address bits 7..0 above the buffer's word index (`k < words` rounded up to a
            // power of two; the gather reads 0 and writes match no word above `words`).
            buf_hi: Constant::new((0xFF & !((bytes / 4).next_power_of_two() as u64 - 1)).to_bits()),
            _bytes: bytes,
            _words: bytes / 4,
            _b: ba,
            _i2: i2,
        }
    }
}

impl Logic for HostPort {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sel, st_r, ld_r, ld_d, ld_e, flush_r, rdata, uptime);
        self.ld_e.d.next = self.ld_d.q.val();
        self.uptime.d.next = self.uptime.q.val() + 1;
        // Address decode: registers 0x000..=0x00F, BUF[k] at 0x100 + k (k < words).
        self.reg_hit.next = self.bus_addr.val().get_bits::<12>(4) == 0;
        self.buf_hit.next = (self.bus_addr.val().get_bits::<8>(8) == 1)
            & ((self.bus_addr.val().get_bits::<8>(0) & self.buf_hi.val()) == 0);
        self.start.next = self.bus_we.val()
            & self.reg_hit.val()
            & (self.bus_addr.val().get_bits::<4>(0) == 0)
            & self.bus_wdata.val().get_bit(0)
            & !self.busy.val();
        if self.bus_we.val() & self.reg_hit.val() & (self.bus_addr.val().get_bits::<4>(0) == 4) {
            self.sel.d.next = self.bus_wdata.val();
        }
        self.st_r.d.next = self.bus_we.val()
            & self.reg_hit.val()
            & (self.bus_addr.val().get_bits::<4>(0) == 5)
            & (self.bus_wdata.val() == 1)
            & !self.busy.val();
        self.ld_r.d.next = self.bus_we.val()
            & self.reg_hit.val()
            & (self.bus_addr.val().get_bits::<4>(0) == 5)
            & (self.bus_wdata.val() == 2)
            & !self.busy.val();
        self.flush_r.d.next = self.bus_we.val()
            & self.reg_hit.val()
            & (self.bus_addr.val().get_bits::<4>(0) == 5)
            & (self.bus_wdata.val() == 3)
            & !self.busy.val();
        self.flush.next = self.flush_r.q.val();
        self.ld_d.d.next = self.ld_r.q.val();
        self.st.next = self.st_r.q.val();
        self.ld.next = self.ld_r.q.val();
        for k in 0..self._b {
            self.ld_hold[k].clock.next = self.clock.val();
            self.ld_p[k].clock.next = self.clock.val();
            self.ld_hold[k].read.next = self.ld_r.q.val();
            self.ld_p[k].d.next = self.ld_r.q.val().into();
            self.ld_d.d.next = self.ld_p[k].q.val().any();
            self.ld.next = self.ld_r.q.val() | self.ld_hold[k].busy.val();
        }
        self.space.next = self.sel.q.val().get_bits::<2>(30);
        self.mbank.next = bit_cast::<8, 5>(self.sel.q.val().get_bits::<5>(24));
        self.mword.next = self.sel.q.val().get_bits::<16>(0);
        // Staging buffer: bus writes of BUF[k], or a loaded word.
        self.gather.k.next = bit_cast::<16, 8>(self.bus_addr.val().get_bits::<8>(0));
        for k4 in 0..self._bytes {
            self.buf[k4].clock.next = self.clock.val();
            self.buf[k4].d.next = self.buf[k4].q.val();
            self.sbytes[k4].next = self.buf[k4].q.val();
            self.gather.bytes[k4].next = self.buf[k4].q.val();
            self.ldq[k4].clock.next = self.clock.val();
            self.ldq[k4].d.next = self.ld_data[k4].val();
            if self.ld_e.q.val() {
                self.buf[k4].d.next = self.ldq[k4].q.val();
            }
        }
        for k in 0..self._words {
            if self.bus_we.val()
                & self.buf_hit.val()
                & (self.bus_addr.val().get_bits::<8>(0).index() == k)
            {
                for j in 0..4 {
                    self.buf[4 * k + j].d.next = self.bus_wdata.val().get_bits::<8>(8 * j);
                }
            }
        }
        // Register reads, answered next cycle (held until the next read). One `case` on
        // the address's low 4 bits (a parallel 16:1 multiplexer, not a priority chain),
        // then the register page, the buffer page or 0.
        self.rreg.next = 0.into();
        match self.bus_addr.val().get_bits::<4>(0).index() {
            1 => {
                self.rreg.next = (bit_cast::<32, 16>(self.err_pc.val()) << 16)
                    | (bit_cast::<32, 3>(self.err.val()) << 2)
                    | (bit_cast::<32, 1>(self.running.val().into()) << 1)
                    | bit_cast::<32, 1>(self.busy.val().into());
            }
            2 => {
                self.rreg.next = self.cycles.val();
            }
            3 => {
                self.rreg.next = self.info.val();
            }
            4 => {
                self.rreg.next = self.sel.q.val();
            }
            6 => {
                self.rreg.next = self.uptime.q.val();
            }
            8 => {
                self.rreg.next = self.link_status.val() & self.link_status_mask.val();
            }
            9 => {
                self.rreg.next = self.lk_tx_frames.val();
            }
            10 => {
                self.rreg.next = self.lk_rx_frames.val();
            }
            11 => {
                self.rreg.next = self.lk_crc_errors.val();
            }
            12 => {
                self.rreg.next = self.lk_align_lost.val();
            }
            13 => {
                self.rreg.next = self.lk_overflows.val();
            }
            14 => {
                self.rreg.next = self.lk_missing.val();
            }
            _ => {}
        }
        // INFO2 (0x007) exists only on a tile with the features it reports; elsewhere it
        // reads 0, which is what `info2_word` gives for such a tile.
        for k in 0..self._i2 {
            if self.bus_addr.val().get_bits::<4>(0) == 7 {
                self.rreg.next = self.info2[k].val();
            }
        }
        if self.bus_re.val() {
            self.rdata.d.next = 0.into();
            if self.reg_hit.val() {
                self.rdata.d.next = self.rreg.val();
            }
            if self.buf_hit.val() {
                self.rdata.d.next = self.gather.word.val();
            }
        }
        self.bus_rdata.next = self.rdata.q.val();
    }
}
