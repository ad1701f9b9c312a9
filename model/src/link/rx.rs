//! The receiver, as the RTL does it (`hdl/src/link_align.rs`, `hdl/src/link_rx_frame.rs`).
//!
//! Two parts, joined in the RTL by the clock-crossing FIFO:
//!
//! - [`Aligner`] (forwarded-clock domain, one call per forwarded-clock edge): keeps
//!   32 bits of history per lane, hunts for [`ALIGN_PATTERN`] on every lane, turns the
//!   arrival times into per-lane delays (word alignment and lane deskew in one), checks
//!   the ALIGN word of every superframe and drops lock after [`LOSS_THRESHOLD`](super::LOSS_THRESHOLD) bad
//!   ones. While locked it writes every frame column into the FIFO ([`Entry`]); a loss
//!   of lock writes an [`Entry::AlignLost`].
//! - [`Framer`] (receiver clock domain, one call per FIFO entry): reassembles frames
//!   byte by byte, checks the CRC, delivers good data frames ([`Delivered`]) and keeps
//!   the [`RxCounters`].
//!
//! ## The aligner, exactly
//!
//! State after edge `t`; every rule below reads that state and sets the state after
//! edge `t + 1`; the lane bits sampled at edge `t + 1` only enter the history.
//!
//! - History `h[l]` (32 bits, newest in bit 0); aligned history
//!   `ah[l] = ah[l] << 1 | h[l] >> d[l] & 1` (16 bits).
//! - **HUNT**: `m[l] = h[l] & 0xFFFF == ALIGN_PATTERN`. With `w = act ? win + 1 : 0`,
//!   a lane not yet found that matches is found at position `w`. When every lane is
//!   found, `d[l] = w - pos[l]`, the state becomes ARM with the column counter at the
//!   end of ALIGN column 1. Otherwise, if the window is open and `w == 31`, it is
//!   closed and every lane forgotten; else `act` = some lane found, `win = w`.
//! - **ARM / CHECK / LOCKED**: a 3-bit bit counter; at its value 7 column `col` is
//!   complete (`col` wraps at `superframe_columns`). At column 1 (the ALIGN word in
//!   `ah`): ARM goes to CHECK; CHECK goes to LOCKED if every lane's ALIGN word is exact,
//!   else back to HUNT; LOCKED counts a bad word (more than one wrong bit on some
//!   lane) and goes to HUNT, writing `AlignLost`, at the second bad word in a row. At
//!   columns >= 2, LOCKED writes the column (`ah[l] & 0xFF`), marking a frame's first.

use super::crc::{crc16_update, CRC16_INIT};
use super::{
    LinkConfig, ALIGN_PATTERN, FRAME_BYTES, KIND_DATA, MAX_LANES, MAX_SKEW_BITS, PAYLOAD_BYTES,
    RX_SLOTS,
};

/// One entry of the clock-crossing FIFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A frame column: byte of lane `l` in `bytes[l]`; `sof` on a frame's first column.
    Column {
        /// Lane bytes (lanes past `lanes` are 0).
        bytes: [u8; MAX_LANES],
        /// First column of a frame.
        sof: bool,
    },
    /// The aligner lost lock.
    AlignLost,
}

/// The aligner's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlignState {
    /// Searching every lane for the ALIGN word.
    Hunt,
    /// Delays set; waiting for the end of the ALIGN word just found.
    Arm,
    /// Waiting for the next superframe's ALIGN word to confirm.
    Check,
    /// Frames flow.
    Locked,
}

/// The per-lane alignment, deskew and lock state machine (forwarded-clock domain).
#[derive(Clone, Debug)]
pub struct Aligner {
    lanes: usize,
    last_col: usize,
    frame_cols: usize,
    h: [u32; MAX_LANES],
    ah: [u16; MAX_LANES],
    d: [u32; MAX_LANES],
    pos: [u32; MAX_LANES],
    found: [bool; MAX_LANES],
    act: bool,
    win: u32,
    st: AlignState,
    bitc: u32,
    col: usize,
    fcol: usize,
    bad: bool,
}

impl Aligner {
    /// The aligner at power-up (all registers zero: hunting).
    pub fn new(cfg: &LinkConfig) -> Self {
        cfg.validate().expect("valid link config");
        Self {
            lanes: cfg.lanes,
            last_col: cfg.superframe_columns() - 1,
            frame_cols: cfg.frame_columns(),
            h: [0; MAX_LANES],
            ah: [0; MAX_LANES],
            d: [0; MAX_LANES],
            pos: [0; MAX_LANES],
            found: [false; MAX_LANES],
            act: false,
            win: 0,
            st: AlignState::Hunt,
            bitc: 0,
            col: 0,
            fcol: 0,
            bad: false,
        }
    }

