//! Instructions back to canonical assembly text.
//!
//! Canonical text: lower case, one instruction per line indented by 4 spaces, operands
//! separated by `, `, numbers in decimal, vector addresses `bK:W`, flags `swap`, `acc`,
//! `load w`, `relu` (in that order), and loop ends as generated labels `L<pc>:` on their own line
//! before the instruction at that pc (or last, when the end is the program's length).
//! [`super::assemble`] reads it back to the same instructions.

use crate::isa::{Instr, VBinOp, VUnOp};
use std::collections::BTreeSet;
use std::fmt::Write;

/// One instruction in canonical form, without indentation; a loop's end is written as
/// the label `L<end>`.
pub fn format_instr(instr: &Instr) -> String {
    match *instr {
        Instr::Nop => "nop".into(),
        Instr::Wait(n) => format!("wait {n}"),
        Instr::Loop { n, end } => format!("loop {n}, L{end}"),
        Instr::Halt => "halt".into(),
        Instr::Vlen(n) => format!("vlen {n}"),
        Instr::MxuLoad { w } => format!("mxu.load {w}"),
        Instr::MxuRun {
            a,
            rows,
            acc,
            swap,
            accumulate,
            load,
        } => {
            let mut s = format!("mxu.run {a}, {rows}, {acc}");
            if swap {
                s.push_str(", swap");
            }
            if accumulate {
                s.push_str(", acc");
            }
            if let Some(w) = load {
                let _ = write!(s, ", load {w}");
            }
            s
        }
        Instr::RqParam { src } => format!("rq.param {src}"),
        Instr::RqRun {
            acc,
            rows,
            dst,
            relu,
        } => format!(
            "rq.run {acc}, {rows}, {dst}{}",
            if relu { ", relu" } else { "" }
        ),
        Instr::VBin { op, dst, a, b } => {
            let m = match op {
                VBinOp::Add => "v.add",
                VBinOp::Max => "v.max",
            };
            format!("{m} {dst}, {a}, {b}")
        }
        Instr::VUn { op, dst, a } => {
            let m = match op {
                VUnOp::Relu => "v.relu",
                VUnOp::Copy => "v.copy",
                VUnOp::Argmax => "v.argmax",
            };
            format!("{m} {dst}, {a}")
        }
        Instr::Send { src } => format!("send {src}"),
        Instr::Recv { dst } => format!("recv {dst}"),
    }
}

/// The canonical text of `instrs` (see the module documentation). A loop end past the
/// program cannot be a label and is written as its number, which the assembler rejects
/// as outside the program.
pub fn disassemble(instrs: &[Instr]) -> String {
    let len = instrs.len();
    let labels: BTreeSet<usize> = instrs
        .iter()
        .filter_map(|i| match i {
            Instr::Loop { end, .. } if *end as usize <= len => Some(*end as usize),
            _ => None,
        })
        .collect();
    let mut out = String::new();
    for (pc, i) in instrs.iter().enumerate() {
        if labels.contains(&pc) {
            let _ = writeln!(out, "L{pc}:");
        }
        match *i {
            Instr::Loop { n, end } if end as usize > len => {
                let _ = writeln!(out, "    loop {n}, {end}");
            }
            _ => {
                let _ = writeln!(out, "    {}", format_instr(i));
            }
        }
    }
    if labels.contains(&len) {
        let _ = writeln!(out, "L{len}:");
    }
    out
}
