//! The sequencer, walked statically: an iterator over the issued instructions that
//! applies the issue checks and loop rules of `docs/isa.md` (see the parent module).

use super::{
    depth, link_frame_len, link_frames, mnemonic, param_words, timing, unit_name, End, Issue,
    LinkIn,
};
use crate::isa::{Instr, Status, Unit, VAddr, VUnOp, MAX_LOOP_DEPTH};
use crate::TileConfig;

/// One entry of the loop stack.
#[derive(Clone, Copy, Debug)]
struct Frame {
    /// Iterations still to run, counting the current one.
    left: u32,
    /// First body pc.
    start: usize,
    /// pc after the body.
    end: usize,
    /// pc of the `loop` instruction.
    pc: usize,
}

/// Units with a busy-until register, in this order.
const UNITS: [Unit; 6] = [
    Unit::MxuLoad,
    Unit::MxuRun,
    Unit::Rqu,
    Unit::Vxu,
    Unit::LinkTx,
    Unit::LinkRx,
];

fn unit_slot(u: Unit) -> Option<usize> {
    UNITS.iter().position(|&x| x == u)
}

/// The units an instruction occupies (none for the sequencer): its own, and MXU-load
/// for `mxu.run ... load w`.
fn units(i: &Instr) -> impl Iterator<Item = Unit> {
    let extra = matches!(i, Instr::MxuRun { load: Some(_), .. }).then_some(Unit::MxuLoad);
    let own = (i.unit() != Unit::Seq).then_some(i.unit());
    own.into_iter().chain(extra)
}

/// The vector-address operands of an instruction.
pub(crate) fn vaddrs(i: &Instr) -> impl Iterator<Item = VAddr> {
    let ops = match *i {
        Instr::RqParam { src } | Instr::Send { src } => [Some(src), None, None],
        Instr::RqRun { dst, .. } | Instr::Recv { dst } => [Some(dst), None, None],
        Instr::VBin { dst, a, b, .. } => [Some(dst), Some(a), Some(b)],
        Instr::VUn { dst, a, .. } => [Some(dst), Some(a), None],
        _ => [None, None, None],
    };
    ops.into_iter().flatten()
}

/// Iterator over the issued instructions of a program; after it returns `None`,
/// [`Walker::end`] tells how the run ended. Memory use is independent of the run's
/// length, so programs with millions of dynamic instructions walk in constant space.
#[derive(Clone)]
pub struct Walker<'a> {
    cfg: &'a TileConfig,
    /// Decoded instruction memory (only the words that can be fetched).
    code: Vec<Result<Instr, String>>,
    pc: usize,
    cycle: u64,
    vlen: u16,
    stack: Vec<Frame>,
    /// Busy-until cycle and the pc that set it, per unit of [`UNITS`].
    busy: [(u64, usize); 6],
    last_effect: u64,
    issued: u64,
    end: Option<End>,
    link_in: LinkIn,
    /// Receive-queue frames consumed by `recv`s so far.
    consumed: usize,
    /// A `recv` found a frame missing: (cycle, its pc, its frame number of the run).
    link_stop: Option<(u64, usize, usize)>,
}

impl<'a> Walker<'a> {
    /// Walk `prog` (each instruction taken through its encoding, as the hardware
    /// decodes it) on `cfg`.
    pub fn new(cfg: &'a TileConfig, prog: &[Instr]) -> Self {
        let words: Vec<u64> = prog.iter().map(Instr::encode).collect();
        Self::from_words(cfg, &words)
    }

    /// Walk a program given as 64-bit instruction words.
    pub fn from_words(cfg: &'a TileConfig, words: &[u64]) -> Self {
        let code = words
            .iter()
            .take(cfg.imem_depth)
            .map(|&w| Instr::decode(w).map_err(|e| e.reason))
            .collect();
        Walker {
            cfg,
            code,
            pc: 0,
            cycle: 0,
            vlen: 1,
            stack: Vec::new(),
            busy: [(0, 0); 6],
            last_effect: 0,
            issued: 0,
            end: None,
            link_in: LinkIn::None,
            consumed: 0,
            link_stop: None,
        }
    }

    /// The same walk with `link` as the receiver's input (default [`LinkIn::None`]).
    pub fn with_link(mut self, link: LinkIn) -> Self {
        self.link_in = link;
        self
    }

    /// How the run ended; `None` while the walk is still going.
    pub fn end(&self) -> Option<&End> {
        self.end.as_ref()
    }

    /// The pc of the next instruction to fetch.
    pub fn pc(&self) -> usize {
        self.pc
    }

