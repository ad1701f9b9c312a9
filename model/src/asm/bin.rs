//! The binary program format: one little-endian 64-bit word per instruction, in pc
//! order, nothing else (no header, no padding).

use crate::isa::Instr;

/// Why bytes are not a program.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BinError {
    /// The length is not a whole number of 64-bit words.
    #[error("binary program length {len} bytes is not a multiple of 8 (one little-endian 64-bit word per instruction)")]
    Length {
        /// Length in bytes.
        len: usize,
    },
    /// A word does not decode.
    #[error("word {index} ({word:#018x}) is not a legal instruction: {reason}")]
    Decode {
        /// Word index (= pc).
        index: usize,
        /// The word.
        word: u64,
        /// The reason given by [`Instr::decode`].
        reason: String,
    },
}

/// The binary form of `instrs`.
pub fn to_bin(instrs: &[Instr]) -> Vec<u8> {
    instrs
        .iter()
        .flat_map(|i| i.encode().to_le_bytes())
        .collect()
}

/// Decode a binary program; the first word that is not a legal instruction is an error.
pub fn from_bin(bytes: &[u8]) -> Result<Vec<Instr>, BinError> {
    if !bytes.len().is_multiple_of(8) {
        return Err(BinError::Length { len: bytes.len() });
    }
    bytes
        .chunks_exact(8)
        .enumerate()
        .map(|(index, c)| {
            let word = u64::from_le_bytes(c.try_into().expect("8-byte chunk"));
            Instr::decode(word).map_err(|e| BinError::Decode {
                index,
                word,
                reason: e.reason,
            })
        })
        .collect()
}