    /// Current state.
    pub fn state(&self) -> AlignState {
        self.st
    }

    /// Per-lane delays (bits) chosen at the last lock.
    pub fn delays(&self) -> [u32; MAX_LANES] {
        self.d
    }

    /// One forwarded-clock edge that samples `lanes_in` (bit `l` = lane `l`); returns
    /// the FIFO entry written at this edge.
    #[allow(clippy::needless_range_loop)] // lanes index several parallel arrays
    pub fn step(&mut self, lanes_in: u8) -> Option<Entry> {
        let l = self.lanes;
        let pat = ALIGN_PATTERN;
        let x: Vec<u16> = (0..l).map(|i| self.ah[i] ^ pat).collect();
        let ok0 = x.iter().all(|&v| v == 0);
        let ok1 = x.iter().all(|&v| v & v.wrapping_sub(1) == 0);
        let done = self.bitc == 7;
        let locked = self.st == AlignState::Locked;
        let mut out = None;
        if locked && done && self.col >= 2 {
            let mut bytes = [0u8; MAX_LANES];
            for (i, b) in bytes.iter_mut().enumerate().take(l) {
                *b = self.ah[i] as u8;
            }
            out = Some(Entry::Column {
                bytes,
                sof: self.fcol == 0,
            });
        }
        if locked && done && self.col == 1 && !ok1 && self.bad {
            out = Some(Entry::AlignLost);
        }
        // Registers.
        let mut ah = self.ah;
        for i in 0..l {
            ah[i] = (self.ah[i] << 1) | ((self.h[i] >> self.d[i]) & 1) as u16;
        }
        let mut h = self.h;
        for (i, hv) in h.iter_mut().enumerate().take(l) {
            *hv = (self.h[i] << 1) | ((lanes_in >> i) & 1) as u32;
        }
        match self.st {
            AlignState::Hunt => self.hunt(),
            _ => self.track(done, ok0, ok1),
        }
        self.h = h;
        self.ah = ah;
        out
    }

    #[allow(clippy::needless_range_loop)] // lanes index several parallel arrays
    fn hunt(&mut self) {
        let l = self.lanes;
        let w = if self.act { self.win + 1 } else { 0 };
        let (mut f, mut p) = ([false; MAX_LANES], [0u32; MAX_LANES]);
        for i in 0..l {
            let m = (self.h[i] & 0xFFFF) as u16 == ALIGN_PATTERN;
            f[i] = self.found[i] | m;
            p[i] = if self.found[i] { self.pos[i] } else { w };
        }
        if f[..l].iter().all(|&v| v) {
            for i in 0..l {
                self.d[i] = w - p[i];
                debug_assert!(self.d[i] <= MAX_SKEW_BITS);
            }
            self.st = AlignState::Arm;
            self.bitc = 7;
            self.col = 1;
            self.found = [false; MAX_LANES];
            self.act = false;
            self.win = 0;
        } else if self.act && w == MAX_SKEW_BITS {
            self.found = [false; MAX_LANES];
            self.act = false;
            self.win = 0;
        } else {
            self.found = f;
            self.pos = p;
            self.act = f[..l].iter().any(|&v| v);
            self.win = w;
        }
    }

    fn track(&mut self, done: bool, ok0: bool, ok1: bool) {
        self.bitc = (self.bitc + 1) & 7;
        if !done {
            return;
        }
        let col = self.col;
        self.col = if col == self.last_col { 0 } else { col + 1 };
        if col == 1 {
            self.fcol = 0;
            match self.st {
                AlignState::Arm => self.st = AlignState::Check,
                AlignState::Check => {
                    self.st = if ok0 {
                        AlignState::Locked
                    } else {
                        AlignState::Hunt
                    };
                    self.bad = false;
                }
                AlignState::Locked => {
                    if ok1 {
                        self.bad = false;
                    } else if self.bad {
                        self.st = AlignState::Hunt;
                        self.bad = false;
                    } else {
                        self.bad = true;
                    }
                }
                AlignState::Hunt => unreachable!(),
            }
        } else if col >= 2 {
            self.fcol = if self.fcol + 1 == self.frame_cols {
                0
            } else {
                self.fcol + 1
            };
        }
    }
}

/// The receiver's counters (all wrap at `2^counter_bits`, [`LinkConfig::counter_bits`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxCounters {
    /// Data frames delivered.
    pub frames: u32,
    /// Frames (data or idle) whose CRC failed: dropped.
    pub crc_errors: u32,
    /// Times the aligner lost lock.
    pub align_lost: u32,
    /// Times the clock-crossing FIFO was full when a column arrived (never in the
    /// model: the RX clock is assumed fast enough, `docs/link.md`).
    pub overflows: u32,
    /// Data frames missing between delivered ones (sum of sequence-number gaps, each
    /// mod 256).
    pub missing: u32,
}

