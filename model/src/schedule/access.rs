//! Every memory-port use and every data access of an issued instruction, with its
//! cycle, per the timing table of `docs/isa.md`.
//!
//! A data access "at cycle `c`" happens at the clock edge ending cycle `c`: a read at
//! `c` sees exactly the writes at cycles `< c` (SRAM: the address is presented in `c`;
//! registers: sampled at the edge ending `c`). Reads and writes of one instruction are
//! listed in the order of its sequential (program-order) semantics: element `i`'s
//! reads, then element `i`'s write, then element `i + 1`.
//!
//! | instruction | ports | data |
//! |---|---|---|
//! | `mxu.load w` | read port of **every** weight bank at `t+1+k`, `k < I` | reads `b(1+j):w+k` for the columns `k*wb+j < cols`; writes shadow column `k*wb+j` at `t+2+f+k` |
//! | `mxu.run` | bank 0 read `t+1+r`; acc read `t+6+f+r` (always); acc write `t+7+f+r`; with `load w` those of `mxu.load w` | `swap`: reads every shadow column at `t+2+f` (before the install's writes, the first of which lands on the same edge); reads `b0:a+r` at `t+1+r`; reads acc row `acc+r` at `t+6+f+r` only with `accumulate`; writes it at `t+7+f+r` |
//! | `rq.param` | bank(src) read `t+1+k`, `k < pw` | reads `src+k` at `t+1+k`; **every** parameter field is written at each of `t+2 .. t+pw+1` (the RTL shifts the bytes in as the words arrive, so all of them are in flux until the end of `t+pw+1`) |
//! | `rq.run` | acc read `X+e`, `X = t+1+r*beats+g` (beat `g`); bank(dst) write `t+(r+1)*beats+8+2e` | reads acc row `acc+r` at `X+e` for the first beat of each column group (`g` a multiple of `requant_steps`; the other beats' reads are unused); the bias, multiplier and shift of that group's columns (`g / requant_steps`) at `X+1+2e` (they travel with the value into the lanes); writes `dst+r` |
//! | `v.add`, `v.max` | bank(a), bank(b) read `t+1+i`; bank(dst) write `t+d+i` | likewise |
//! | `v.relu`, `v.copy` | bank(a) read `t+1+i`; bank(dst) write `t+d+i` | likewise |
//! | `v.argmax` | bank(a) read `t+1+i`; bank(dst) write `t+V+d+1` | likewise |
//! | `send` | bank(src) read `t+j*T+1+i`, `i < P_j`; link post `t+j*T+2+P` | reads `src+j*P+i` |
//! | `recv` | link check `t+j*T+1`; bank(dst) write `t+j*T+3+i`, `i < P_j`, for the frames it moves (a failed check ends it) | writes `dst+j*P+i` |
//!
//! `d` is [`TileConfig::vector_write_delay`]: 5 with the vector operand stage, 4 without.
//! `f` is [`TileConfig::array_feed_delay`]: the array's feed stages (0 in most presets).
//!
//! **Bank read stages** (`b` = [`TileConfig::bank_read_delay`], 0 to 2): every event in
//! the table of an instruction that reads a bank ([`reads_bank`]: `mxu.load`,
//! `mxu.run`, `rq.param`, `v.add`, `v.max`, `v.relu`, `v.copy`, `v.argmax`, `send`) comes
//! `b` cycles later than listed (bank, shadow, accumulator and parameter writes, the
//! swap, the accumulator reads, the link post), except its bank reads (the read port
//! use and the bank word read), which reach the SRAM `a` =
//! [`TileConfig::bank_address_delay`] = `min(b, 1)` cycles later: the first stage
//! registers the address, the second the data on its way back. `rq.run` and `recv` read
//! no bank and do not move. The units' occupancy (busy-until) does not move either.
//!
//! **Accumulator read stage** ([`TileConfig::acc_read_stage`]): `mxu.run`'s accumulator
//! reads (the read port use and the row read) come one cycle earlier than listed,
//! `t+5+f+r` ([`TileConfig::acc_read_delay`]); its accumulator writes do not move.
//! The stage also registers the read address, and `rq.run`'s rows come through its
//! word register, so `e` = 1 in `rq.run`'s row above (0 without the stage;
//! [`TileConfig::requant_acc_read_delay`], [`TileConfig::requant_write_delay`]).
//!
//! Ports are listed as the ISA names them (one read, one write port per bank); the
//! checker merges a weight bank's two into one when the banks are single-ported SPRAM.
//!
//! The active weights are not listed: `swap` writes them at the end of `t+2+f` and row
//! `r` uses them at `t+3+f+r`; since `mxu.run`s are serialized by `BUSY` (`t' >= t+R`), a
//! later swap (`t'+2+f >= t+R+2+f`) never lands before an earlier run's last use
//! (`t+R+2+f`, same edge: the old value is used), so they cannot carry a hazard (with
//! bank read stages both move by `b`).

