//! The program builder behind [`super::random_program`] (see the parent module).
//!
//! The program is a tree: `levels[0]` is the top level, `levels[k]` the `k`-th open
//! loop (trip count and body). Flattening emits every open loop as the last thing in
//! its parent; a loop whose body ends with a loop gets a `nop` after it (an inner loop
//! must end strictly before its outer loop), the same `nop` that closing the loop
//! appends, so closing never changes the program. Every candidate is checked from a
//! snapshot of walker and checker taken after the committed prefix (everything before
//! the outermost open loop).

use super::Rng;
use crate::arith::Requant;
use crate::exec::{encode_params, Machine};
use crate::isa::{Instr, VAddr, MAX_LOOP_DEPTH};
use crate::schedule::{depth, param_words, Checker, Walker};
use crate::TileConfig;
use std::collections::VecDeque;

mod pick;

/// Words of each memory the generator addresses (small, so instructions overlap).
const WINDOW: usize = 72;
/// Largest `vlen` the generator sets.
const VMAX: usize = 24;

enum Node {
    I(Instr),
    Loop { n: u32, body: Vec<Node> },
}

fn ends_with_loop(nodes: &[Node]) -> bool {
    matches!(nodes.last(), Some(Node::Loop { .. }))
}

fn flatten(nodes: &[Node], out: &mut Vec<Instr>) {
    for node in nodes {
        match node {
            Node::I(i) => out.push(*i),
            Node::Loop { n, body } => {
                let at = out.len();
                out.push(Instr::Nop);
                flatten(body, out);
                out[at] = Instr::Loop {
                    n: *n,
                    end: out.len() as u16,
                };
            }
        }
    }
}

/// A random requantization parameter set with edge values.
pub(crate) fn random_requant(rng: &mut Rng) -> Requant {
    let bias = match rng.below(8) {
        0 => i32::MIN,
        1 => i32::MAX,
        _ => (rng.next_u64() as i32) >> rng.range(8, 31),
    };
    let m = match rng.below(6) {
        0 => u16::MAX,
        1 => 0,
        _ => rng.next_u64() as u16,
    };
    let s = match rng.below(6) {
        0 => 0,
        1 => 47,
        _ => rng.range(10, 28) as u8,
    };
    Requant { bias, m, s }
}

pub(crate) struct Gen<'a> {
    cfg: &'a TileConfig,
    pub(crate) rng: Rng,
    pub(crate) machine: Machine,
    levels: Vec<(u32, Vec<Node>)>,
    snap_walker: Walker<'a>,
    snap_checker: Checker<'a>,
    max_len: usize,
    pending: VecDeque<Instr>,
    vlen: usize,
    have_shadow: bool,
    have_active: bool,
    have_params: bool,
    acc_written: Vec<bool>,
    param_blocks: Vec<VAddr>,
}

impl<'a> Gen<'a> {
    /// A generator with random banks and two parameter blocks in them.
    pub(crate) fn new(cfg: &'a TileConfig, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut machine = Machine::new(cfg);
        for bank in machine.banks.iter_mut() {
            for word in bank.iter_mut() {
                for x in word.iter_mut() {
                    *x = rng.i8();
                }
            }
        }
        let pw = param_words(cfg);
        let mut param_blocks = Vec::new();
        for _ in 0..2 {
            let bank = rng.below(cfg.banks) as u8;
            let d = depth(cfg, bank);
            let word = rng.below(d.min(WINDOW).saturating_sub(pw) + 1) as u16;
            let params: Vec<Requant> = (0..cfg.cols).map(|_| random_requant(&mut rng)).collect();
            for (k, w) in encode_params(cfg, &params).into_iter().enumerate() {
                machine.banks[bank as usize][word as usize + k] = w;
            }
            param_blocks.push(VAddr { bank, word });
        }
        Gen {
            cfg,
            rng,
            machine,
            levels: vec![(0, Vec::new())],
            snap_walker: Walker::new(cfg, &[]),
            snap_checker: Checker::new(cfg),
            max_len: cfg.imem_depth - 1,
            pending: VecDeque::new(),
            vlen: 1,
            have_shadow: false,
            have_active: false,
            have_params: false,
            acc_written: vec![false; cfg.acc_depth],
            param_blocks,
        }
    }

    /// The flattened program (without the final `halt`).
    pub(crate) fn program(&self) -> Vec<Instr> {
        let mut out = Vec::new();
        self.flatten_level(0, &mut out);
        out
    }

    fn flatten_level(&self, lvl: usize, out: &mut Vec<Instr>) {
        let nodes = &self.levels[lvl].1;
        flatten(nodes, out);
        let child =
            lvl + 1 < self.levels.len() && self.levels[lvl + 1..].iter().any(|l| !l.1.is_empty());
        if child {
            let at = out.len();
            out.push(Instr::Nop);
            self.flatten_level(lvl + 1, out);
            out[at] = Instr::Loop {
                n: self.levels[lvl + 1].0,
                end: out.len() as u16,
            };
        }
        if lvl > 0 && (child || ends_with_loop(nodes)) {
            out.push(Instr::Nop);
        }
    }

