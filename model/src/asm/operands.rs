//! Operands of one instruction: splitting at commas, evaluating numbers (literals,
//! `.equ` constants, sums), vector addresses `bK:W`, flags, and the range checks that
//! need no vector length.

use super::lex::{Tok, Token};
use crate::isa::{VAddr, BANK_BITS, MAX_DEPTH};
use crate::TileConfig;
use std::collections::HashMap;

/// An error inside a line: column and message.
pub(crate) type LineError = (usize, String);

/// Names known to the assembler.
#[derive(Default)]
pub(crate) struct Symbols {
    /// Label -> (pc, line).
    pub labels: HashMap<String, (usize, usize)>,
    /// Every `.equ` name -> line of its first definition (from the first pass).
    pub equ_lines: HashMap<String, usize>,
    /// Constants defined so far -> (value, or None if its `.equ` failed; line).
    pub consts: HashMap<String, (Option<u64>, usize)>,
}

/// The text of `toks` as written in `line`.
pub(crate) fn span_text(line: &str, toks: &[Token]) -> String {
    match (toks.first(), toks.last()) {
        (Some(a), Some(b)) => {
            let end = b.col - 1 + b.text.chars().count();
            line.chars()
                .skip(a.col - 1)
                .take(end - (a.col - 1))
                .collect()
        }
        _ => String::new(),
    }
}

/// Evaluate `term (+|- term)*`, where a term is a number, a constant, or (if
/// `allow_labels`) a label.
pub(crate) fn eval(
    toks: &[Token],
    syms: &Symbols,
    allow_labels: bool,
    at: usize,
) -> Result<u64, LineError> {
    let what = if allow_labels {
        "a label, number or .equ constant"
    } else {
        "a number or .equ constant"
    };
    let Some(first) = toks.first() else {
        return Err((at, format!("missing: expected {what}")));
    };
    let mut value = term(first, syms, allow_labels, what)?;
    let mut i = 1;
    while i < toks.len() {
        let op = &toks[i];
        let plus = match op.tok {
            Tok::Plus => true,
            Tok::Minus => false,
            _ => {
                return Err((
                    op.col,
                    format!("expected `+`, `-`, `,` or end of line, found `{}`", op.text),
                ))
            }
        };
        let Some(t) = toks.get(i + 1) else {
            return Err((op.col, format!("expected {what} after `{}`", op.text)));
        };
        let v = term(t, syms, allow_labels, what)?;
        value = if plus {
            value
                .checked_add(v)
                .ok_or_else(|| (op.col, format!("{value} + {v} overflows 64 bits")))?
        } else {
            value.checked_sub(v).ok_or_else(|| {
                (
                    op.col,
                    format!("{value} - {v} is negative; numbers are unsigned"),
                )
            })?
        };
        i += 2;
    }
    Ok(value)
}

fn term(t: &Token, syms: &Symbols, allow_labels: bool, what: &str) -> Result<u64, LineError> {
    let name = match &t.tok {
        Tok::Num(v) => return Ok(*v),
        Tok::Ident(s) => s,
        _ => return Err((t.col, format!("expected {what}, found `{}`", t.text))),
    };
    if let Some(&(v, line)) = syms.consts.get(name) {
        return v.ok_or_else(|| {
            (
                t.col,
                format!("constant `{name}` has no value: its .equ at line {line} failed"),
            )
        });
    }
    if let Some(&(pc, line)) = syms.labels.get(name) {
        if allow_labels {
            return Ok(pc as u64);
        }
        return Err((
            t.col,
            format!(
                "`{name}` is a label (line {line}); only .equ constants can be used as numbers (labels are loop ends)"
            ),
        ));
    }
    if let Some(line) = syms.equ_lines.get(name) {
        return Err((
            t.col,
            format!("constant `{name}` is used before its definition (.equ at line {line})"),
        ));
    }
    let kind = if allow_labels {
        "label or constant"
    } else {
        "constant"
    };
    Err((t.col, format!("undefined {kind} `{name}`; expected {what}")))
}

/// The name and depth of bank `bank` in `cfg`.
pub(crate) fn bank_depth(cfg: &TileConfig, bank: u8) -> (&'static str, usize) {
    if bank == 0 {
        ("act_depth", cfg.act_depth)
    } else {
        ("bank_depth", cfg.bank_depth)
    }
}

