//! The chip-to-chip link (Step 3): the golden model of its wire format and of its
//! receiver, bit for bit (`docs/link.md`).
//!
//! - [`crc`]: CRC-16/IBM-3740 (poly 0x1021, init 0xFFFF), byte at a time;
//! - [`frame`]: the 132-byte frame (2-byte header, 128-byte payload, CRC);
//! - [`tx`]: superframes, lane striping and the exact bit stream on every lane;
//! - [`rx`]: the receiver: per-lane alignment, lane deskew, lock/loss, deframing, CRC
//!   check and counters, the same state machines as the RTL (`hdl/src/link_*.rs`).
//!
//! The wire carries *superframes*: two ALIGN columns (the 16-bit [`ALIGN_PATTERN`] on
//! every lane) followed by `frames_per_superframe` fixed-size frame slots. A column is
//! one byte per lane, sent MSB first, one bit per lane per TX clock. Frame byte `i` goes
//! to lane `i % lanes`, column `i / lanes` of its slot.

pub mod budget;
pub mod crc;
pub mod frame;
pub mod rx;
pub mod tx;

#[cfg(test)]
mod tests;

/// Payload bytes per frame.
pub const PAYLOAD_BYTES: usize = 128;
/// Header bytes per frame: kind/tag, sequence number.
pub const HEADER_BYTES: usize = 2;
/// CRC bytes per frame.
pub const CRC_BYTES: usize = 2;
/// Bytes per frame on the wire (divisible by 1, 2, 3 and 4 lanes).
pub const FRAME_BYTES: usize = HEADER_BYTES + PAYLOAD_BYTES + CRC_BYTES;
/// ALIGN columns at the start of every superframe.
pub const ALIGN_COLUMNS: usize = 2;
/// The alignment word sent on every lane (MSB first): SONET's A1 A2 framing bytes.
pub const ALIGN_PATTERN: u16 = 0xF628;
/// Most serial data lanes.
pub const MAX_LANES: usize = 4;
/// Largest lane-to-lane skew (bits) the receiver removes.
pub const MAX_SKEW_BITS: u32 = 31;
/// Consecutive bad ALIGN words (more than one wrong bit on some lane) that drop lock.
pub const LOSS_THRESHOLD: u32 = 2;
/// Frame slots of the receive buffer (a delivered frame stays readable this many
/// frames minus one).
pub const RX_SLOTS: usize = 4;
/// Frame slots of the transmit buffer (used in turn).
pub const TX_SLOTS: usize = 4;
/// TX cycles before stream bit 0 is on the lanes (the first column is prefetched).
pub const TX_START_CYCLES: u64 = 8;
/// Header byte 0 bit 7: the frame carries data (else it is an idle frame).
pub const KIND_DATA: u8 = 0x80;
/// Widest buffer word (bytes) the RTL is built for.
pub const MAX_WORD_BYTES: usize = 16;

/// What is wrong with a [`LinkConfig`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkConfigError {
    /// A parameter is out of its range.
    #[error("link config: `{name}` = {value} is not in {range}")]
    Range {
        /// Parameter name.
        name: &'static str,
        /// The bad value.
        value: usize,
        /// What it must be.
        range: &'static str,
    },
}

/// Parameters of one link (TX and RX must agree on all of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkConfig {
    /// Serial data lanes, 1..=4 (a PMOD: up to 4 data pins plus the forwarded clock).
    pub lanes: usize,
    /// Frame slots per superframe (after the two ALIGN columns), 1..=64.
    pub frames_per_superframe: usize,
    /// Bytes per word of the TX and RX frame buffers: 1, 2, 4, 8 or 16 (a tile uses
    /// its vector width).
    pub word_bytes: usize,
    /// Superframes after power-up that carry only idle frames (link training), 0..=100.
    pub training_superframes: usize,
    /// Width of the frame and error counters (16..=32 bits): they count modulo
    /// `2^counter_bits` (16 bits saves logic on the smallest FPGAs, `docs/link.md`).
    pub counter_bits: usize,
}

