//! The golden model's executor: a [`Machine`] (every bank, the accumulator, the
//! shadow and active weight tiles, the requantization parameters, `vlen`) and [`run`],
//! which executes the issued instructions of a program **in program order**, each
//! completely before the next, with the arithmetic of `docs/arithmetic.md`
//! ([`crate::arith`]).
//!
//! Which instructions issue, and how the run ends, is the static schedule
//! ([`crate::schedule::Walker`]): on an error nothing more issues and every issued
//! instruction completes. For programs the checker ([`crate::schedule::check`])
//! accepts, in-order execution equals the hardware's timed execution; [`timed`] is a
//! second model that applies every access at its cycle, to show it.
//!
//! Semantics (bit-exact, `docs/isa.md`):
//! - `mxu.load w`: shadow column `c` (`c < cols`) = word `w + c / wb` of bank
//!   `1 + c % wb` (`model/src/layout.rs`).
//! - `mxu.run`: `swap` copies shadow to active first; then `load w` installs into the
//!   shadow (so the swap takes the old shadow); then for each row `r`
//!   `acc[acc+r][c] = (accumulate ? acc[acc+r][c] : 0) + sum_l b0[a+r][l] *
//!   active[c][l]`, int32 wrapping.
//! - `rq.param src`: biases (int32 LE), multipliers (uint16 LE) and shifts (one byte
//!   each; bytes above 47 load as 47), each section starting on a new word.
//! - `rq.run`: lane `c < cols` of `dst + r` = `requantize(acc[acc+r][c], param[c],
//!   relu)`, lanes `cols..lanes` = 0.
//! - `v.add` (saturating), `v.max`, `v.relu`, `v.copy`: element by element, `i = 0, 1,
//!   ..` in order (element `i` reads its sources, then writes `dst + i`).
//! - `v.argmax`: index of the first maximum over the `V * lanes` values (word-major,
//!   lane-minor) as int32 LE in lanes 0..4 of `dst`, other lanes 0.
//! - Each run starts with `vlen = 1`; memories, weights and parameters persist.
//!
//! [`RunResult::cycles`] is computed here from the last event cycle of every issued
//! instruction ([`crate::schedule::events`]), [`RunResult::predicted_cycles`] from the
//! timing table's last-effect column; they agree by construction of the two tables,
//! which the tests check.

mod ops;
#[cfg(test)]
mod tests;
pub mod timed;

pub use ops::{apply_param_word, decode_params, encode_params, recv_payload, send_payload};

use crate::arith::Requant;
use crate::isa::{Instr, Status, VAddr};
use crate::schedule::{events, link_frames, Issue, LinkIn, Walker};
use crate::TileConfig;
use std::collections::VecDeque;

/// The architectural state of one tile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    /// `[bank][word][lane]`: bank 0 has `act_depth` words, banks 1.. `bank_depth`.
    pub banks: Vec<Vec<Vec<i8>>>,
    /// `[row][col]`, `acc_depth` rows of `cols` int32.
    pub acc: Vec<Vec<i32>>,
    /// Shadow weight tile `[col][lane]`.
    pub shadow: Vec<Vec<i8>>,
    /// Active weight tile `[col][lane]`.
    pub active: Vec<Vec<i8>>,
    /// Requantization parameters per column.
    pub params: Vec<Requant>,
    /// Vector length (1 at reset and at the start of every run).
    pub vlen: u16,
    /// Payloads (128 bytes) of the frames `send` posted, oldest first (the ring
    /// model moves them to the east neighbour's `inbox`).
    pub outbox: Vec<Vec<u8>>,
    /// Payloads of received frames no `recv` has consumed yet, oldest first.
    pub inbox: VecDeque<Vec<u8>>,
}

impl Machine {
    /// A machine in its power-up state: everything zero, `vlen = 1`.
    pub fn new(cfg: &TileConfig) -> Self {
        let bank = |d: usize| vec![vec![0i8; cfg.lanes]; d];
        let mut banks = vec![bank(cfg.act_depth)];
        banks.extend((1..cfg.banks).map(|_| bank(cfg.bank_depth)));
        Machine {
            banks,
            acc: vec![vec![0; cfg.cols]; cfg.acc_depth],
            shadow: vec![vec![0; cfg.lanes]; cfg.cols],
            active: vec![vec![0; cfg.lanes]; cfg.cols],
            params: vec![
                Requant {
                    bias: 0,
                    m: 0,
                    s: 0
                };
                cfg.cols
            ],
            vlen: 1,
            outbox: Vec::new(),
            inbox: VecDeque::new(),
        }
    }

    /// The word at `va`.
    pub fn word(&self, va: VAddr) -> &[i8] {
        &self.banks[va.bank as usize][va.word as usize]
    }

    /// The word at `va`, mutable.
    pub fn word_mut(&mut self, va: VAddr) -> &mut [i8] {
        &mut self.banks[va.bank as usize][va.word as usize]
    }

    /// Execute one instruction completely with vector length `vlen` (operands must be
    /// in range, as the schedule guarantees for issued instructions). Sequencer
    /// instructions only update `vlen`.
    pub fn execute(&mut self, cfg: &TileConfig, instr: &Instr, vlen: u16) {
        let frames = match instr {
            Instr::Send { .. } | Instr::Recv { .. } => link_frames(cfg, vlen),
            _ => 0,
        };
        ops::execute(self, cfg, instr, vlen, frames);
    }

    /// Execute one issued instruction completely (a `recv` moves only the frames the
    /// walk let it take, [`Issue::frames`]).
    pub fn execute_issue(&mut self, cfg: &TileConfig, issue: &Issue) {
        ops::execute(self, cfg, &issue.instr, issue.vlen, issue.frames);
    }
}

/// The outcome of [`run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunResult {
    /// Final status (`Ok` after `halt`).
    pub status: Status,
    /// pc of the `halt` or of the instruction that failed to issue.
    pub pc: usize,
    /// Cycle count from the executed instructions' last events.
    pub cycles: u64,
    /// Cycle count of the static schedule.
    pub predicted_cycles: u64,
}

/// Run `prog` on `machine` as a bare tile (no link: a `recv` stops the run with
/// `LINK`): execute every issued instruction in program order.
pub fn run(cfg: &TileConfig, prog: &[Instr], machine: &mut Machine) -> RunResult {
    run_linked(cfg, prog, machine, LinkIn::None)
}

/// As [`run`], with `link` telling when received frames arrive; a `recv` takes its
/// frames from `machine.inbox` (which must hold them), a `send` appends to
/// `machine.outbox`.
pub fn run_linked(
    cfg: &TileConfig,
    prog: &[Instr],
    machine: &mut Machine,
    link: LinkIn,
) -> RunResult {
    machine.vlen = 1;
    let mut walker = Walker::new(cfg, prog).with_link(link);
    let mut last = 0u64;
    for issue in walker.by_ref() {
        debug_assert_eq!(issue.vlen, machine.vlen);
        machine.execute_issue(cfg, &issue);
        events(cfg, &issue, |e| last = last.max(e.cycle()));
    }
    let end = walker.end().expect("walk finished");
    RunResult {
        status: end.status,
        pc: end.pc,
        cycles: 1 + end.cycle.max(last),
        predicted_cycles: end.predicted_cycles,
    }
}
