//! The two assembler passes. Pass 1 lexes every line and gives each label its pc;
//! pass 2 evaluates `.equ` directives in order and parses each instruction's operands.
//! Loop structure and program length are checked last. A line with an error still
//! occupies its pc, so later labels and errors stay where they belong.

use super::lex::{lex, Tok, Token};
use super::operands::{bank_depth, eval, LineError, Operands, Symbols};
use super::{Diagnostic, Program, SrcLoc};
use crate::isa::{Instr, VBinOp, VUnOp, MAX_DEPTH, MAX_LOOP_DEPTH};
use crate::TileConfig;

/// Every mnemonic, in the order of the encoding table.
pub const MNEMONICS: [&str; 16] = [
    "nop", "wait", "loop", "halt", "vlen", "mxu.load", "mxu.run", "rq.param", "rq.run", "v.add",
    "v.max", "v.relu", "v.copy", "v.argmax", "send", "recv",
];

const ROWS_MAX: u64 = (1 << 14) - 1;
const WORD_MAX: u64 = MAX_DEPTH as u64 - 1;

/// What a line holds after its labels.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Empty,
    Directive,
    Instr,
}

struct Line<'s> {
    no: usize,
    text: &'s str,
    toks: Vec<Token>,
    /// Index of the first token after the labels.
    body: usize,
    kind: Kind,
    lex_failed: bool,
}

/// A loop's end operand: its value, text and column.
type LoopEnd = (u64, String, usize);

/// A `loop` whose end is checked once every instruction is known.
struct LoopRef {
    pc: usize,
    end: u64,
    text: String,
    line: usize,
    end_col: usize,
    mn_col: usize,
}

struct Asm<'a> {
    file: &'a str,
    cfg: Option<&'a TileConfig>,
    syms: Symbols,
    diags: Vec<Diagnostic>,
}