use super::{param_words, Issue};
use crate::isa::{Instr, VUnOp};
use crate::TileConfig;

/// A memory port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Port {
    /// Read port of a bank.
    BankRead(u8),
    /// Write port of a bank.
    BankWrite(u8),
    /// Read port of the accumulator.
    AccRead,
    /// Write port of the accumulator.
    AccWrite,
    /// A `send` posts a frame to the link transmitter.
    LinkPost,
    /// A `recv` takes (or fails to find) a frame in the receive queue.
    LinkCheck,
}

/// One of the three requantization parameter fields of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamField {
    /// int32 bias.
    Bias,
    /// uint16 multiplier.
    Mult,
    /// Shift.
    Shift,
}

/// A storage location that carries data between instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    /// A bank word.
    Bank {
        /// Bank number.
        bank: u8,
        /// Word.
        word: usize,
    },
    /// An accumulator row.
    Acc(usize),
    /// A shadow weight register column.
    Shadow(usize),
    /// A requantization parameter of a column.
    Param(ParamField, usize),
}

/// One use of a port or one data access, at a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The port is used in `cycle`.
    Port {
        /// Which port.
        port: Port,
        /// Cycle.
        cycle: u64,
    },
    /// `loc` is read at (the edge ending) `cycle`.
    Read {
        /// What is read.
        loc: Loc,
        /// Cycle.
        cycle: u64,
    },
    /// `loc` is written at (the edge ending) `cycle`.
    Write {
        /// What is written.
        loc: Loc,
        /// Cycle.
        cycle: u64,
    },
}

/// Whether `instr` reads a bank (and so is delayed by the bank read stages,
/// [`TileConfig::bank_read_stages`]): `mxu.load`, `mxu.run`, `rq.param`, every `v.*`
/// and `send`. `rq.run` (it reads the accumulator), `recv` (the link's receive queue)
/// and the sequencer instructions do not.
pub fn reads_bank(instr: &Instr) -> bool {
    matches!(
        instr,
        Instr::MxuLoad { .. }
            | Instr::MxuRun { .. }
            | Instr::RqParam { .. }
            | Instr::VBin { .. }
            | Instr::VUn { .. }
            | Instr::Send { .. }
    )
}

/// Cycles every event of `instr` comes later because of the bank read stages:
/// [`TileConfig::bank_read_delay`] for an instruction that [`reads_bank`], else 0.
pub fn bank_read_shift(cfg: &TileConfig, instr: &Instr) -> u64 {
    if reads_bank(instr) {
        cfg.bank_read_delay()
    } else {
        0
    }
}

/// Cycles the bank reads themselves (the SRAM access, its read port use) of `instr`
/// come later because of the bank read stages: [`TileConfig::bank_address_delay`] for
/// an instruction that [`reads_bank`], else 0.
pub fn bank_address_shift(cfg: &TileConfig, instr: &Instr) -> u64 {
    if reads_bank(instr) {
        cfg.bank_address_delay()
    } else {
        0
    }
}

