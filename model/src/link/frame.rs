//! One frame on the wire: 132 bytes.
//!
//! | byte | field |
//! |---|---|
//! | 0 | kind: bit 7 = data (1) / idle (0); bits 6..0 = the sender's tag (0 in idle frames) |
//! | 1 | sequence number: data frames sent before this one, mod 256 |
//! | 2..130 | payload, 128 bytes (zero in idle frames) |
//! | 130, 131 | CRC-16 over bytes 0..130, high byte first |

use super::crc::crc16;
use super::{FRAME_BYTES, KIND_DATA, PAYLOAD_BYTES};

/// A data frame as the sender posts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The sender's 7-bit tag (for instance "last frame of a vector"), 0..=127.
    pub tag: u8,
    /// The payload.
    pub payload: [u8; PAYLOAD_BYTES],
}

/// The 132 bytes of a data frame (`Some`) or an idle frame (`None`) carrying `seq`.
pub fn encode(frame: Option<&Frame>, seq: u8) -> [u8; FRAME_BYTES] {
    let mut b = [0u8; FRAME_BYTES];
    if let Some(f) = frame {
        assert!(f.tag < 0x80, "tag {} is not 7-bit", f.tag);
        b[0] = KIND_DATA | f.tag;
        b[2..2 + PAYLOAD_BYTES].copy_from_slice(&f.payload);
    }
    b[1] = seq;
    let crc = crc16(&b[..FRAME_BYTES - 2]);
    b[FRAME_BYTES - 2] = (crc >> 8) as u8;
    b[FRAME_BYTES - 1] = crc as u8;
    b
}

/// A frame as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// Header byte 0.
    pub kind: u8,
    /// Header byte 1.
    pub seq: u8,
    /// The payload bytes as received.
    pub payload: [u8; PAYLOAD_BYTES],
    /// The CRC over the whole frame leaves 0.
    pub crc_ok: bool,
}

/// Split 132 received bytes into their fields and check the CRC.
pub fn decode(bytes: &[u8; FRAME_BYTES]) -> Decoded {
    let mut payload = [0u8; PAYLOAD_BYTES];
    payload.copy_from_slice(&bytes[2..2 + PAYLOAD_BYTES]);
    Decoded {
        kind: bytes[0],
        seq: bytes[1],
        payload,
        crc_ok: crc16(bytes) == 0,
    }
}