impl Asm<'_> {
    fn loc(&self, line: usize, column: usize) -> SrcLoc {
        SrcLoc {
            file: self.file.to_string(),
            line,
            column,
        }
    }

    fn error(&mut self, line: usize, column: usize, message: String) {
        let loc = self.loc(line, column);
        self.diags.push(Diagnostic { loc, message });
    }

    /// Pass 1: tokens, labels, which lines hold instructions.
    fn scan<'s>(&mut self, src: &'s str) -> Vec<Line<'s>> {
        let mut lines = Vec::new();
        let mut pc = 0;
        for (i, text) in src.lines().enumerate() {
            let no = i + 1;
            let (toks, err) = lex(text);
            let lex_failed = err.is_some();
            if let Some((col, msg)) = err {
                self.error(no, col, msg);
            }
            let mut body = 0;
            while let (Some(name), Some(Tok::Colon)) = (
                toks.get(body).and_then(Token::ident),
                toks.get(body + 1).map(|t| &t.tok),
            ) {
                if name.starts_with('.') {
                    break;
                }
                let col = toks[body].col;
                if let Some(&(_, prev)) = self.syms.labels.get(name) {
                    self.error(
                        no,
                        col,
                        format!("label `{name}` is already defined at line {prev}"),
                    );
                } else {
                    self.syms.labels.insert(name.to_string(), (pc, no));
                }
                body += 2;
            }
            let kind = match toks.get(body) {
                None => Kind::Empty,
                Some(t) if t.ident().is_some_and(|s| s.starts_with('.')) => {
                    if let (true, Some(name)) = (
                        t.text.eq_ignore_ascii_case(".equ"),
                        toks.get(body + 1).and_then(Token::ident),
                    ) {
                        self.syms.equ_lines.entry(name.to_string()).or_insert(no);
                    }
                    Kind::Directive
                }
                Some(_) => {
                    pc += 1;
                    Kind::Instr
                }
            };
            lines.push(Line {
                no,
                text,
                toks,
                body,
                kind,
                lex_failed,
            });
        }
        lines
    }

    /// `.equ NAME, value`.
    fn directive(&mut self, line: &Line) -> Result<(), LineError> {
        let toks = &line.toks[line.body..];
        let d = &toks[0];
        if !d.text.eq_ignore_ascii_case(".equ") {
            return Err((
                d.col,
                format!("unknown directive `{}`; expected .equ", d.text),
            ));
        }
        let usage = "expected `.equ NAME, value`";
        let name = match toks.get(1) {
            Some(t) if t.ident().is_some_and(|s| !s.starts_with('.')) => t,
            Some(t) => return Err((t.col, format!("{usage}, found `{}`", t.text))),
            None => return Err((d.col, format!("{usage}: the name is missing"))),
        };
        match toks.get(2) {
            Some(t) if t.tok == Tok::Comma => {}
            Some(t) => return Err((t.col, format!("{usage}, found `{}`", t.text))),
            None => return Err((name.col, format!("{usage}: the value is missing"))),
        }
        let key = name.text.clone();
        if let Some(&(_, prev)) = self.syms.consts.get(&key) {
            return Err((
                name.col,
                format!("constant `{key}` is already defined at line {prev}"),
            ));
        }
        if let Some(&(_, prev)) = self.syms.labels.get(&key) {
            return Err((
                name.col,
                format!("`{key}` is already a label (line {prev}); a constant needs its own name"),
            ));
        }
        let at = toks[2].col + 1;
        let value = eval(&toks[3..], &self.syms, false, at)
            .map_err(|(c, m)| (c, format!(".equ {key}: {m}")));
        self.syms
            .consts
            .insert(key, (value.as_ref().ok().copied(), line.no));
        value.map(|_| ())
    }

    /// One instruction (the tokens from the mnemonic on); a loop's end comes back
    /// separately.
    fn instr(&self, line: &Line) -> Result<(Instr, Option<LoopEnd>), LineError> {
        let toks = &line.toks[line.body..];
        let m = &toks[0];
        let expected = format!("expected one of {}", MNEMONICS.join(", "));
        let Some(name) = m.ident() else {
            return Err((
                m.col,
                format!("expected a mnemonic, found `{}`; {expected}", m.text),
            ));
        };
        let lower = name.to_ascii_lowercase();
        let Some(mn) = MNEMONICS.iter().find(|&&x| x == lower) else {
            return Err((m.col, format!("unknown mnemonic `{name}`; {expected}")));
        };
        let mut ops = Operands::new(mn, m.col, line.text, &toks[1..], &self.syms, self.cfg);
        let cfg = self.cfg;
        let vsig = "dst, a, b";
        let usig = "dst, a";
        let i = match *mn {
            "nop" | "halt" => {
                ops.arity(0, "")?;
                if *mn == "nop" {
                    Instr::Nop
                } else {
                    Instr::Halt
                }
            }
            "wait" => {
                ops.arity(1, "n")?;
                Instr::Wait(ops.num(0, "n", 0, u32::MAX as u64)? as u32)
            }
            "vlen" => {
                ops.arity(1, "n")?;
                Instr::Vlen(ops.num(0, "n", 1, MAX_DEPTH as u64)? as u16)
            }
            "loop" => {
                ops.arity(2, "n, end")?;
                let n = ops.num(0, "n", 1, (1 << 24) - 1)? as u32;
                let (end, text) = ops.expr(1, true)?;
                return Ok((Instr::Loop { n, end: 0 }, Some((end, text, ops.col(1)))));
            }
            "mxu.load" => {
                ops.arity(1, "w")?;
                let w = ops.num(0, "w", 0, WORD_MAX)?;
                if let Some(c) = cfg {
                    let i = c.install_cycles();
                    ops.extent(0, "w + I", w, i as u64, "bank_depth", c.bank_depth)
                        .map_err(|(col, m)| (col, format!("{m} (I = {i} install words)")))?;
                }
                Instr::MxuLoad { w: w as u16 }
            }
            "mxu.run" => {
                ops.arity(6, "a, rows, acc [, swap] [, acc] [, load w]")?;
                let a = ops.num(0, "a", 0, WORD_MAX)?;
                let rows = ops.num(1, "rows", 1, ROWS_MAX)?;
                let acc = ops.num(2, "acc", 0, WORD_MAX)?;
                let f = ops.flags(3, &[("swap", None), ("acc", None), ("load", Some("w"))])?;
                if let Some(c) = cfg {
                    ops.extent(0, "a + rows", a, rows, "act_depth", c.act_depth)?;
                    ops.extent(2, "acc + rows", acc, rows, "acc_depth", c.acc_depth)?;
                }
                let load = match f[2] {
                    None => None,
                    Some((w, k)) => {
                        if w > WORD_MAX {
                            return Err(
                                ops.err(k, format!("load w {w} is out of range 0..={WORD_MAX}"))
                            );
                        }
                        if let Some(c) = cfg {
                            let i = c.install_cycles();
                            ops.extent(k, "load w + I", w, i as u64, "bank_depth", c.bank_depth)
                                .map_err(|(col, m)| {
                                    (col, format!("{m} (I = {i} install words)"))
                                })?;
                        }
                        Some(w as u16)
                    }
                };
                Instr::MxuRun {
                    a: a as u16,
                    rows: rows as u16,
                    acc: acc as u16,
                    swap: f[0].is_some(),
                    accumulate: f[1].is_some(),
                    load,
                }
            }
            "rq.param" => {
                ops.arity(1, "src")?;
                let src = ops.vaddr(0)?;
                if let Some(c) = cfg {
                    let (l, n) = (c.lanes, c.cols);
                    let pw = (4 * n).div_ceil(l) + (2 * n).div_ceil(l) + n.div_ceil(l);
                    let (what, depth) = bank_depth(c, src.bank);
                    ops.extent(0, "src + pw", src.word as u64, pw as u64, what, depth)
                        .map_err(|(col, m)| (col, format!("{m} (pw = {pw} parameter words)")))?;
                }
                Instr::RqParam { src }
            }
            "rq.run" => {
                ops.arity(4, "acc, rows, dst [, relu]")?;
                let acc = ops.num(0, "acc", 0, WORD_MAX)?;
                let rows = ops.num(1, "rows", 1, ROWS_MAX)?;
                let dst = ops.vaddr(2)?;
                let f = ops.flags(3, &[("relu", None)])?;
                if let Some(c) = cfg {
                    ops.extent(0, "acc + rows", acc, rows, "acc_depth", c.acc_depth)?;
                    let (what, depth) = bank_depth(c, dst.bank);
                    ops.extent(2, "dst + rows", dst.word as u64, rows, what, depth)?;
                }
                Instr::RqRun {
                    acc: acc as u16,
                    rows: rows as u16,
                    dst,
                    relu: f[0].is_some(),
                }
            }
            "v.add" | "v.max" => {
                ops.arity(3, vsig)?;
                Instr::VBin {
                    op: if *mn == "v.add" {
                        VBinOp::Add
                    } else {
                        VBinOp::Max
                    },
                    dst: ops.vaddr(0)?,
                    a: ops.vaddr(1)?,
                    b: ops.vaddr(2)?,
                }
            }
            "v.relu" | "v.copy" | "v.argmax" => {
                ops.arity(2, usig)?;
                Instr::VUn {
                    op: match *mn {
                        "v.relu" => VUnOp::Relu,
                        "v.copy" => VUnOp::Copy,
                        _ => VUnOp::Argmax,
                    },
                    dst: ops.vaddr(0)?,
                    a: ops.vaddr(1)?,
                }
            }
            "send" => {
                ops.arity(1, "src")?;
                Instr::Send { src: ops.vaddr(0)? }
            }
            _ => {
                ops.arity(1, "dst")?;
                Instr::Recv { dst: ops.vaddr(0)? }
            }
        };
        Ok((i, None))
    }

    /// Loop rules of `docs/isa.md`: `pc + 1 < end <= len`, at most 4 deep, an inner
    /// loop ends strictly before its enclosing loop. Returns the loops that passed.
    fn check_loops(&mut self, loops: &[LoopRef], len: usize) -> Vec<bool> {
        let mut ok = vec![false; loops.len()];
        let mut stack: Vec<&LoopRef> = Vec::new();
        for (k, l) in loops.iter().enumerate() {
            while stack.last().is_some_and(|t| t.end as usize <= l.pc) {
                stack.pop();
            }
            let first = l.pc as u64 + 1;
            let msg = if l.end <= first {
                format!(
                    "loop end `{}` (pc {}) must be after the loop body's first instruction (pc {first}): the body, up to but not including the end, may not be empty",
                    l.text, l.end
                )
            } else if l.end > len as u64 {
                format!(
                    "loop end `{}` (pc {}) is outside the program ({len} instruction{}); the end may be at most {len}",
                    l.text,
                    l.end,
                    if len == 1 { "" } else { "s" }
                )
            } else if let Some(o) = stack.last().filter(|o| l.end >= o.end) {
                format!(
                    "loop end `{}` (pc {}) must be strictly before the end of the enclosing loop at line {} (pc {})",
                    l.text, l.end, o.line, o.end
                )
            } else if stack.len() == MAX_LOOP_DEPTH {
                let lines: Vec<String> = stack.iter().map(|o| o.line.to_string()).collect();
                self.error(
                    l.line,
                    l.mn_col,
                    format!(
                        "loops nest at most {MAX_LOOP_DEPTH} deep; this loop would be the {}th (enclosing loops at lines {})",
                        MAX_LOOP_DEPTH + 1,
                        lines.join(", ")
                    ),
                );
                continue;
            } else {
                stack.push(l);
                ok[k] = true;
                continue;
            };
            self.error(l.line, l.end_col, msg);
        }
        ok
    }
}

