//! The arithmetic contract of `../shared/arithmetic.md`, bit for bit.
//!
//! These functions are the reference every backend (RTL in Verilator, CLI) is
//! compared against. They are written for clarity, not speed.

/// Requantization parameters of one output column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requant {
    /// Added to the int32 accumulator before scaling.
    pub bias: i32,
    /// Multiplier, 0..=65535.
    pub m: u16,
    /// Right shift, 0..=47.
    pub s: u8,
}

/// Largest allowed shift `s`.
pub const MAX_SHIFT: u8 = 47;

/// `C = A · B` with int32 wrapping accumulation. `a` is `[m, k]`, `b` is `[k, n]`,
/// both row-major; the result is `[m, n]` row-major.
pub fn matmul(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Vec<i32> {
    assert_eq!(a.len(), m * k, "A must be [M, K]");
    assert_eq!(b.len(), k * n, "B must be [K, N]");
    let mut c = vec![0i32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0i32;
            for kk in 0..k {
                acc = acc.wrapping_add(a[i * k + kk] as i32 * b[kk * n + j] as i32);
            }
            c[i * n + j] = acc;
        }
    }
    c
}

/// Requantize one accumulator value to int8: `clamp(round((c + bias) * m / 2^s))`,
/// rounding half up (toward +infinity), then ReLU when asked.
pub fn requantize(c: i32, q: Requant, relu: bool) -> i8 {
    assert!(q.s <= MAX_SHIFT, "shift {} out of range 0..=47", q.s);
    let t = c as i64 + q.bias as i64;
    let p = t * q.m as i64;
    let r = if q.s == 0 {
        p
    } else {
        (p + (1i64 << (q.s - 1))) >> q.s
    };
    let y = r.clamp(-128, 127) as i8;
    if relu {
        y.max(0)
    } else {
        y
    }
}

/// A dense layer as the reference computes it: `requantize(A · W)` for row-major int8
/// `A` `[m, k]` and `W` `[k, n]`, column `c` with `q[c]`, then ReLU when asked.
pub fn dense_layer(
    a: &[i8],
    w: &[i8],
    (m, k, n): (usize, usize, usize),
    q: &[Requant],
    relu: bool,
) -> Vec<i8> {
    matmul(a, w, m, k, n)
        .iter()
        .enumerate()
        .map(|(i, &c)| requantize(c, q[i % n], relu))
        .collect()
}

/// Saturating int8 addition.
pub fn add_sat(a: i8, b: i8) -> i8 {
    a.saturating_add(b)
}

/// Index of the first maximum (lowest index wins ties); `None` for an empty vector.
pub fn argmax(v: &[i8]) -> Option<usize> {
    let mut best: Option<(usize, i8)> = None;
    for (i, &x) in v.iter().enumerate() {
        if best.is_none_or(|(_, b)| x > b) {
            best = Some((i, x));
        }
    }
    best.map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_examples() {
        // (-128) * (-128) = 16384
        assert_eq!(matmul(&[-128], &[-128], 1, 1, 1), vec![16384]);
        // rounding examples with s = 1 and m = 1: t*m = 3 -> 2, -3 -> -1, -1 -> 0
        let q = Requant {
            bias: 0,
            m: 1,
            s: 1,
        };
        assert_eq!(requantize(3, q, false), 2);
        assert_eq!(requantize(-3, q, false), -1);
        assert_eq!(requantize(-1, q, false), 0);
        // saturation and relu
        let q = Requant {
            bias: 0,
            m: 65535,
            s: 0,
        };
        assert_eq!(requantize(1000, q, false), 127);
        assert_eq!(requantize(-1000, q, false), -128);
        assert_eq!(requantize(-1000, q, true), 0);
        // extremes: |p| < 2^49 with maximal shift
        let q = Requant {
            bias: i32::MIN,
            m: 65535,
            s: 47,
        };
        assert_eq!(requantize(i32::MIN, q, false), -2);
        let q = Requant {
            bias: i32::MAX,
            m: 65535,
            s: 47,
        };
        assert_eq!(requantize(i32::MAX, q, false), 2);
    }

    #[test]
    fn accumulator_wraps() {
        let k = 140_000;
        let a = vec![-128i8; k];
        let b = vec![-128i8; k];
        let c = matmul(&a, &b, 1, k, 1)[0];
        assert_eq!(c, (16384i64 * k as i64) as i32);
    }

    #[test]
    fn vector_ops() {
        assert_eq!(add_sat(100, 100), 127);
        assert_eq!(add_sat(-100, -100), -128);
        assert_eq!(argmax(&[1, 5, 5, -3]), Some(1));
        assert_eq!(argmax(&[]), None);
        assert_eq!(argmax(&[-128]), Some(0));
    }
}
