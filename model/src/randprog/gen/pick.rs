//! Random candidate instructions for [`Gen`]: small address windows, edge addresses
//! now and then, and a tile-pipeline pattern (install, then runs that swap and install
//! the next tile in one instruction).

use super::{Gen, VMAX, WINDOW};
use crate::isa::{Instr, VAddr, VBinOp, VUnOp};
use crate::schedule::{depth, param_words};

impl Gen<'_> {
    /// A word in the window of a memory of `depth` words for an extent of `ext`, or
    /// the last legal one now and then.
    fn word_in(&mut self, depth: usize, ext: usize) -> u16 {
        if self.rng.chance(1, 12) {
            return depth.saturating_sub(ext) as u16;
        }
        self.rng.below(depth.min(WINDOW).saturating_sub(ext) + 1) as u16
    }

    fn vaddr(&mut self, ext: usize) -> VAddr {
        let bank = self.rng.below(self.cfg.banks) as u8;
        let ext = if self.rng.chance(1, 12) {
            ext
        } else {
            VMAX.max(ext)
        };
        let word = self.word_in(depth(self.cfg, bank), ext);
        VAddr { bank, word }
    }

    pub(super) fn next_candidate(&mut self) -> Option<Instr> {
        if let Some(i) = self.pending.pop_front() {
            return Some(i);
        }
        let cfg = self.cfg;
        let inst = cfg.install_cycles();
        let rows = |g: &mut Self| {
            let r = if g.rng.chance(1, 10) {
                g.rng.range(9, 32)
            } else {
                g.rng.range(1, 8)
            };
            r.min(cfg.act_depth).min(cfg.acc_depth) as u16
        };
        let i = match self.rng.below(100) {
            0..=9 => Instr::MxuLoad {
                w: self.word_in(cfg.bank_depth, inst),
            },
            10..=27 => {
                if !self.have_shadow && !self.have_active {
                    return Some(Instr::MxuLoad {
                        w: self.word_in(cfg.bank_depth, inst),
                    });
                }
                let n = rows(self);
                let acc = self.word_in(cfg.acc_depth, n as usize);
                let written = (acc..acc + n).all(|r| self.acc_written[r as usize]);
                Instr::MxuRun {
                    a: self.word_in(cfg.act_depth, n as usize),
                    rows: n,
                    acc,
                    swap: !self.have_active || (self.have_shadow && self.rng.chance(1, 2)),
                    accumulate: written && self.rng.chance(1, 2),
                    load: self
                        .rng
                        .chance(1, 3)
                        .then(|| self.word_in(cfg.bank_depth, inst)),
                }
            }
            28..=33 => {
                let src = if self.rng.chance(1, 6) {
                    self.vaddr(param_words(cfg))
                } else {
                    self.param_blocks[self.rng.below(2)]
                };
                Instr::RqParam { src }
            }
            34..=45 => {
                if !self.have_params {
                    return Some(Instr::RqParam {
                        src: self.param_blocks[0],
                    });
                }
                let written: Vec<usize> = (0..cfg.acc_depth)
                    .filter(|&r| self.acc_written[r])
                    .collect();
                if written.is_empty() {
                    return None;
                }
                let acc = written[self.rng.below(written.len())];
                let mut n = 1;
                let want = self.rng.range(1, 8);
                while n < want && acc + n < cfg.acc_depth && self.acc_written[acc + n] {
                    n += 1;
                }
                Instr::RqRun {
                    acc: acc as u16,
                    rows: n as u16,
                    dst: self.vaddr(n),
                    relu: self.rng.chance(1, 2),
                }
            }
            46..=57 => {
                let op = if self.rng.chance(1, 2) {
                    VBinOp::Add
                } else {
                    VBinOp::Max
                };
                let v = self.vlen;
                let a = self.vaddr(v);
                let mut b = self.vaddr(v);
                // Both sources in one bank would share its read port.
                b.bank = ((a.bank as usize + 1 + self.rng.below(cfg.banks - 1)) % cfg.banks) as u8;
                if b.word as usize + v > depth(cfg, b.bank) {
                    b.word = 0;
                }
                Instr::VBin {
                    op,
                    dst: self.vaddr(v),
                    a,
                    b,
                }
            }
            58..=69 => {
                let op = [VUnOp::Relu, VUnOp::Copy, VUnOp::Argmax][self.rng.below(3)];
                let v = self.vlen;
                let dst = self.vaddr(if op == VUnOp::Argmax { 1 } else { v });
                Instr::VUn {
                    op,
                    dst,
                    a: self.vaddr(v),
                }
            }
            70..=77 => {
                let n = [1, 1, 2, 3, 4, 5, 8, 16, VMAX][self.rng.below(9)];
                Instr::Vlen(n.min(cfg.act_depth).min(cfg.bank_depth) as u16)
            }
            78..=83 => Instr::Wait(if self.rng.chance(1, 4) {
                self.rng.range(10, 60) as u32
            } else {
                self.rng.below(4) as u32
            }),
            84..=85 => Instr::Nop,
            _ => {
                // A tile pipeline: install, then runs that swap in the tile and install
                // the next one in the same instruction.
                let n = rows(self);
                let acc = self.word_in(cfg.acc_depth, n as usize);
                let w = self.word_in(cfg.bank_depth, inst);
                self.pending.push_back(Instr::MxuLoad { w });
                for k in 0..self.rng.range(1, 3) {
                    let last = self.rng.chance(1, 3);
                    let a = self.word_in(cfg.act_depth, n as usize);
                    let w = self.word_in(cfg.bank_depth, inst);
                    self.pending.push_back(Instr::MxuRun {
                        a,
                        rows: n,
                        acc,
                        swap: true,
                        accumulate: k > 0,
                        load: (!last).then_some(w),
                    });
                }
                return self.pending.pop_front();
            }
        };
        Some(i)
    }
}