    /// This walker's state (pc, cycle, loop stack, busy units, ...) on another program
    /// that shares every instruction fetched so far: the walk continues on `prog`.
    pub fn resume(&self, prog: &[Instr]) -> Walker<'a> {
        let mut w = Walker::new(self.cfg, prog);
        w.pc = self.pc;
        w.cycle = self.cycle;
        w.vlen = self.vlen;
        w.stack = self.stack.clone();
        w.busy = self.busy;
        w.last_effect = self.last_effect;
        w.issued = self.issued;
        w.end = self.end.clone();
        w.link_in = self.link_in.clone();
        w.consumed = self.consumed;
        w.link_stop = self.link_stop;
        w
    }

    /// The current `vlen` (the value the next instruction would issue with).
    pub fn vlen(&self) -> u16 {
        self.vlen
    }

    fn finish(&mut self, status: Status, detail: String, other_pc: Option<usize>) {
        self.end = Some(End {
            other_pc,
            status,
            pc: self.pc,
            cycle: self.cycle,
            predicted_cycles: 1 + self.cycle.max(self.last_effect),
            issued: self.issued,
            detail,
        });
    }

    /// The run stops with `LINK`: a `recv` (at `pc`) did not find frame `k` of the run
    /// in cycle `cycle`.
    fn finish_link(&mut self, cycle: u64, pc: usize, k: usize) {
        self.end = Some(End {
            other_pc: None,
            status: Status::Link,
            pc,
            cycle,
            predicted_cycles: 1 + cycle.max(self.last_effect),
            issued: self.issued,
            detail: format!(
                "recv at pc {pc}: frame {k} of the run was not in the receive queue in cycle {cycle}"
            ),
        });
    }

    /// The status and reason an instruction would fail to issue with now, if any.
    fn issue_error(&self, i: &Instr) -> Option<(Status, String, Option<usize>)> {
        let cfg = self.cfg;
        let pc = self.pc;
        let name = mnemonic(i);
        // ILLEGAL: bank numbers and loop structure.
        for va in vaddrs(i) {
            if va.bank as usize >= cfg.banks {
                return Some((
                    Status::Illegal,
                    format!("{name}: bank {} >= banks ({})", va.bank, cfg.banks),
                    None,
                ));
            }
        }
        if let Instr::Loop { end, .. } = *i {
            let end = end as usize;
            if end <= pc + 1 {
                return Some((
                    Status::Illegal,
                    format!(
                        "loop: end {end} is not after its first body instruction (pc {})",
                        pc + 1
                    ),
                    None,
                ));
            }
            if end > cfg.imem_depth {
                return Some((
                    Status::Illegal,
                    format!("loop: end {end} > imem_depth ({})", cfg.imem_depth),
                    None,
                ));
            }
            if let Some(top) = self.stack.last() {
                if end >= top.end {
                    return Some((
                        Status::Illegal,
                        format!(
                            "loop: end {end} is not strictly before the end {} of the enclosing loop at pc {}",
                            top.end, top.pc
                        ),
                        Some(top.pc),
                    ));
                }
            }
        }
        // RANGE.
        let v = self.vlen as usize;
        let ext = |what: &str, start: usize, len: usize, depth: usize, mem: String| {
            (start + len > depth).then(|| {
                (
                    Status::Range,
                    format!("{name}: {what} {start} + {len} > {depth} ({mem})"),
                    None,
                )
            })
        };
        let vext = |what: &str, va: VAddr, len: usize| {
            ext(
                what,
                va.word as usize,
                len,
                depth(cfg, va.bank),
                format!("depth of bank {}", va.bank),
            )
        };
        let acc = |a: u16, rows: u16| {
            ext(
                "acc",
                a as usize,
                rows as usize,
                cfg.acc_depth,
                "acc_depth".into(),
            )
        };
        let r = match *i {
            Instr::MxuLoad { w } => ext(
                "w",
                w as usize,
                cfg.install_cycles(),
                cfg.bank_depth,
                "bank_depth".into(),
            ),
            Instr::MxuRun {
                a,
                rows,
                acc: ac,
                load,
                ..
            } => ext(
                "a",
                a as usize,
                rows as usize,
                cfg.act_depth,
                "act_depth".into(),
            )
            .or_else(|| acc(ac, rows))
            .or_else(|| {
                load.and_then(|w| {
                    ext(
                        "load w",
                        w as usize,
                        cfg.install_cycles(),
                        cfg.bank_depth,
                        "bank_depth".into(),
                    )
                })
            }),
            Instr::RqParam { src } => vext("src", src, param_words(cfg)),
            Instr::RqRun {
                acc: ac, rows, dst, ..
            } => acc(ac, rows).or_else(|| vext("dst", dst, rows as usize)),
            Instr::VBin { dst, a, b, .. } => vext("dst", dst, v)
                .or_else(|| vext("a", a, v))
                .or_else(|| vext("b", b, v)),
            Instr::VUn { op, dst, a } => {
                let dl = if op == VUnOp::Argmax { 1 } else { v };
                vext("dst", dst, dl).or_else(|| vext("a", a, v))
            }
            Instr::Send { src } => vext("src", src, v),
            Instr::Recv { dst } => vext("dst", dst, v),
            Instr::Loop { .. } if self.stack.len() >= MAX_LOOP_DEPTH => Some((
                Status::Range,
                format!(
                    "loop: the loop stack already holds {MAX_LOOP_DEPTH} loops (innermost at pc {})",
                    self.stack.last().map_or(0, |f| f.pc)
                ),
                self.stack.last().map(|f| f.pc),
            )),
            _ => None,
        };
        if r.is_some() {
            return r;
        }
        // BUSY.
        for unit in units(i) {
            let (until, by) = self.busy[unit_slot(unit).expect("unit with a slot")];
            if self.cycle < until {
                return Some((
                    Status::Busy,
                    format!(
                        "{name} at cycle {}: unit {} is busy until cycle {until} with pc {by}",
                        self.cycle,
                        unit_name(unit)
                    ),
                    Some(by),
                ));
            }
        }
        None
    }
}

