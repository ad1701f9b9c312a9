//! The assembler's checker: every error the hardware would raise, plus what the
//! hardware does not detect: **port conflicts** (two uses of one read or write port of
//! a bank or of the accumulator in one cycle; an instruction may conflict with itself,
//! e.g. `v.add` with both sources in one bank; with `weight_bank_kind = "spram"` each
//! weight bank is single-ported, so a read and a write of one weight bank in one cycle
//! conflict too, as `hdl/src/spram_bank.rs` requires) and **data hazards** on bank words,
//! accumulator rows, shadow weight columns and requantization parameters.
//!
//! Hazard rule (times are the edges of [`events`](super::events)): an access of a
//! later instruction in program order (or a later element of the same instruction)
//! conflicts with an earlier access to the same location when it lands at or before
//! the earlier one's edge and at least one of the two is a write: RAW (later read at
//! `<=` an earlier write), WAR (later write at `<=` an earlier read), WAW (later write
//! at `<=` an earlier write). Same-edge pairs are rejected for bank words and
//! accumulator rows, so the result never depends on an SRAM's read-during-write
//! behaviour; for registers (shadow weights, requantization parameters) a read samples
//! the old value at its edge, so a write on the same edge as an *earlier* read is in
//! order (this is what `mxu.run ... swap, load w` does: the swap takes the old shadow
//! while the install's first write lands on the same edge), WAR there needs the write
//! strictly before the read. A program without such pairs
//! computes, at every read, the value in-order execution gives, which is what
//! [`crate::exec::run`] computes.
//!
//! Errors are reported once per (kind, pc, other pc); at most [`MAX_ERRORS`] are kept.

use super::{events, mnemonic, End, Event, Issue, LinkIn, Loc, ParamField, Port, Schedule, Walker};
use crate::isa::{Instr, Status};
use crate::{BankKind, TileConfig};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// Most errors one check reports.
pub const MAX_ERRORS: usize = 100;

/// Kinds of data hazard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HazardKind {
    /// Read after write: the read lands at or before the earlier write.
    Raw,
    /// Write after read: the write lands at or before the earlier read.
    War,
    /// Write after write: the write lands at or before the earlier write.
    Waw,
}

/// What a [`CheckError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// The hardware would stop with `ILLEGAL` (or the instruction does not encode as
    /// written).
    Illegal,
    /// The hardware would stop with `RANGE`.
    Range,
    /// The hardware would stop with `BUSY`.
    Busy,
    /// The hardware would stop with `UNSUPPORTED`.
    Unsupported,
    /// The hardware would stop with `PC` (or the program does not fit `imem_depth`).
    Pc,
    /// The hardware would stop with `LINK` (only with a given link input).
    Link,
    /// Two uses of one memory port in one cycle.
    Port,
    /// A data hazard.
    Hazard(HazardKind),
}

impl CheckKind {
    /// The status code the kind corresponds to (`None` for hazards).
    pub fn status(self) -> Option<Status> {
        Some(match self {
            CheckKind::Illegal => Status::Illegal,
            CheckKind::Range => Status::Range,
            CheckKind::Busy => Status::Busy,
            CheckKind::Unsupported => Status::Unsupported,
            CheckKind::Pc => Status::Pc,
            CheckKind::Link => Status::Link,
            CheckKind::Port => Status::Port,
            CheckKind::Hazard(_) => return None,
        })
    }

    /// The kind for a (non-`Ok`) status.
    pub fn from_status(s: Status) -> CheckKind {
        match s {
            Status::Illegal | Status::Ok => CheckKind::Illegal,
            Status::Range => CheckKind::Range,
            Status::Busy => CheckKind::Busy,
            Status::Port => CheckKind::Port,
            Status::Unsupported => CheckKind::Unsupported,
            Status::Pc => CheckKind::Pc,
            Status::Link => CheckKind::Link,
        }
    }

    /// Upper-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            CheckKind::Hazard(HazardKind::Raw) => "RAW hazard",
            CheckKind::Hazard(HazardKind::War) => "WAR hazard",
            CheckKind::Hazard(HazardKind::Waw) => "WAW hazard",
            k => k.status().expect("status kind").name(),
        }
    }
}

/// One problem found by the checker.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CheckError {
    /// pc of the offending (later) instruction.
    pub pc: usize,
    /// pc of the other instruction involved (the earlier access, the busy unit's
    /// instruction), when there is one.
    pub other_pc: Option<usize>,
    /// Cycle of the conflict (for hardware errors: the cycle of the failed issue).
    pub cycle: u64,
    /// What kind of problem.
    pub kind: CheckKind,
    /// The whole story: both instructions (pc and mnemonic), the memory, port or word.
    pub message: String,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "pc {}, cycle {}: {}: {}",
            self.pc,
            self.cycle,
            self.kind.name(),
            self.message
        )
    }
}

