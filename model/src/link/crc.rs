//! CRC-16/IBM-3740 (also known as CRC-16/CCITT-FALSE): polynomial 0x1021
//! (x^16 + x^12 + x^5 + 1), initial value 0xFFFF, no reflection, no final XOR; check
//! value 0x29B1 for the ASCII bytes "123456789".
//!
//! The polynomial is (x + 1) times a primitive polynomial of degree 15, so it detects
//! every odd number of bit errors, every burst of up to 16 bits and every pattern of up
//! to 3 bit errors in a codeword of up to 32,767 bits (ours: 1,056 bits). The CRC is
//! appended MSB first, so running the CRC over a whole good frame leaves 0.

/// Generator polynomial (the x^16 term implied).
pub const CRC16_POLY: u16 = 0x1021;
/// Register value before the first byte.
pub const CRC16_INIT: u16 = 0xFFFF;
/// CRC of the ASCII bytes "123456789" (the catalogue's check value).
pub const CRC16_CHECK: u16 = 0x29B1;

/// The register after shifting in `byte`, MSB first.
pub fn crc16_update(crc: u16, byte: u8) -> u16 {
    let mut c = crc;
    for i in (0..8).rev() {
        let fb = (c >> 15) as u8 ^ ((byte >> i) & 1);
        c <<= 1;
        if fb != 0 {
            c ^= CRC16_POLY;
        }
    }
    c
}

/// CRC-16/IBM-3740 of `data`.
pub fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(CRC16_INIT, |c, &b| crc16_update(c, b))
}