    /// Append random instructions until the program has `len` instructions, closing
    /// every loop at the end (and padding with `nop` if candidates ran out).
    pub(crate) fn fill(&mut self, len: usize) {
        self.max_len = len;
        let mut tries = 0;
        while self.program().len() < len && tries < 40 * len + 100 {
            tries += 1;
            let open = self.levels.len() - 1;
            let room = len - self.program().len();
            let roll = self.rng.below(100);
            if roll < 5 && open < MAX_LOOP_DEPTH && room >= 4 + 2 * open {
                let n = if self.rng.chance(1, 5) {
                    self.rng.range(4, 7)
                } else {
                    self.rng.range(1, 3)
                };
                self.levels.push((n as u32, Vec::new()));
            } else if roll < 17 && open > 0 {
                self.close();
            } else if let Some(i) = self.next_candidate() {
                if self.valid(&i) {
                    self.try_append(i);
                }
            }
        }
        while self.levels.len() > 1 {
            self.close();
        }
        while self.program().len() < len {
            self.levels[0].1.push(Node::I(Instr::Nop));
        }
    }

    fn close(&mut self) {
        let (n, mut body) = self.levels.pop().expect("an open loop");
        if !body.is_empty() {
            if ends_with_loop(&body) {
                body.push(Node::I(Instr::Nop));
            }
            self.levels
                .last_mut()
                .expect("parent")
                .1
                .push(Node::Loop { n, body });
        }
        if self.levels.len() == 1 {
            self.commit();
        }
    }

    /// Move the snapshot to the end of the (fully closed) program.
    fn commit(&mut self) {
        let prog = self.program();
        let mut with_halt = prog.clone();
        with_halt.push(Instr::Halt);
        let mut w = self.snap_walker.resume(&with_halt);
        while w.pc() != prog.len() {
            let is = w.next().expect("committed prefix issues");
            self.snap_checker.issue(&is);
        }
        debug_assert!(self.snap_checker.errors().is_empty());
        self.snap_walker = w;
    }

    /// Is the program clean with `nodes` appended to the innermost level?
    fn probe(&mut self, nodes: Vec<Instr>) -> bool {
        let k = nodes.len();
        let body = &mut self.levels.last_mut().expect("a level").1;
        body.extend(nodes.into_iter().map(Node::I));
        let mut prog = self.program();
        let body = &mut self.levels.last_mut().expect("a level").1;
        body.truncate(body.len() - k);
        if prog.len() > self.max_len {
            return false;
        }
        prog.push(Instr::Halt);
        let mut w = self.snap_walker.resume(&prog);
        let mut ch = self.snap_checker.clone();
        for is in w.by_ref() {
            ch.issue(&is);
            if !ch.errors().is_empty() {
                return false;
            }
        }
        w.end().is_some_and(|e| e.status == crate::isa::Status::Ok)
    }

    fn with_wait(i: Instr, k: u32, before: bool, after: bool) -> Vec<Instr> {
        let mut v = Vec::new();
        if before {
            v.push(Instr::Wait(k));
        }
        v.push(i);
        if after {
            v.push(Instr::Wait(k));
        }
        v
    }

    /// Append `i`, behind the smallest wait that makes it clean; false if none does.
    fn try_append(&mut self, i: Instr) -> bool {
        let mut choice = None;
        if self.probe(vec![i]) {
            choice = Some(vec![i]);
        } else {
            let variants: &[(bool, bool)] = if self.levels.len() > 1 {
                &[(true, false), (false, true), (true, true)]
            } else {
                &[(true, false)]
            };
            for &(b, a) in variants {
                let (mut lo, mut hi) = (0u32, 1u32);
                while hi <= 4096 && !self.probe(Self::with_wait(i, hi, b, a)) {
                    lo = hi;
                    hi *= 2;
                }
                if hi > 4096 {
                    continue;
                }
                while hi - lo > 1 {
                    let mid = (lo + hi) / 2;
                    if self.probe(Self::with_wait(i, mid, b, a)) {
                        hi = mid;
                    } else {
                        lo = mid;
                    }
                }
                choice = Some(Self::with_wait(i, hi, b, a));
                break;
            }
        }
        let Some(nodes) = choice else {
            return false;
        };
        self.note(&i);
        self.levels
            .last_mut()
            .expect("a level")
            .1
            .extend(nodes.into_iter().map(Node::I));
        if self.levels.len() == 1 {
            self.commit();
        }
        true
    }

    /// Prerequisites: never read state the program has not written (but the banks).
    fn valid(&self, i: &Instr) -> bool {
        let written = |a: u16, n: u16| (a as usize..(a + n) as usize).all(|r| self.acc_written[r]);
        match *i {
            Instr::MxuRun {
                swap,
                accumulate,
                acc,
                rows,
                ..
            } => {
                (if swap {
                    self.have_shadow
                } else {
                    self.have_active
                }) && (!accumulate || written(acc, rows))
            }
            Instr::RqRun { acc, rows, .. } => self.have_params && written(acc, rows),
            _ => true,
        }
    }

    fn note(&mut self, i: &Instr) {
        match *i {
            Instr::Vlen(n) => self.vlen = n as usize,
            Instr::MxuLoad { .. } => self.have_shadow = true,
            Instr::MxuRun {
                swap,
                acc,
                rows,
                load,
                ..
            } => {
                self.have_active |= swap;
                self.have_shadow |= load.is_some();
                for r in acc..acc + rows {
                    self.acc_written[r as usize] = true;
                }
            }
            Instr::RqParam { .. } => self.have_params = true,
            _ => {}
        }
    }
}
