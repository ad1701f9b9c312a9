//! The static schedule of a program (`docs/isa.md`): which instruction issues in which
//! cycle, with which `vlen`, how the run ends and how many cycles it takes, computed
//! from the program text alone (no data is touched), and the assembler's **checker**
//! on top of it.
//!
//! # Timing rules implemented (cycle `t` = issue cycle)
//!
//! - Instruction 0 issues in cycle 0; one instruction issues per cycle, in program
//!   order. `wait n` occupies `1 + n` cycles (`nop` = `wait 0`), every other
//!   instruction one. The hardware never stalls: an instruction that cannot issue is an
//!   error, never a delay.
//! - Instruction memory holds the program padded with zero words to `imem_depth`; word
//!   0 is illegal, so running off the program's end gives `ILLEGAL` at that pc, and
//!   `PC` only when the pc reaches `imem_depth`. Words past `imem_depth` are never
//!   fetched. Every instruction is taken through its 64-bit encoding
//!   (`Instr::decode(i.encode())`), exactly as the hardware sees it.
//! - Checks when an instruction is about to issue, in this order (first failure wins,
//!   the instruction does not issue and nothing later issues; issued instructions
//!   complete): `ILLEGAL` (decode, any bank field `>= banks`, `loop` with
//!   `end <= pc + 1`, `end > imem_depth` or `end >=` the enclosing loop's end), `RANGE`
//!   (every operand extent; `depth(0) = act_depth`, `depth(1..banks) = bank_depth`;
//!   `mxu.load w + I <= bank_depth`; `mxu.run a + rows <= act_depth`,
//!   `acc + rows <= acc_depth`; `rq.param src.word + pw <= depth`; `rq.run
//!   acc + rows <= acc_depth`, `dst.word + rows <= depth`; vector ops
//!   `word + V <= depth` per operand, `v.argmax` destination `word + 1`; a `loop` when
//!   the stack already holds [`MAX_LOOP_DEPTH`](crate::isa::MAX_LOOP_DEPTH) entries;
//!   `mxu.run ... load w` also `w + I <= bank_depth`), `UNSUPPORTED` (`send`/`recv`;
//!   their bank fields are checked for `ILLEGAL` first, their extents are not
//!   checked), `BUSY` (issue cycle `<` the unit's busy-until; `mxu.load` and `mxu.run`
//!   are separate units, `mxu.run ... load w` needs both free (MXU-run is checked
//!   first, for the message), the sequencer is never busy).
//! - Busy-until and last effect per instruction: `mxu.load` `t+I` / `t+I+1+f`; `mxu.run`
//!   `t+R` / `t+R+6+f` (with `load w`: MXU-load busy until `t+I` too, last effect
//!   `max(t+R+6+f, t+I+1+f)`); `rq.param` `t+pw` / `t+pw+1`; `rq.run` `t+R*beats` /
//!   `t+R*beats+8` (`+10` with [`TileConfig::acc_read_stage`]); `v.add/max/relu/copy` `t+V` / `t+V+d-1`; `v.argmax` `t+V+2` /
//!   `t+V+d+1` (`d` = [`TileConfig::vector_write_delay`], 5 or 4; `f` =
//!   [`TileConfig::array_feed_delay`], 0 to 2); sequencer instructions have their last effect at `t`.
//!   With `b` = [`TileConfig::bank_read_delay`] (0 to 2), every instruction that reads a
//!   bank ([`reads_bank`]: `mxu.load`, `mxu.run`, `rq.param`, `v.*`, `send`) has its
//!   last effect (and every event but its bank reads, [`events`]) `b` cycles later; its
//!   busy-until does not move. `rq.run` and `recv` do not change.
//! - `loop n, end` at pc `p` pushes `{n, start p+1, end}`; after the instruction at pc
//!   `end-1` issues (and its wait has elapsed) the next pc is `start` while iterations
//!   remain, else `end` (pop). The jump back costs no cycle. Only the innermost loop can
//!   end at a given pc (inner loops end strictly before their outer loop).
//! - Each run starts with `vlen = 1`, an empty loop stack and every unit idle.
//! - `cycles = 1 + max(halt issue cycle or error cycle, every issued instruction's last
//!   effect)`; the error cycle is the cycle in which the failing instruction would
//!   have issued (for `PC`: the cycle in which the pc reached `imem_depth`).
//!
//! The memory accesses and ports each instruction uses, per cycle, are in [`events`];
//! the checker built on them is [`check`].

mod access;
mod check;
#[cfg(test)]
mod check_tests;
#[cfg(test)]
pub(crate) mod tests;
mod walker;

