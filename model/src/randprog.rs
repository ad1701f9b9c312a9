//! Fixed-seed random programs for the RTL-vs-model tests.
//!
//! [`random_program`] builds a **checker-clean** program (plus the initial memory) by
//! appending random instructions one at a time and checking each candidate with the
//! schedule checker ([`crate::schedule::Checker`], resumed from a snapshot of the
//! already-committed prefix): a candidate that fails gets the smallest `wait` in front
//! of it (or, inside a loop, behind it) that makes it clean, else it is dropped. So
//! consecutive instructions sit at the minimum legal spacing whenever the random
//! choice allows: `mxu.load` / `mxu.run ... load` installing the next tile while the
//! array streams, vector ops while the requantizer runs, back-to-back rows.
//!
//! Programs exercise every instruction but `send`/`recv`, nested loops (up to the
//! 4-deep limit), `wait`, `vlen` changes, `swap`, `accumulate`, `load`, `relu`,
//! operands at the very end of a memory, and all share small address windows so that
//! instructions really depend on each other. They never read state they have not
//! written, except the banks: `mxu.run` without `swap` only after a swap,
//! `accumulate` and `rq.run` only on accumulator rows written before, `rq.run` only
//! after `rq.param`. So the RTL's power-up contents of the accumulator, the weight
//! registers and the parameters do not matter. Banks start random (with extra
//! weight on -128, 127 and 0), with two valid parameter blocks placed in them.
//!
//! [`random_illegal`] builds programs that stop with a given hardware status.
//!
//! The generator uses its own SplitMix64 so that a seed means the same program on
//! every platform and crate version.

mod gen;
mod illegal;
#[cfg(test)]
mod tests;

pub use illegal::{random_illegal, IllegalCase};

use crate::exec::Machine;
use crate::isa::Instr;
use crate::TileConfig;

/// SplitMix64: a small, fixed, portable generator.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x6d69_6e69_6c70_7521)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n >= 1`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub(crate) fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }

    /// A random int8 with extra weight on the edge values.
    pub(crate) fn i8(&mut self) -> i8 {
        match self.below(16) {
            0 | 1 => -128,
            2 | 3 => 127,
            4 => 0,
            _ => self.next_u64() as i8,
        }
    }
}

/// A checker-clean random program of `len` instructions (at most `imem_depth`; the
/// last is `halt`) and the machine to run it on (random banks with two parameter
/// blocks, everything else zero). Same `cfg` and `seed`, same result.
pub fn random_program(cfg: &TileConfig, seed: u64, len: usize) -> (Vec<Instr>, Machine) {
    let mut g = gen::Gen::new(cfg, seed);
    g.fill(len.clamp(1, cfg.imem_depth) - 1);
    let mut prog = g.program();
    prog.push(Instr::Halt);
    debug_assert!(crate::schedule::check(cfg, &prog).is_ok());
    (prog, g.machine)
}
