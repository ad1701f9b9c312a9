//! Round-trip properties over thousands of random legal programs (fixed seeds, loops
//! with valid nesting): `assemble(disassemble(p)) == p`, `disassemble(assemble(t)) == t`
//! for canonical text `t`, the same program from noisy hand-written text (any case, hex
//! and binary numbers, `.equ` sums, comments, flags in any order), the binary format,
//! and no panic on mangled text.

use super::*;
use crate::isa::{VAddr, VBinOp, VUnOp, MAX_LOOP_DEPTH};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Operand limits for generated programs.
struct Limits {
    banks: u8,
    words: u16,
    rows: u16,
}

const ENCODING: Limits = Limits {
    banks: 32,
    words: 16384,
    rows: 16383,
};

/// Within `sim-small` for every instruction (rows and words small enough that every
/// extent fits).
const SIM_SMALL: Limits = Limits {
    banks: 3,
    words: 500,
    rows: 12,
};

/// A value in `lo..=hi`, often an edge.
fn num(rng: &mut ChaCha8Rng, lo: u64, hi: u64) -> u64 {
    match rng.gen_range(0..6) {
        0 => lo,
        1 => hi,
        2 => rng.gen_range(lo..=hi.min(lo + 16)),
        _ => rng.gen_range(lo..=hi),
    }
}

fn vaddr(rng: &mut ChaCha8Rng, l: &Limits) -> VAddr {
    VAddr {
        bank: num(rng, 0, l.banks as u64 - 1) as u8,
        word: num(rng, 0, l.words as u64 - 1) as u16,
    }
}

fn leaf(rng: &mut ChaCha8Rng, l: &Limits) -> Instr {
    let w = |rng: &mut ChaCha8Rng| num(rng, 0, l.words as u64 - 1) as u16;
    match rng.gen_range(0..14) {
        0 => Instr::Nop,
        1 => Instr::Wait(num(rng, 0, u32::MAX as u64) as u32),
        2 => Instr::Halt,
        3 => Instr::Vlen(num(rng, 1, 16384) as u16),
        4 => Instr::MxuLoad { w: w(rng) },
        5 => Instr::MxuRun {
            a: w(rng),
            rows: num(rng, 1, l.rows as u64) as u16,
            acc: num(rng, 0, l.words as u64 / 2 - 1) as u16,
            swap: rng.gen(),
            accumulate: rng.gen(),
            load: rng.gen::<bool>().then(|| w(rng)),
        },
        6 => Instr::RqParam { src: vaddr(rng, l) },
        7 => Instr::RqRun {
            acc: num(rng, 0, l.words as u64 / 2 - 1) as u16,
            rows: num(rng, 1, l.rows as u64) as u16,
            dst: vaddr(rng, l),
            relu: rng.gen(),
        },
        8 | 9 => Instr::VBin {
            op: if rng.gen() { VBinOp::Add } else { VBinOp::Max },
            dst: vaddr(rng, l),
            a: vaddr(rng, l),
            b: vaddr(rng, l),
        },
        10 | 11 => Instr::VUn {
            op: [VUnOp::Relu, VUnOp::Copy, VUnOp::Argmax][rng.gen_range(0..3)],
            dst: vaddr(rng, l),
            a: vaddr(rng, l),
        },
        12 => Instr::Send { src: vaddr(rng, l) },
        _ => Instr::Recv { dst: vaddr(rng, l) },
    }
}

/// Append a block of 1..=4 items at loop depth `depth`; a loop body (`body`) never ends
/// with a loop, so inner loops end strictly before their enclosing loop.
fn block(rng: &mut ChaCha8Rng, l: &Limits, depth: usize, body: bool, out: &mut Vec<Instr>) {
    let mut last_was_loop = false;
    for _ in 0..rng.gen_range(1..=4) {
        if depth < MAX_LOOP_DEPTH && out.len() < 200 && rng.gen_bool(0.3) {
            let pc = out.len();
            out.push(Instr::Nop);
            block(rng, l, depth + 1, true, out);
            out[pc] = Instr::Loop {
                n: num(rng, 1, (1 << 24) - 1) as u32,
                end: out.len() as u16,
            };
            last_was_loop = true;
        } else {
            out.push(leaf(rng, l));
            last_was_loop = false;
        }
    }
    if body && last_was_loop {
        out.push(leaf(rng, l));
    }
}