pub use access::{
    bank_address_shift, bank_read_shift, events, reads_bank, Event, Loc, ParamField, Port,
};
pub use check::{check, check_summary, CheckError, CheckKind, Checker, HazardKind, MAX_ERRORS};
pub use walker::Walker;

use crate::isa::{Instr, Status, Unit, VUnOp};
use crate::TileConfig;

/// One issued instruction of the dynamic schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Issue {
    /// Position in the dynamic sequence (0 = first issued instruction).
    pub index: u64,
    /// Program counter of the instruction.
    pub pc: usize,
    /// Issue cycle.
    pub cycle: u64,
    /// `vlen` in force when it issued.
    pub vlen: u16,
    /// The instruction as the hardware decodes it.
    pub instr: Instr,
    /// Link frames the instruction moves: all `ceil(vlen / P)` for `send`; for `recv`
    /// the frames before the first one that was not there when due (see
    /// [`LinkIn`]); 0 for every other instruction.
    pub frames: u32,
}

/// What a walk assumes about the frames arriving at the tile's receiver.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum LinkIn {
    /// No link is attached (a bare tile): every `recv` stops the run with `LINK` at its
    /// first frame.
    #[default]
    None,
    /// Every frame is there when due (the checker's view of one card of a ring; the
    /// ring model checks the arrival times).
    Always,
    /// Frame `k` of the run (counted over all `recv`s) is in the receive queue from
    /// cycle `arrivals[k]` on (cycles of this run; 0 for frames that arrived before
    /// the start).
    Arrivals(Vec<u64>),
}

impl LinkIn {
    /// Whether frame `k` of the run is in the queue in cycle `cycle`.
    pub fn ready(&self, k: usize, cycle: u64) -> bool {
        match self {
            LinkIn::None => false,
            LinkIn::Always => true,
            LinkIn::Arrivals(a) => a.get(k).is_some_and(|&c| c <= cycle),
        }
    }
}

/// Frames of a `send` / `recv` of `vlen` words: `ceil(vlen / P)`.
pub fn link_frames(cfg: &TileConfig, vlen: u16) -> u32 {
    (vlen as usize).div_ceil(cfg.link_frame_words()) as u32
}

/// Words frame `j` of a `vlen`-word transfer carries: `P_j = min(P, vlen - j*P)`.
pub fn link_frame_len(cfg: &TileConfig, vlen: u16, j: u32) -> usize {
    let p = cfg.link_frame_words();
    p.min(vlen as usize - j as usize * p)
}

/// How a run ends, predicted statically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct End {
    /// Final status (`Ok` after `halt`).
    pub status: Status,
    /// pc of the `halt` or of the instruction that failed to issue.
    pub pc: usize,
    /// Issue cycle of the `halt`, or the cycle in which the failing instruction would
    /// have issued.
    pub cycle: u64,
    /// The run's cycle count: `1 + max(cycle, every last effect)`.
    pub predicted_cycles: u64,
    /// Instructions issued (including the `halt`).
    pub issued: u64,
    /// Why the run stopped, in words (empty after `halt`).
    pub detail: String,
    /// The other instruction involved in the error, if any: for `BUSY` the pc that
    /// made the unit busy, for a loop error the enclosing loop's pc.
    pub other_pc: Option<usize>,
}

/// A whole schedule: every issued instruction and the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Issued instructions, in issue (= program) order.
    pub issues: Vec<Issue>,
    /// How the run ends.
    pub end: End,
}

/// Timing of one instruction, as offsets from its issue cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// The next instruction to the same unit may issue at `t + busy` (0 for the
    /// sequencer). For `mxu.run ... load w` this is MXU-run's; MXU-load is busy for
    /// [`TileConfig::install_cycles`].
    pub busy: u64,
    /// Cycle of the last effect, `t + last_effect` (including the bank read stages'
    /// delay, [`bank_read_shift`]).
    pub last_effect: u64,
    /// The next instruction issues at `t + advance` (`1 + n` for `wait n`, else 1).
    pub advance: u64,
}

/// Requantization parameter words `pw = ceil(4c/L) + ceil(2c/L) + ceil(c/L)`.
pub fn param_words(cfg: &TileConfig) -> usize {
    param_sections(cfg).iter().sum()
}

/// Words of the bias, multiplier and shift sections of the parameter block.
pub fn param_sections(cfg: &TileConfig) -> [usize; 3] {
    let (c, l) = (cfg.cols, cfg.lanes);
    [(4 * c).div_ceil(l), (2 * c).div_ceil(l), c.div_ceil(l)]
}