/// Last access to a location: edge (0 = none), pc and mnemonic.
#[derive(Clone, Copy, Default)]
struct Stamp {
    time: u64,
    pc: usize,
    name: &'static str,
}

impl Stamp {
    fn who(&self) -> String {
        format!("pc {} ({})", self.pc, self.name)
    }
}

/// The latest read and write of one location.
#[derive(Clone, Copy, Default)]
struct Hist {
    rd: Stamp,
    wr: Stamp,
}

/// FxHash-style hasher: the maps are keyed by small integers, hashed per access.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(x as u64);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// Incremental checker: feed it the issued instructions in order, then
/// [`Checker::finish`] with the walk's end. Its memory grows with the locations the
/// program touches (and the ports in use ahead of the current cycle), not with the
/// run's length, and cloning it is cheap.
#[derive(Clone)]
pub struct Checker<'a> {
    cfg: &'a TileConfig,
    locs: FxMap<Loc, Hist>,
    ports: FxMap<(Port, u64), Stamp>,
    prune_at: usize,
    errors: Vec<CheckError>,
    seen: HashSet<(CheckKind, usize, usize)>,
    buf: Vec<Event>,
}

impl<'a> Checker<'a> {
    /// A checker with no history.
    pub fn new(cfg: &'a TileConfig) -> Self {
        Checker {
            cfg,
            locs: FxMap::default(),
            ports: FxMap::default(),
            prune_at: 4096,
            errors: Vec::new(),
            seen: HashSet::new(),
            buf: Vec::new(),
        }
    }

    /// The physical port: a single-ported SPRAM weight bank reads and writes through
    /// one port (reported as its read port).
    fn physical(&self, port: Port) -> Port {
        match port {
            Port::BankWrite(b) if b > 0 && self.cfg.weight_bank_kind == BankKind::Spram => {
                Port::BankRead(b)
            }
            p => p,
        }
    }

    fn push(&mut self, kind: CheckKind, pc: usize, other: Option<usize>, cycle: u64, msg: String) {
        if self.errors.len() >= MAX_ERRORS
            || !self.seen.insert((kind, pc, other.unwrap_or(usize::MAX)))
        {
            return;
        }
        self.errors.push(CheckError {
            pc,
            other_pc: other,
            cycle,
            kind,
            message: msg,
        });
    }

    /// Check one issued instruction against everything issued before it.
    pub fn issue(&mut self, issue: &Issue) {
        let pc = issue.pc;
        let me = |time| Stamp {
            time,
            pc,
            name: mnemonic(&issue.instr),
        };
        if self.ports.len() >= self.prune_at {
            // Every later access is after the current issue cycle.
            self.ports.retain(|&(_, c), _| c > issue.cycle);
            self.prune_at = (2 * self.ports.len()).max(4096);
        }
        let mut evs = std::mem::take(&mut self.buf);
        evs.clear();
        events(self.cfg, issue, |e| evs.push(e));
        for &e in &evs {
            match e {
                Event::Port { port, cycle } => {
                    let port = self.physical(port);
                    if let Some(other) = self.ports.get(&(port, cycle)).copied() {
                        let msg = format!(
                            "{} and {} both use the {} in cycle {cycle}",
                            other.who(),
                            me(cycle).who(),
                            port_name(self.cfg, port)
                        );
                        self.push(CheckKind::Port, pc, Some(other.pc), cycle, msg);
                    } else {
                        self.ports.insert((port, cycle), me(cycle));
                    }
                }
                Event::Read { loc, cycle } => {
                    let h = self.locs.entry(loc).or_default();
                    let w = h.wr;
                    if cycle >= h.rd.time {
                        h.rd = me(cycle);
                    }
                    if w.time != 0 && cycle <= w.time {
                        let msg = format!(
                            "{} reads {} at cycle {cycle}, not after {} writes it at cycle {}",
                            me(cycle).who(),
                            loc_name(loc),
                            w.who(),
                            w.time
                        );
                        let k = CheckKind::Hazard(HazardKind::Raw);
                        self.push(k, pc, Some(w.pc), cycle, msg);
                    }
                }
                Event::Write { loc, cycle } => {
                    let h = self.locs.entry(loc).or_default();
                    let (r, w) = (h.rd, h.wr);
                    if cycle >= w.time {
                        h.wr = me(cycle);
                    }
                    // A register read at an edge samples the old value, so a write
                    // on the same edge as an earlier read is in order.
                    let reg = matches!(loc, Loc::Shadow(_) | Loc::Param(..));
                    let war_limit = if reg {
                        r.time.saturating_sub(1)
                    } else {
                        r.time
                    };
                    let checks = [
                        (war_limit, r, HazardKind::War, "reads"),
                        (w.time, w, HazardKind::Waw, "writes"),
                    ];
                    for (limit, s, kind, verb) in checks {
                        if limit != 0 && cycle <= limit {
                            let msg = format!(
                                "{} writes {} at cycle {cycle}, not after {} {verb} it at cycle {}",
                                me(cycle).who(),
                                loc_name(loc),
                                s.who(),
                                s.time
                            );
                            self.push(CheckKind::Hazard(kind), pc, Some(s.pc), cycle, msg);
                        }
                    }
                }
            }
        }
        self.buf = evs;
    }