fn program(rng: &mut ChaCha8Rng, l: &Limits) -> Vec<Instr> {
    let mut out = Vec::new();
    for _ in 0..rng.gen_range(0..4) {
        block(rng, l, 0, false, &mut out);
    }
    out
}

/// Deepest loop nesting of a legal program.
fn depth(p: &[Instr]) -> usize {
    let mut stack: Vec<usize> = Vec::new();
    let mut deepest = 0;
    for (pc, i) in p.iter().enumerate() {
        stack.retain(|&end| end > pc);
        if let Instr::Loop { end, .. } = i {
            stack.push(*end as usize);
            deepest = deepest.max(stack.len());
        }
    }
    deepest
}

#[test]
fn disassemble_then_assemble_is_identity() {
    let mut loops = 0;
    let mut deepest = 0;
    for seed in 0..3000 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let p = program(&mut rng, &ENCODING);
        let text = disassemble(&p);
        let prog =
            assemble(&text, "r.s", None).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        assert_eq!(prog.instrs, p, "seed {seed}\n{text}");
        // Canonical text is a fixed point.
        assert_eq!(disassemble(&prog.instrs), text, "seed {seed}");
        // Every location points at its instruction's line.
        let lines: Vec<&str> = text.lines().collect();
        for (pc, loc) in prog.locs.iter().enumerate() {
            assert_eq!(loc.column, 5);
            let want = format_instr(&p[pc]);
            let line = lines[loc.line - 1].trim();
            assert!(
                want == line || matches!(p[pc], Instr::Loop { .. }),
                "{line}"
            );
        }
        assert_eq!(from_bin(&to_bin(&p)), Ok(p.clone()), "seed {seed}");
        loops += p.iter().filter(|i| matches!(i, Instr::Loop { .. })).count();
        deepest = deepest.max(depth(&p));
    }
    assert!(
        loops > 1000 && deepest == MAX_LOOP_DEPTH,
        "generator covers loops: {loops}, {deepest} deep"
    );
}

#[test]
fn config_legal_programs_assemble_with_the_config() {
    let cfg = TileConfig::preset("sim-small").unwrap();
    for seed in 0..1000 {
        let mut rng = ChaCha8Rng::seed_from_u64(10_000 + seed);
        let p = program(&mut rng, &SIM_SMALL);
        let text = disassemble(&p);
        let prog = assemble(&text, "c.s", Some(&cfg))
            .unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        assert_eq!(prog.instrs, p);
    }
}

/// `n` in a random notation, sometimes as a sum using the constant `K` (= 3).
fn noisy_num(rng: &mut ChaCha8Rng, n: u64) -> String {
    match rng.gen_range(0..5) {
        0 => format!("{n:#x}"),
        1 => format!("0B{n:b}"),
        2 if n >= 3 => format!("K + {}", n - 3),
        3 => format!("{n} + K - K"),
        _ => {
            let s = n.to_string();
            if s.len() > 3 {
                format!("{}_{}", &s[..s.len() - 3], &s[s.len() - 3..])
            } else {
                s
            }
        }
    }
}

fn noisy_case(rng: &mut ChaCha8Rng, s: &str) -> String {
    s.chars()
        .map(|c| if rng.gen() { c.to_ascii_uppercase() } else { c })
        .collect()
}

fn noisy_va(rng: &mut ChaCha8Rng, v: VAddr) -> String {
    let b = if rng.gen() { "b" } else { "B" };
    format!("{b}{}:{}", v.bank, noisy_num(rng, v.word as u64))
}