/// Depth of bank `bank` (`act_depth` for bank 0, `bank_depth` otherwise).
pub fn depth(cfg: &TileConfig, bank: u8) -> usize {
    if bank == 0 {
        cfg.act_depth
    } else {
        cfg.bank_depth
    }
}

/// The timing-table row of `instr` issued with vector length `vlen`.
pub fn timing(cfg: &TileConfig, instr: &Instr, vlen: u16) -> Timing {
    let v = vlen as u64;
    let i = cfg.install_cycles() as u64;
    let beats = cfg.requant_beats() as u64;
    let pw = param_words(cfg) as u64;
    let vd = cfg.vector_write_delay();
    let fd = cfg.array_feed_delay();
    let (busy, last_effect) = match *instr {
        Instr::MxuLoad { .. } => (i, i + 1 + fd),
        Instr::MxuRun { rows, load, .. } => {
            let r = rows as u64;
            (
                r,
                if load.is_some() {
                    (r + 6 + fd).max(i + 1 + fd)
                } else {
                    r + 6 + fd
                },
            )
        }
        Instr::RqParam { .. } => (pw, pw + 1),
        Instr::RqRun { rows, .. } => (
            rows as u64 * beats,
            rows as u64 * beats + cfg.requant_write_delay(),
        ),
        Instr::VBin { .. } => (v, v + vd - 1),
        Instr::VUn {
            op: VUnOp::Argmax, ..
        } => (v + 2, v + vd + 1),
        Instr::VUn { .. } => (v, v + vd - 1),
        Instr::Send { .. } => {
            let (n, t) = (link_frames(cfg, vlen) as u64, cfg.link_frame_cycles());
            (n * t, (n - 1) * t + cfg.link_frame_words() as u64 + 2)
        }
        Instr::Recv { .. } => {
            let (n, t) = (link_frames(cfg, vlen), cfg.link_frame_cycles());
            let last = link_frame_len(cfg, vlen, n - 1) as u64;
            (n as u64 * t, (n as u64 - 1) * t + last + 2)
        }
        _ => (0, 0),
    };
    // The bank read stages delay every effect of a bank-reading instruction, not its
    // occupancy.
    let last_effect = last_effect + bank_read_shift(cfg, instr);
    let advance = match *instr {
        Instr::Wait(n) => 1 + n as u64,
        _ => 1,
    };
    Timing {
        busy,
        last_effect,
        advance,
    }
}

/// Assembly mnemonic of an instruction (for messages).
pub fn mnemonic(instr: &Instr) -> &'static str {
    use crate::isa::VBinOp;
    match instr {
        Instr::Nop => "nop",
        Instr::Wait(_) => "wait",
        Instr::Loop { .. } => "loop",
        Instr::Halt => "halt",
        Instr::Vlen(_) => "vlen",
        Instr::MxuLoad { .. } => "mxu.load",
        Instr::MxuRun { .. } => "mxu.run",
        Instr::RqParam { .. } => "rq.param",
        Instr::RqRun { .. } => "rq.run",
        Instr::VBin {
            op: VBinOp::Add, ..
        } => "v.add",
        Instr::VBin {
            op: VBinOp::Max, ..
        } => "v.max",
        Instr::VUn {
            op: VUnOp::Relu, ..
        } => "v.relu",
        Instr::VUn {
            op: VUnOp::Copy, ..
        } => "v.copy",
        Instr::VUn {
            op: VUnOp::Argmax, ..
        } => "v.argmax",
        Instr::Send { .. } => "send",
        Instr::Recv { .. } => "recv",
    }
}

/// Name of a unit (for messages).
pub fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Seq => "SEQ",
        Unit::MxuLoad => "MXU-load",
        Unit::MxuRun => "MXU-run",
        Unit::Rqu => "RQU",
        Unit::Vxu => "VXU",
        Unit::LinkTx => "LINK-tx",
        Unit::LinkRx => "LINK-rx",
    }
}

/// The whole schedule of `prog`, storing every issued instruction. For long runs use
/// [`Walker`] (an iterator) or [`summarize`], which store nothing per instruction.
pub fn schedule(cfg: &TileConfig, prog: &[Instr]) -> Schedule {
    let mut w = Walker::new(cfg, prog);
    let issues: Vec<Issue> = w.by_ref().collect();
    Schedule {
        issues,
        end: w.end().expect("walker finished").clone(),
    }
}

/// How `prog` ends and its predicted cycle count, without storing the trace.
pub fn summarize(cfg: &TileConfig, prog: &[Instr]) -> End {
    let mut w = Walker::new(cfg, prog);
    w.by_ref().for_each(drop);
    w.end().expect("walker finished").clone()
}
