//! The transmitter's output, bit for bit: superframes of two ALIGN columns and
//! `frames_per_superframe` frame slots, striped over the lanes.
//!
//! Stream bit `n` (bit `7 - n % 8` of column `n / 8`) is on every lane during TX cycle
//! `TX_START_CYCLES + n`. Column `k` of superframe `s` is stream column
//! `s * superframe_columns + k`. Columns 0 and 1 carry the two bytes of
//! [`ALIGN_PATTERN`] on every lane; frame byte `i` of a slot is
//! on lane `i % lanes` in the slot's column `i / lanes`. The sequence number of a frame
//! is the number of data frames before it (mod 256), also in idle frames.

use super::frame::{encode, Frame};
use super::{LinkConfig, ALIGN_PATTERN, FRAME_BYTES, MAX_LANES};

/// The bits on the lanes: `bits[n]` holds stream bit `n` of lane `l` in its bit `l`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneStream {
    /// Lanes in use.
    pub lanes: usize,
    /// One entry per bit time.
    pub bits: Vec<u8>,
}

impl LaneStream {
    /// Lane `l`'s bits as a 0/1 vector.
    pub fn lane(&self, l: usize) -> Vec<u8> {
        self.bits.iter().map(|b| (b >> l) & 1).collect()
    }
}

/// Per-lane bytes of every stream column of the superframes that hold `slots`
/// (`slots[i]` = content of frame slot `i` from power-up; slots past the end are
/// idle). Panics if a training slot carries data.
pub fn columns(cfg: &LinkConfig, slots: &[Option<Frame>]) -> Vec<[u8; MAX_LANES]> {
    cfg.validate().expect("valid link config");
    let (n, l) = (cfg.frames_per_superframe, cfg.lanes);
    let superframes = slots.len().div_ceil(n).max(1);
    let mut cols = Vec::with_capacity(superframes * cfg.superframe_columns());
    let mut seq = 0u8;
    for s in 0..superframes {
        let [hi, lo] = ALIGN_PATTERN.to_be_bytes();
        cols.push([hi; MAX_LANES]);
        cols.push([lo; MAX_LANES]);
        for j in 0..n {
            let i = s * n + j;
            let frame = slots.get(i).and_then(|f| f.as_ref());
            if frame.is_some() {
                assert!(
                    cfg.slot_allows_data(i as u64),
                    "slot {i} is in a training superframe"
                );
            }
            let bytes = encode(frame, seq);
            if frame.is_some() {
                seq = seq.wrapping_add(1);
            }
            for c in 0..FRAME_BYTES / l {
                let mut col = [0u8; MAX_LANES];
                col[..l].copy_from_slice(&bytes[c * l..(c + 1) * l]);
                cols.push(col);
            }
        }
    }
    for c in &mut cols {
        c[l..].fill(0);
    }
    cols
}

/// The exact lane bit streams of [`columns`].
pub fn lane_stream(cfg: &LinkConfig, slots: &[Option<Frame>]) -> LaneStream {
    let cols = columns(cfg, slots);
    let mut bits = Vec::with_capacity(8 * cols.len());
    for col in &cols {
        for i in (0..8).rev() {
            let mut v = 0u8;
            for (l, byte) in col.iter().enumerate() {
                v |= ((byte >> i) & 1) << l;
            }
            bits.push(v);
        }
    }
    LaneStream {
        lanes: cfg.lanes,
        bits,
    }
}