/// `instrs` written by an untidy human: any case, any notation, flags shuffled, named
/// labels, comments and blank lines.
fn noisy_text(rng: &mut ChaCha8Rng, instrs: &[Instr]) -> String {
    let mut out = String::from(".EQU K, 3   ; a constant\n\n");
    let ends: std::collections::BTreeSet<usize> = instrs
        .iter()
        .filter_map(|i| match i {
            Instr::Loop { end, .. } => Some(*end as usize),
            _ => None,
        })
        .collect();
    for pc in 0..=instrs.len() {
        if ends.contains(&pc) {
            out.push_str(&format!("end_{pc}:"));
            out.push(if rng.gen() { '\n' } else { ' ' });
        }
        let Some(i) = instrs.get(pc) else { break };
        let mut ops: Vec<String> = Vec::new();
        let mut flags: Vec<String> = Vec::new();
        let mut text = format_instr(i);
        let mn = text.split(' ').next().unwrap().to_string();
        match *i {
            Instr::Wait(n) | Instr::Loop { n, .. } => ops.push(noisy_num(rng, n as u64)),
            Instr::Vlen(n) => ops.push(noisy_num(rng, n as u64)),
            Instr::MxuLoad { w } => ops.push(noisy_num(rng, w as u64)),
            Instr::MxuRun {
                a,
                rows,
                acc,
                swap,
                accumulate,
                load,
            } => {
                for v in [a, rows, acc] {
                    ops.push(noisy_num(rng, v as u64));
                }
                if swap {
                    flags.push("swap".into());
                }
                if accumulate {
                    flags.push("acc".into());
                }
                if let Some(w) = load {
                    flags.push(format!("load {}", noisy_num(rng, w as u64)));
                }
            }
            Instr::RqRun {
                acc,
                rows,
                dst,
                relu,
            } => {
                ops.push(noisy_num(rng, acc as u64));
                ops.push(noisy_num(rng, rows as u64));
                ops.push(noisy_va(rng, dst));
                if relu {
                    flags.push("relu".into());
                }
            }
            Instr::VBin { dst, a, b, .. } => {
                for v in [dst, a, b] {
                    ops.push(noisy_va(rng, v));
                }
            }
            Instr::VUn { dst, a, .. } => {
                ops.push(noisy_va(rng, dst));
                ops.push(noisy_va(rng, a));
            }
            Instr::RqParam { src: v } | Instr::Send { src: v } | Instr::Recv { dst: v } => {
                ops.push(noisy_va(rng, v))
            }
            Instr::Nop | Instr::Halt => {}
        }
        if let Instr::Loop { end, .. } = *i {
            ops.push(format!("end_{end}"));
        }
        if flags.len() == 2 && rng.gen() {
            flags.swap(0, 1);
        }
        ops.extend(flags.iter().map(|f| noisy_case(rng, f)));
        text = noisy_case(rng, &mn);
        if !ops.is_empty() {
            let sep = if rng.gen() { ", " } else { "  ,\t" };
            text = format!("{text} {}", ops.join(sep));
        }
        let comment = ["", " ; note", "\t# note", ";"][rng.gen_range(0..4)];
        out.push_str(&format!(
            "{}{text}{comment}\n",
            " ".repeat(rng.gen_range(0..6))
        ));
    }
    out
}

#[test]
fn noisy_text_assembles_to_the_same_program() {
    for seed in 0..1500 {
        let mut rng = ChaCha8Rng::seed_from_u64(20_000 + seed);
        let p = program(&mut rng, &ENCODING);
        let text = noisy_text(&mut rng, &p);
        let prog =
            assemble(&text, "n.s", None).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
        assert_eq!(prog.instrs, p, "seed {seed}\n{text}");
    }
}

#[test]
fn mangled_text_never_panics() {
    let junk = [
        ",", ":", "+", "-", "b", "0x", "9", " ", "\n", ";", "loop", "@", "z",
    ];
    for seed in 0..1500 {
        let mut rng = ChaCha8Rng::seed_from_u64(30_000 + seed);
        let p = program(&mut rng, &ENCODING);
        let mut chars: Vec<char> = disassemble(&p).chars().collect();
        for _ in 0..rng.gen_range(1..4) {
            if chars.is_empty() {
                break;
            }
            let at = rng.gen_range(0..chars.len());
            if rng.gen() {
                chars.remove(at);
            } else {
                let j = junk[rng.gen_range(0..junk.len())];
                chars.splice(at..at, j.chars());
            }
        }
        let text: String = chars.into_iter().collect();
        match assemble(&text, "m.s", None) {
            Ok(prog) => {
                let again = assemble(&disassemble(&prog.instrs), "m.s", None).unwrap();
                assert_eq!(again.instrs, prog.instrs, "{text}");
            }
            Err(e) => {
                assert!(!e.errors.is_empty() && e.errors.len() <= MAX_ERRORS);
                for d in &e.errors {
                    assert!(d.loc.line >= 1 && d.loc.column >= 1, "{e}");
                    assert!(d.to_string().starts_with("m.s:"), "{e}");
                }
            }
        }
    }
}