    /// Errors found so far (port conflicts and hazards).
    pub fn errors(&self) -> &[CheckError] {
        &self.errors
    }

    /// Add the hardware error the walk ended with (if any) and return every error.
    pub fn finish(mut self, end: &End) -> Vec<CheckError> {
        if end.status != Status::Ok {
            let other = end.other_pc;
            let kind = CheckKind::from_status(end.status);
            let msg = format!("pc {}: {}", end.pc, end.detail);
            // Always report the hardware error, even past the cap.
            self.errors.push(CheckError {
                pc: end.pc,
                other_pc: other,
                cycle: end.cycle,
                kind,
                message: msg,
            });
        }
        self.errors
    }
}

fn port_name(cfg: &TileConfig, p: Port) -> String {
    match p {
        Port::BankRead(b) if b > 0 && cfg.weight_bank_kind == BankKind::Spram => {
            format!("single read/write port of SPRAM bank {b}")
        }
        Port::BankRead(b) => format!("read port of bank {b}"),
        Port::BankWrite(b) => format!("write port of bank {b}"),
        Port::AccRead => "accumulator read port".into(),
        Port::AccWrite => "accumulator write port".into(),
        Port::LinkPost => "link transmitter's post".into(),
        Port::LinkCheck => "link receive queue".into(),
    }
}

fn loc_name(l: Loc) -> String {
    match l {
        Loc::Bank { bank, word } => format!("b{bank}:{word}"),
        Loc::Acc(r) => format!("accumulator row {r}"),
        Loc::Shadow(c) => format!("the shadow weights of column {c}"),
        Loc::Param(f, c) => {
            let f = match f {
                ParamField::Bias => "bias",
                ParamField::Mult => "multiplier",
                ParamField::Shift => "shift",
            };
            format!("the requant {f} of column {c}")
        }
    }
}

fn check_impl(cfg: &TileConfig, prog: &[Instr], keep: bool) -> (Vec<Issue>, End, Vec<CheckError>) {
    let mut errors = Vec::new();
    for (pc, i) in prog.iter().enumerate() {
        if let Ok(d) = Instr::decode(i.encode()) {
            if d != *i {
                errors.push(CheckError {
                    pc,
                    other_pc: None,
                    cycle: 0,
                    kind: CheckKind::Illegal,
                    message: format!(
                        "pc {pc} ({}): an operand does not fit its field; {i:?} encodes as {d:?}",
                        mnemonic(i)
                    ),
                });
            }
        }
    }
    if prog.len() > cfg.imem_depth {
        errors.push(CheckError {
            pc: cfg.imem_depth,
            other_pc: None,
            cycle: 0,
            kind: CheckKind::Pc,
            message: format!(
                "the program has {} instructions but imem_depth is {}",
                prog.len(),
                cfg.imem_depth
            ),
        });
    }
    // One card's view: every frame a `recv` needs is there when due (whether it can
    // be is the ring model's check, `crate::ring`).
    let mut walker = Walker::new(cfg, prog).with_link(LinkIn::Always);
    let mut checker = Checker::new(cfg);
    let mut issues = Vec::new();
    for is in walker.by_ref() {
        checker.issue(&is);
        if keep {
            issues.push(is);
        }
    }
    let end = walker.end().expect("walk finished").clone();
    errors.extend(checker.finish(&end));
    (issues, end, errors)
}

/// Check `prog` on `cfg`: the schedule when the run halts with no port conflict and no
/// hazard, else every error found (hardware errors, port conflicts, hazards).
pub fn check(cfg: &TileConfig, prog: &[Instr]) -> Result<Schedule, Vec<CheckError>> {
    let (issues, end, errors) = check_impl(cfg, prog, true);
    if errors.is_empty() {
        Ok(Schedule { issues, end })
    } else {
        Err(errors)
    }
}

/// As [`check`], without storing the trace (constant memory in the run's length).
pub fn check_summary(cfg: &TileConfig, prog: &[Instr]) -> Result<End, Vec<CheckError>> {
    let (_, end, errors) = check_impl(cfg, prog, false);
    if errors.is_empty() {
        Ok(end)
    } else {
        Err(errors)
    }
}