/// Call `f` with every port use and data access of `issue`, in sequential-semantics
/// order (see the module table; every event of a bank-reading instruction
/// [`bank_read_shift`] cycles later). Sequencer instructions have none.
pub fn events(cfg: &TileConfig, issue: &Issue, mut f: impl FnMut(Event)) {
    let b = bank_read_shift(cfg, &issue.instr);
    let a = bank_address_shift(cfg, &issue.instr);
    events_unshifted(cfg, issue, |e| {
        f(match e {
            // The SRAM access itself: only the address stage delays it.
            Event::Port {
                port: Port::BankRead(_),
                ..
            }
            | Event::Read {
                loc: Loc::Bank { .. },
                ..
            } => e.later(a),
            _ => e.later(b),
        })
    });
}

/// The events of the module table, without the bank read stages' delay.
fn events_unshifted(cfg: &TileConfig, issue: &Issue, mut f: impl FnMut(Event)) {
    let t = issue.cycle;
    let v = issue.vlen as u64;
    let vd = cfg.vector_write_delay();
    let port = |port, cycle| Event::Port { port, cycle };
    let rd = |loc, cycle| Event::Read { loc, cycle };
    let wr = |loc, cycle| Event::Write { loc, cycle };
    let bw = |bank: u8, word: usize| Loc::Bank { bank, word };
    match issue.instr {
        Instr::MxuLoad { w } => install(cfg, t, w, &mut f),
        Instr::MxuRun {
            a,
            rows,
            acc,
            swap,
            accumulate,
            load,
        } => {
            let fd = cfg.array_feed_delay();
            if swap {
                for col in 0..cfg.cols {
                    f(rd(Loc::Shadow(col), t + 2 + fd));
                }
            }
            if let Some(w) = load {
                install(cfg, t, w, &mut f);
            }
            for r in 0..rows as u64 {
                let row = acc as usize + r as usize;
                f(port(Port::BankRead(0), t + 1 + r));
                f(rd(bw(0, a as usize + r as usize), t + 1 + r));
                // With the accumulator read stage the row is read a cycle earlier.
                let ar = t + 6 + fd + r - cfg.acc_read_delay();
                f(port(Port::AccRead, ar));
                if accumulate {
                    f(rd(Loc::Acc(row), ar));
                }
                f(port(Port::AccWrite, t + 7 + fd + r));
                f(wr(Loc::Acc(row), t + 7 + fd + r));
            }
        }
        Instr::RqParam { src } => {
            for k in 0..param_words(cfg) {
                let c = t + 1 + k as u64;
                f(port(Port::BankRead(src.bank), c));
                f(rd(bw(src.bank, src.word as usize + k), c));
                // The parameters are in flux during the whole load (the RTL shifts
                // the bytes in as the words arrive): every field changes at every edge.
                for col in 0..cfg.cols {
                    for field in [ParamField::Bias, ParamField::Mult, ParamField::Shift] {
                        f(wr(Loc::Param(field, col), c + 1));
                    }
                }
            }
        }
        Instr::RqRun { acc, rows, dst, .. } => {
            let beats = cfg.requant_beats() as u64;
            let steps = cfg.requant_steps as u64;
            let rl = cfg.requant_lanes;
            // The accumulator's read stage delays the read by `e` and the row (and so the
            // parameters it meets) by `l` = `2e`.
            let (e, l) = (cfg.requant_acc_read_delay(), cfg.requant_lane_delay());
            for r in 0..rows as u64 {
                let row = acc as usize + r as usize;
                for g in 0..beats {
                    let x = t + 1 + r * beats + g;
                    f(port(Port::AccRead, x + e));
                    if g % steps != 0 {
                        // Within a column group only the first beat's read is used.
                        continue;
                    }
                    f(rd(Loc::Acc(row), x + e));
                    let group = (g / steps) as usize;
                    for col in group * rl..(group + 1) * rl {
                        for field in [ParamField::Bias, ParamField::Mult, ParamField::Shift] {
                            f(rd(Loc::Param(field, col), x + 1 + l));
                        }
                    }
                }
                let c = t + (r + 1) * beats + cfg.requant_write_delay();
                f(port(Port::BankWrite(dst.bank), c));
                f(wr(bw(dst.bank, dst.word as usize + r as usize), c));
            }
        }
        Instr::VBin { dst, a, b, .. } => {
            for i in 0..v {
                let u = i as usize;
                f(port(Port::BankRead(a.bank), t + 1 + i));
                f(port(Port::BankRead(b.bank), t + 1 + i));
                f(rd(bw(a.bank, a.word as usize + u), t + 1 + i));
                f(rd(bw(b.bank, b.word as usize + u), t + 1 + i));
                f(port(Port::BankWrite(dst.bank), t + vd + i));
                f(wr(bw(dst.bank, dst.word as usize + u), t + vd + i));
            }
        }
        Instr::VUn { op, dst, a } => {
            for i in 0..v {
                let u = i as usize;
                f(port(Port::BankRead(a.bank), t + 1 + i));
                f(rd(bw(a.bank, a.word as usize + u), t + 1 + i));
                if op != VUnOp::Argmax {
                    f(port(Port::BankWrite(dst.bank), t + vd + i));
                    f(wr(bw(dst.bank, dst.word as usize + u), t + vd + i));
                }
            }
            if op == VUnOp::Argmax {
                f(port(Port::BankWrite(dst.bank), t + v + vd + 1));
                f(wr(bw(dst.bank, dst.word as usize), t + v + vd + 1));
            }
        }
        Instr::Send { src } => {
            let tt = cfg.link_frame_cycles();
            let p = cfg.link_frame_words();
            for j in 0..issue.frames {
                for i in 0..super::link_frame_len(cfg, issue.vlen, j) {
                    let c = t + j as u64 * tt + 1 + i as u64;
                    f(port(Port::BankRead(src.bank), c));
                    f(rd(bw(src.bank, src.word as usize + j as usize * p + i), c));
                }
                f(port(Port::LinkPost, t + j as u64 * tt + 2 + p as u64));
            }
        }
        Instr::Recv { dst } => {
            let tt = cfg.link_frame_cycles();
            let p = cfg.link_frame_words();
            for j in 0..issue.frames {
                f(port(Port::LinkCheck, t + j as u64 * tt + 1));
                for i in 0..super::link_frame_len(cfg, issue.vlen, j) {
                    let c = t + j as u64 * tt + 3 + i as u64;
                    f(port(Port::BankWrite(dst.bank), c));
                    f(wr(bw(dst.bank, dst.word as usize + j as usize * p + i), c));
                }
            }
            if issue.frames < super::link_frames(cfg, issue.vlen) {
                f(port(Port::LinkCheck, t + issue.frames as u64 * tt + 1));
            }
        }
        _ => {}
    }
}

