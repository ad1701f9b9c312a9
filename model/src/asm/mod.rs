//! The assembler, disassembler and binary format of the ISA (`docs/isa.md`).
//!
//! - [`assemble`] turns assembly text into a [`Program`] (instructions plus the source
//!   location of each), checking every operand against what the encoding can hold and,
//!   given a [`TileConfig`], against the configuration's banks and memory depths; the
//!   loop structure (body not empty, inside the program, at most 4 deep, inner loops
//!   ending strictly before their enclosing loop) is checked too. Vector-length
//!   dependent ranges and hazards are the schedule checker's business.
//! - [`disassemble`] prints instructions as canonical text, which [`assemble`] reads
//!   back to the same instructions (and which is a fixed point of the round trip).
//! - [`to_bin`] / [`from_bin`]: the binary format, little-endian 64-bit words, nothing
//!   else.
//!
//! # Syntax
//!
//! ```text
//! ; comment            # also a comment
//! .equ ROWS, 64        ; named constant, usable wherever a number is
//! start:               ; label = pc of the next instruction
//!     vlen 8
//!     loop 4, body_end ; body: the instructions up to (not including) body_end
//!     mxu.load 0x10                 ; install a weight tile
//!     mxu.run 0, ROWS, 0, swap, acc, load 0x12   ; a, rows, acc [, swap] [, acc] [, load w]
//!     v.add b0:0, b0:8, b1:0
//! body_end:
//!     halt
//! ```
//!
//! One instruction per line, optionally preceded by labels (`name:`). Operands are
//! separated by commas. Numbers are unsigned: decimal, `0x` hex or `0b` binary, with
//! optional `_` separators, or sums and differences of numbers and `.equ` constants
//! (`BASE + 4`, `ROWS - 1`). Vector addresses are written `bK:W` (bank `K` in decimal,
//! word `W` a number). A loop end is normally a label, but may be any sum of labels,
//! constants and numbers giving a pc. Mnemonics, flags (`swap`, `acc`, `relu`),
//! directives and the `b` of a vector address are case-insensitive; labels and
//! constants are case-sensitive. `.equ` constants must be defined before they are used.
//! Flags follow the numeric operands in any order, each at most once: `swap`, `acc`
//! (accumulate) and `load w` for `mxu.run`, `relu` for `rq.run`.

mod bin;
mod disasm;
mod lex;
mod operands;
mod parse;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;
#[cfg(test)]
mod tests_roundtrip;

use std::fmt;

pub use bin::{from_bin, to_bin, BinError};
pub use disasm::{disassemble, format_instr};
pub use parse::MNEMONICS;

use crate::isa::Instr;
use crate::TileConfig;

/// Most errors one [`AsmError`] reports; the rest are counted in
/// [`AsmError::omitted`].
pub const MAX_ERRORS: usize = 20;

/// Where something is in the source: file name, 1-based line and column (in characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SrcLoc {
    /// File name as given to [`assemble`].
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1 (characters; a tab counts as one).
    pub column: usize,
}

impl fmt::Display for SrcLoc {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// An assembled program: the instructions and, for each, the location of its mnemonic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Instructions, in pc order.
    pub instrs: Vec<Instr>,
    /// `locs[pc]` is where the mnemonic of `instrs[pc]` is.
    pub locs: Vec<SrcLoc>,
}

/// One located error message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the error is.
    pub loc: SrcLoc,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}: error: {}", self.loc, self.message)
    }
}

/// Why a program did not assemble: the errors in source order (at most
/// [`MAX_ERRORS`]), displayed one per line as `file:line:column: error: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmError {
    /// The errors reported, sorted by location; never empty.
    pub errors: Vec<Diagnostic>,
    /// Further errors found but not reported.
    pub omitted: usize,
}

impl AsmError {
    /// The first error in source order.
    pub fn first(&self) -> &Diagnostic {
        &self.errors[0]
    }

    fn from_diags(mut diags: Vec<Diagnostic>) -> AsmError {
        diags.sort_by_key(|d| (d.loc.line, d.loc.column));
        let omitted = diags.len().saturating_sub(MAX_ERRORS);
        diags.truncate(MAX_ERRORS);
        AsmError {
            errors: diags,
            omitted,
        }
    }
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, d) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if self.omitted > 0 {
            write!(
                f,
                "\n{}: note: {} more error(s) not shown (at most {MAX_ERRORS} are reported)",
                self.first().loc.file,
                self.omitted
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for AsmError {}

/// Assemble `src` (named `file` in messages). Without a configuration, operands are
/// checked against the encoding (word < 16384, bank < 32, rows 1..=16383, ...); with
/// one, also against its banks, memory depths and instruction memory. Every error (up
/// to [`MAX_ERRORS`]) is reported, in source order.
pub fn assemble(src: &str, file: &str, cfg: Option<&TileConfig>) -> Result<Program, AsmError> {
    parse::assemble(src, file, cfg).map_err(AsmError::from_diags)
}