/// A good data frame handed to the receiver's user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// Sequence number.
    pub seq: u8,
    /// The sender's tag.
    pub tag: u8,
    /// Receive-buffer slot the payload sits in.
    pub slot: u8,
    /// The payload.
    pub payload: [u8; PAYLOAD_BYTES],
}

/// Frame reassembly, CRC check and counters (receiver clock domain).
#[derive(Clone, Debug)]
pub struct Framer {
    lanes: usize,
    inframe: bool,
    fb: usize,
    crc: u16,
    kind: u8,
    seq: u8,
    payload: [u8; PAYLOAD_BYTES],
    wslot: u8,
    exp: u8,
    cmask: u32,
    /// Counters so far.
    pub counters: RxCounters,
}

impl Framer {
    /// The framer at power-up.
    pub fn new(cfg: &LinkConfig) -> Self {
        Self {
            lanes: cfg.lanes,
            inframe: false,
            fb: 0,
            crc: 0,
            kind: 0,
            seq: 0,
            payload: [0; PAYLOAD_BYTES],
            wslot: 0,
            exp: 0,
            cmask: cfg.counter_mask(),
            counters: RxCounters::default(),
        }
    }

    /// Take one FIFO entry; returns the frame it completes, if that frame is a good
    /// data frame.
    pub fn push(&mut self, e: &Entry) -> Option<Delivered> {
        match *e {
            Entry::AlignLost => {
                self.counters.align_lost = self.counters.align_lost.wrapping_add(1) & self.cmask;
                self.inframe = false;
                None
            }
            Entry::Column { bytes, sof } => {
                if sof {
                    self.inframe = true;
                    self.fb = 0;
                }
                let mut out = None;
                for &b in &bytes[..self.lanes] {
                    if self.inframe {
                        if let Some(d) = self.byte(b) {
                            out = Some(d);
                        }
                    }
                }
                out
            }
        }
    }

    fn byte(&mut self, b: u8) -> Option<Delivered> {
        let cin = if self.fb == 0 { CRC16_INIT } else { self.crc };
        self.crc = crc16_update(cin, b);
        match self.fb {
            0 => self.kind = b,
            1 => self.seq = b,
            i if i < 2 + PAYLOAD_BYTES => self.payload[i - 2] = b,
            _ => {}
        }
        let mut out = None;
        if self.fb == FRAME_BYTES - 1 {
            self.inframe = false;
            if self.crc != 0 {
                self.counters.crc_errors = self.counters.crc_errors.wrapping_add(1) & self.cmask;
            } else if self.kind & KIND_DATA != 0 {
                out = Some(Delivered {
                    seq: self.seq,
                    tag: self.kind & 0x7F,
                    slot: self.wslot,
                    payload: self.payload,
                });
                self.wslot = (self.wslot + 1) % RX_SLOTS as u8;
                let c = &mut self.counters;
                c.frames = c.frames.wrapping_add(1) & self.cmask;
                c.missing = c
                    .missing
                    .wrapping_add(self.seq.wrapping_sub(self.exp) as u32)
                    & self.cmask;
                self.exp = self.seq.wrapping_add(1);
            }
        }
        self.fb += 1;
        out
    }
}

/// The whole receiver: aligner and framer, with the FIFO between them assumed never
/// full.
#[derive(Clone, Debug)]
pub struct Receiver {
    /// Forwarded-clock part.
    pub aligner: Aligner,
    /// Receiver-clock part.
    pub framer: Framer,
    edges: u64,
}

/// A delivery and the forwarded-clock edge at which its last column entered the FIFO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timed {
    /// Forwarded-clock edge (1-based) that wrote the frame's last column.
    pub edge: u64,
    /// The frame.
    pub frame: Delivered,
}

impl Receiver {
    /// The receiver at power-up.
    pub fn new(cfg: &LinkConfig) -> Self {
        Self {
            aligner: Aligner::new(cfg),
            framer: Framer::new(cfg),
            edges: 0,
        }
    }

    /// One forwarded-clock edge sampling `lanes_in`.
    pub fn step(&mut self, lanes_in: u8) -> Option<Timed> {
        self.edges += 1;
        let e = self.aligner.step(lanes_in)?;
        self.framer.push(&e).map(|frame| Timed {
            edge: self.edges,
            frame,
        })
    }

    /// Run over the lane inputs of successive edges.
    pub fn run(&mut self, inputs: &[u8]) -> Vec<Timed> {
        inputs.iter().filter_map(|&b| self.step(b)).collect()
    }
}