/// The events of installing the weight tile at weight word `w`, issued at `t`.
fn install(cfg: &TileConfig, t: u64, w: u16, f: &mut impl FnMut(Event)) {
    let wb = cfg.weight_banks();
    for k in 0..cfg.install_cycles() {
        let c = t + 1 + k as u64;
        for j in 0..wb {
            f(Event::Port {
                port: Port::BankRead(1 + j as u8),
                cycle: c,
            });
            if k * wb + j < cfg.cols {
                f(Event::Read {
                    loc: Loc::Bank {
                        bank: 1 + j as u8,
                        word: w as usize + k,
                    },
                    cycle: c,
                });
                f(Event::Write {
                    loc: Loc::Shadow(k * wb + j),
                    cycle: c + 1 + cfg.array_feed_delay(),
                });
            }
        }
    }
}

impl Event {
    /// The same event `d` cycles later.
    pub fn later(self, d: u64) -> Event {
        match self {
            Event::Port { port, cycle } => Event::Port {
                port,
                cycle: cycle + d,
            },
            Event::Read { loc, cycle } => Event::Read {
                loc,
                cycle: cycle + d,
            },
            Event::Write { loc, cycle } => Event::Write {
                loc,
                cycle: cycle + d,
            },
        }
    }

    /// The cycle of the event.
    pub fn cycle(&self) -> u64 {
        match *self {
            Event::Port { cycle, .. } | Event::Read { cycle, .. } | Event::Write { cycle, .. } => {
                cycle
            }
        }
    }
}