impl Iterator for Walker<'_> {
    type Item = Issue;

    fn next(&mut self) -> Option<Issue> {
        if self.end.is_some() {
            return None;
        }
        if let Some((x, rpc, k)) = self.link_stop {
            if self.cycle >= x {
                self.finish_link(x, rpc, k);
                return None;
            }
        }
        let pc = self.pc;
        if pc >= self.cfg.imem_depth {
            let d = format!(
                "pc {pc} reached the end of instruction memory (imem_depth {})",
                self.cfg.imem_depth
            );
            self.finish(Status::Pc, d, None);
            return None;
        }
        let instr = match self.code.get(pc) {
            Some(Ok(i)) => *i,
            Some(Err(reason)) => {
                let d = format!("illegal instruction word: {reason}");
                self.finish(Status::Illegal, d, None);
                return None;
            }
            None => {
                let d = format!("pc {pc} is past the program's end (empty word 0)");
                self.finish(Status::Illegal, d, None);
                return None;
            }
        };
        if let Some((status, detail, other)) = self.issue_error(&instr) {
            self.finish(status, detail, other);
            return None;
        }
        // Issue.
        let t = self.cycle;
        let tim = timing(self.cfg, &instr, self.vlen);
        for unit in units(&instr) {
            let busy = if unit == Unit::MxuLoad {
                self.cfg.install_cycles() as u64
            } else {
                tim.busy
            };
            self.busy[unit_slot(unit).expect("unit with a slot")] = (t + busy, pc);
        }
        let mut frames = 0;
        let mut last_effect = tim.last_effect;
        match instr {
            Instr::Send { .. } => frames = link_frames(self.cfg, self.vlen),
            Instr::Recv { .. } => {
                let n = link_frames(self.cfg, self.vlen);
                let tt = self.cfg.link_frame_cycles();
                while frames < n {
                    let due = t + frames as u64 * tt + 1;
                    let k = self.consumed + frames as usize;
                    if !self.link_in.ready(k, due) {
                        if self.link_stop.is_none() {
                            self.link_stop = Some((due, pc, k));
                        }
                        // The check cycle is the unit's last busy cycle.
                        last_effect = if frames == 0 {
                            1
                        } else {
                            let j = frames - 1;
                            (j as u64 * tt + link_frame_len(self.cfg, self.vlen, j) as u64 + 2)
                                .max(due - t)
                        };
                        break;
                    }
                    frames += 1;
                }
                self.consumed += frames as usize;
            }
            _ => {}
        }
        self.last_effect = self.last_effect.max(t + last_effect);
        let issue = Issue {
            index: self.issued,
            pc,
            cycle: t,
            vlen: self.vlen,
            instr,
            frames,
        };
        self.issued += 1;
        match instr {
            Instr::Halt => {
                match self.link_stop {
                    Some((x, rpc, k)) => self.finish_link(x, rpc, k),
                    None => self.finish(Status::Ok, String::new(), None),
                }
                return Some(issue);
            }
            Instr::Vlen(n) => self.vlen = n,
            Instr::Loop { n, end } => self.stack.push(Frame {
                left: n,
                start: pc + 1,
                end: end as usize,
                pc,
            }),
            _ => {}
        }
        self.cycle = t + tim.advance;
        self.pc = pc + 1;
        if let Some(top) = self.stack.last_mut() {
            if top.end == pc + 1 {
                if top.left > 1 {
                    top.left -= 1;
                    self.pc = top.start;
                } else {
                    self.stack.pop();
                }
            }
        }
        Some(issue)
    }
}