impl LinkConfig {
    /// The default link on `lanes` lanes: 8 frames per superframe, 4-byte words, 4
    /// training superframes.
    pub fn new(lanes: usize) -> Self {
        Self {
            lanes,
            frames_per_superframe: 8,
            word_bytes: 4,
            training_superframes: 4,
            counter_bits: 32,
        }
    }

    /// Check every parameter's range.
    pub fn validate(&self) -> Result<(), LinkConfigError> {
        let range = |name, value, ok: bool, range| {
            if ok {
                Ok(())
            } else {
                Err(LinkConfigError::Range { name, value, range })
            }
        };
        range(
            "lanes",
            self.lanes,
            (1..=MAX_LANES).contains(&self.lanes),
            "1..=4",
        )?;
        range(
            "frames_per_superframe",
            self.frames_per_superframe,
            (1..=64).contains(&self.frames_per_superframe),
            "1..=64",
        )?;
        range(
            "word_bytes",
            self.word_bytes,
            self.word_bytes.is_power_of_two() && self.word_bytes <= MAX_WORD_BYTES,
            "{1, 2, 4, 8, 16}",
        )?;
        range(
            "training_superframes",
            self.training_superframes,
            self.training_superframes <= 100,
            "0..=100",
        )?;
        range(
            "counter_bits",
            self.counter_bits,
            (16..=32).contains(&self.counter_bits),
            "16..=32",
        )
    }

    /// The counters' modulus minus one: `2^counter_bits - 1`.
    pub fn counter_mask(&self) -> u32 {
        (u64::MAX >> (64 - self.counter_bits.clamp(1, 32))) as u32
    }

    /// Columns (bit times / 8) of one frame: `132 / lanes`.
    pub fn frame_columns(&self) -> usize {
        FRAME_BYTES / self.lanes
    }

    /// Columns of one superframe: `2 + frames_per_superframe * frame_columns`.
    pub fn superframe_columns(&self) -> usize {
        ALIGN_COLUMNS + self.frames_per_superframe * self.frame_columns()
    }

    /// Bit times (TX clocks) of one superframe.
    pub fn superframe_bits(&self) -> u64 {
        8 * self.superframe_columns() as u64
    }

    /// Payload bits over wire bits with every slot full:
    /// `128 N / (lanes * (2 + N * 132 / lanes))` = `128 N / (2 lanes + 132 N)`.
    pub fn efficiency(&self) -> f64 {
        let n = self.frames_per_superframe;
        (n * PAYLOAD_BYTES) as f64 / (self.lanes * self.superframe_columns()) as f64
    }

    /// Words of one frame's payload in the frame buffers.
    pub fn words_per_frame(&self) -> usize {
        PAYLOAD_BYTES / self.word_bytes
    }

    /// Stream column at which frame slot `slot` (counted from power-up, training
    /// included) begins.
    pub fn slot_first_column(&self, slot: u64) -> u64 {
        let n = self.frames_per_superframe as u64;
        (slot / n) * self.superframe_columns() as u64
            + ALIGN_COLUMNS as u64
            + (slot % n) * self.frame_columns() as u64
    }

    /// TX cycle in which the first bit of slot `slot` is on the lanes.
    pub fn slot_start_cycle(&self, slot: u64) -> u64 {
        TX_START_CYCLES + 8 * self.slot_first_column(slot)
    }

    /// TX cycle in which the transmitter decides whether slot `slot` carries data (a
    /// frame posted in an earlier cycle goes into it).
    pub fn decision_cycle(&self, slot: u64) -> u64 {
        8 * self.slot_first_column(slot)
    }

    /// Whether slot `slot` may carry data (it is past the training superframes).
    pub fn slot_allows_data(&self, slot: u64) -> bool {
        slot / self.frames_per_superframe as u64 >= self.training_superframes as u64
    }
}