/// The operands of one instruction.
pub(crate) struct Operands<'a> {
    /// Canonical (lower-case) mnemonic.
    pub mn: &'a str,
    /// Column of the mnemonic.
    pub mn_col: usize,
    line: &'a str,
    groups: Vec<(usize, &'a [Token])>,
    syms: &'a Symbols,
    /// The configuration checked against, if any.
    pub cfg: Option<&'a TileConfig>,
    /// The operands, for messages (`a, rows, acc [, swap]`).
    sig: String,
}

impl<'a> Operands<'a> {
    /// Split `toks` (everything after the mnemonic) at commas.
    pub fn new(
        mn: &'a str,
        mn_col: usize,
        line: &'a str,
        toks: &'a [Token],
        syms: &'a Symbols,
        cfg: Option<&'a TileConfig>,
    ) -> Operands<'a> {
        let mut groups = Vec::new();
        if !toks.is_empty() {
            let mut start = 0;
            let mut prev_comma = None;
            for (i, t) in toks.iter().enumerate() {
                if t.tok == Tok::Comma {
                    let col = if i > start { toks[start].col } else { t.col };
                    groups.push((col, &toks[start..i]));
                    start = i + 1;
                    prev_comma = Some(t.col);
                }
            }
            let col = toks
                .get(start)
                .map_or(prev_comma.unwrap_or(mn_col), |t| t.col);
            groups.push((col, &toks[start..]));
        }
        Operands {
            mn,
            mn_col,
            line,
            groups,
            syms,
            cfg,
            sig: String::new(),
        }
    }

    /// Number of operands written.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Column of operand `i`.
    pub fn col(&self, i: usize) -> usize {
        self.groups[i].0
    }

    /// An error about operand `i`.
    pub fn err(&self, i: usize, msg: String) -> LineError {
        (
            self.col(i),
            format!("operand {} of {}: {msg}", i + 1, self.mn),
        )
    }

    /// Declare the operands (`sig` lists them) and require at most `max`; a missing
    /// one is reported when it is read, so errors in earlier operands come first.
    pub fn arity(&mut self, max: usize, sig: &str) -> Result<(), LineError> {
        self.sig = sig.to_string();
        if self.len() > max {
            return Err((
                self.col(max),
                format!(
                    "unexpected operand {} of {}: {}",
                    max + 1,
                    self.mn,
                    self.takes()
                ),
            ));
        }
        Ok(())
    }

    fn takes(&self) -> String {
        if self.sig.is_empty() {
            format!("{} takes no operands", self.mn)
        } else {
            format!("{} takes {}", self.mn, self.sig)
        }
    }

    /// The tokens of operand `i`, or the error that it is missing.
    fn group(&self, i: usize) -> Result<(usize, &'a [Token]), LineError> {
        self.groups.get(i).copied().ok_or_else(|| {
            (
                self.mn_col,
                format!("missing operand {} of {}: {}", i + 1, self.mn, self.takes()),
            )
        })
    }

    /// Operand `i` as an expression (labels allowed or not) and its text.
    pub fn expr(&self, i: usize, allow_labels: bool) -> Result<(u64, String), LineError> {
        let (col, toks) = self.group(i)?;
        let v = eval(toks, self.syms, allow_labels, col)
            .map_err(|(c, m)| (c, format!("operand {} of {}: {m}", i + 1, self.mn)))?;
        Ok((v, span_text(self.line, toks)))
    }

    /// Operand `i`, a number named `name` in `lo..=hi`.
    pub fn num(&self, i: usize, name: &str, lo: u64, hi: u64) -> Result<u64, LineError> {
        let (v, _) = self.expr(i, false)?;
        if v < lo || v > hi {
            return Err(self.err(i, format!("{name} {v} is out of range {lo}..={hi}")));
        }
        Ok(v)
    }

    /// Operand `i`, a vector address `bK:W`, checked against the encoding and the
    /// configuration's banks and depths.
    pub fn vaddr(&self, i: usize) -> Result<VAddr, LineError> {
        let (_, toks) = self.group(i)?;
        let bank = toks
            .first()
            .and_then(Token::ident)
            .and_then(|s| s.strip_prefix(['b', 'B']))
            .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
        let found = if toks.is_empty() {
            "nothing".to_string()
        } else {
            format!("`{}`", span_text(self.line, toks))
        };
        let expected = format!(
            "expected a vector address `bK:W` (bank K, word W, e.g. `b1:16`), found {found}"
        );
        let (Some(bank), Some(Tok::Colon)) = (bank, toks.get(1).map(|t| &t.tok)) else {
            return Err(self.err(i, expected));
        };
        let max_bank = (1u64 << BANK_BITS) - 1;
        let bank = bank.parse::<u64>().unwrap_or(u64::MAX);
        if bank > max_bank {
            return Err(self.err(i, format!("bank {bank} is out of range 0..={max_bank}")));
        }
        if let Some(cfg) = self.cfg {
            if bank >= cfg.banks as u64 {
                return Err(self.err(
                    i,
                    format!(
                        "bank {bank} out of range: config `{}` has banks 0..={}",
                        cfg.name,
                        cfg.banks - 1
                    ),
                ));
            }
        }
        let word = eval(&toks[2..], self.syms, false, toks[1].col + 1)
            .map_err(|(c, m)| (c, format!("operand {} of {}: word: {m}", i + 1, self.mn)))?;
        let max_word = MAX_DEPTH as u64 - 1;
        if word > max_word {
            return Err(self.err(i, format!("word {word} is out of range 0..={max_word}")));
        }
        let va = VAddr {
            bank: bank as u8,
            word: word as u16,
        };
        if let Some(cfg) = self.cfg {
            let (what, depth) = bank_depth(cfg, va.bank);
            if word >= depth as u64 {
                return Err(self.err(
                    i,
                    format!(
                        "word {word} of bank {bank} out of range: config `{}` has words 0..={} in bank {bank} ({what} {depth})",
                        cfg.name,
                        depth - 1
                    ),
                ));
            }
        }
        Ok(va)
    }

    /// Flags from operand `from` on, each one of `allowed` at most once. A flag is a
    /// name (`swap`) or, when `allowed` gives it an argument name, a name followed by a
    /// number (`load w`). For each allowed flag: `None` if absent, else its argument
    /// (0 for plain flags) and its operand index.
    pub fn flags(
        &self,
        from: usize,
        allowed: &[(&str, Option<&str>)],
    ) -> Result<Vec<Option<(u64, usize)>>, LineError> {
        let mut set = vec![None; allowed.len()];
        let list: Vec<String> = allowed
            .iter()
            .map(|(n, a)| a.map_or(n.to_string(), |a| format!("{n} {a}")))
            .collect();
        let expected = match list.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => list.join(""),
        };
        for i in from..self.len() {
            let (_, toks) = self.groups[i];
            let Some(first) = toks.first() else {
                return Err(self.err(i, format!("missing: expected {expected}")));
            };
            let word = first.ident().unwrap_or("").to_ascii_lowercase();
            let text = span_text(self.line, toks).to_ascii_lowercase();
            // `acc+` (an older spelling) is accepted for `acc`.
            let acc_plus = text == "acc+" || text == "acc +";
            let name = if acc_plus { "acc" } else { word.as_str() };
            let Some(k) = allowed.iter().position(|&(a, _)| a == name) else {
                return Err(self.err(
                    i,
                    format!(
                        "unknown flag `{}`; expected {expected}",
                        span_text(self.line, toks)
                    ),
                ));
            };
            if set[k].is_some() {
                return Err(self.err(i, format!("flag `{name}` is given twice")));
            }
            let value = match allowed[k].1 {
                Some(arg) => {
                    eval(&toks[1..], self.syms, false, first.col).map_err(|(c, m)| {
                        (c, format!("operand {} of {}: {name} {arg}: {m}", i + 1, self.mn))
                    })?
                }
                None if acc_plus || toks.len() == 1 => 0,
                None => {
                    return Err((
                        toks[1].col,
                        format!(
                            "operand {} of {}: flag `{name}` takes no value; expected `,` or end of line, found `{}`",
                            i + 1,
                            self.mn,
                            toks[1].text
                        ),
                    ))
                }
            };
            set[k] = Some((value, i));
        }
        Ok(set)
    }

    /// With a configuration: `start + count <= limit`, else an error on operand `i`
    /// (`what` names the sum, `limit_name` the limit).
    pub fn extent(
        &self,
        i: usize,
        what: &str,
        start: u64,
        count: u64,
        limit_name: &str,
        limit: usize,
    ) -> Result<(), LineError> {
        let Some(cfg) = self.cfg else { return Ok(()) };
        if start + count > limit as u64 {
            return Err(self.err(
                i,
                format!(
                    "{what} = {start} + {count} = {} exceeds {limit_name} {limit} of config `{}`",
                    start + count,
                    cfg.name
                ),
            ));
        }
        Ok(())
    }
}