/// Assemble; every error found, unsorted.
pub(crate) fn assemble(
    src: &str,
    file: &str,
    cfg: Option<&TileConfig>,
) -> Result<Program, Vec<Diagnostic>> {
    let mut asm = Asm {
        file,
        cfg,
        syms: Symbols::default(),
        diags: Vec::new(),
    };
    let lines = asm.scan(src);
    let mut instrs = Vec::new();
    let mut locs = Vec::new();
    let mut loops = Vec::new();
    for line in &lines {
        match line.kind {
            Kind::Empty => {}
            Kind::Directive if line.lex_failed => {}
            Kind::Directive => {
                if let Err((col, msg)) = asm.directive(line) {
                    asm.error(line.no, col, msg);
                }
            }
            Kind::Instr => {
                let mn_col = line.toks[line.body].col;
                let pc = instrs.len();
                locs.push(asm.loc(line.no, mn_col));
                let parsed = if line.lex_failed {
                    Ok((Instr::Nop, None))
                } else {
                    asm.instr(line)
                };
                match parsed {
                    Ok((i, end)) => {
                        if let Some((end, text, end_col)) = end {
                            loops.push(LoopRef {
                                pc,
                                end,
                                text,
                                line: line.no,
                                end_col,
                                mn_col,
                            });
                        }
                        instrs.push(i);
                    }
                    Err((col, msg)) => {
                        asm.error(line.no, col, msg);
                        instrs.push(Instr::Nop);
                    }
                }
            }
        }
    }
    let ok = asm.check_loops(&loops, instrs.len());
    for (l, ok) in loops.iter().zip(ok) {
        if let (true, Instr::Loop { end, .. }) = (ok, &mut instrs[l.pc]) {
            *end = l.end as u16;
        }
    }
    let (limit, why) = match cfg {
        Some(c) => (
            c.imem_depth,
            format!("config `{}` has imem_depth {}", c.name, c.imem_depth),
        ),
        None => (
            MAX_DEPTH,
            format!("no instruction memory is deeper than {MAX_DEPTH}"),
        ),
    };
    if instrs.len() > limit {
        let at = locs[limit].clone();
        asm.error(
            at.line,
            at.column,
            format!(
                "program has {} instructions but {why}; this is instruction {limit}, the first that does not fit",
                instrs.len()
            ),
        );
    }
    if asm.diags.is_empty() {
        Ok(Program { instrs, locs })
    } else {
        Err(asm.diags)
    }
}
