//! Assembler unit tests: every mnemonic, the syntax (comments, labels, `.equ`, number
//! forms, case), the binary format and disassembly. Errors: `tests_errors.rs`.

use super::*;
use crate::isa::{VAddr, VBinOp, VUnOp};

pub(super) fn va(bank: u8, word: u16) -> VAddr {
    VAddr { bank, word }
}

pub(super) fn ok(src: &str) -> Program {
    assemble(src, "t.s", None).unwrap_or_else(|e| panic!("{e}"))
}

pub(super) fn cfg(name: &str) -> TileConfig {
    TileConfig::preset(name).unwrap()
}

/// The error of `src`, which must be exactly one, at line `line` and the column where
/// `needle` first occurs in that line (the `n`th occurrence with `needle#n`).
pub(super) fn err_at(src: &str, cfg: Option<&TileConfig>, line: usize, needle: &str, msg: &str) {
    let e = assemble(src, "t.s", cfg).expect_err(src);
    assert_eq!(e.errors.len(), 1, "{e}");
    let text = src.lines().nth(line - 1).unwrap();
    let (needle, nth) = match needle.split_once('#') {
        Some((n, k)) => (n, k.parse::<usize>().unwrap()),
        None => (needle, 1),
    };
    let byte = text.match_indices(needle).nth(nth - 1).expect(needle).0;
    let col = text[..byte].chars().count() + 1;
    assert_eq!(e.to_string(), format!("t.s:{line}:{col}: error: {msg}"));
    assert_eq!(e.first().loc.line, line);
    assert_eq!(e.first().loc.column, col);
}

const EXAMPLE: &str = "\
; comment     # also a comment
.equ ROWS, 64            ; named constant
start:                   ; label = pc of the next instruction
    vlen 8
    loop 4, body_end     # body up to body_end
    mxu.load 0x10
    mxu.run 0, ROWS, 0, swap
    mxu.run 1, 2, 3, acc, load 0b101, swap
    rq.param b1:100
    rq.run 0, ROWS, b0:512, relu
    v.add b0:0, b0:8, b1:0
    v.max b2:0, b0:0, b1:0
    v.relu b0:0, b1:4
    v.copy b0:0, b1:4
    v.argmax b0:100, b0:0
    send b0:0
    recv b1:0
    wait 10
    nop
body_end:
    halt
";

#[test]
fn every_mnemonic() {
    let p = ok(EXAMPLE);
    let run = |a, rows, acc, swap, accumulate, load| Instr::MxuRun {
        a,
        rows,
        acc,
        swap,
        accumulate,
        load,
    };
    let expect = vec![
        Instr::Vlen(8),
        Instr::Loop { n: 4, end: 16 },
        Instr::MxuLoad { w: 16 },
        run(0, 64, 0, true, false, None),
        run(1, 2, 3, true, true, Some(5)),
        Instr::RqParam { src: va(1, 100) },
        Instr::RqRun {
            acc: 0,
            rows: 64,
            dst: va(0, 512),
            relu: true,
        },
        Instr::VBin {
            op: VBinOp::Add,
            dst: va(0, 0),
            a: va(0, 8),
            b: va(1, 0),
        },
        Instr::VBin {
            op: VBinOp::Max,
            dst: va(2, 0),
            a: va(0, 0),
            b: va(1, 0),
        },
        Instr::VUn {
            op: VUnOp::Relu,
            dst: va(0, 0),
            a: va(1, 4),
        },
        Instr::VUn {
            op: VUnOp::Copy,
            dst: va(0, 0),
            a: va(1, 4),
        },
        Instr::VUn {
            op: VUnOp::Argmax,
            dst: va(0, 100),
            a: va(0, 0),
        },
        Instr::Send { src: va(0, 0) },
        Instr::Recv { dst: va(1, 0) },
        Instr::Wait(10),
        Instr::Nop,
        Instr::Halt,
    ];
    assert_eq!(p.instrs, expect);
    assert_eq!(p.locs.len(), expect.len());
    for (pc, loc) in p.locs.iter().enumerate() {
        // Lines 4.. hold the instructions; `body_end:` sits on line 20.
        let line = if pc < 16 { pc + 4 } else { 21 };
        assert_eq!((loc.file.as_str(), loc.line, loc.column), ("t.s", line, 5));
    }
    // The same program with a configuration that holds it.
    assert_eq!(
        assemble(EXAMPLE, "t.s", Some(&cfg("sim-small"))).unwrap(),
        p
    );
    assert_eq!(
        disassemble(&p.instrs),
        "    vlen 8\n    loop 4, L16\n    mxu.load 16\n    mxu.run 0, 64, 0, swap\n    \
         mxu.run 1, 2, 3, swap, acc, load 5\n    rq.param b1:100\n    rq.run 0, 64, b0:512, relu\n    \
         v.add b0:0, b0:8, b1:0\n    v.max b2:0, b0:0, b1:0\n    v.relu b0:0, b1:4\n    \
         v.copy b0:0, b1:4\n    v.argmax b0:100, b0:0\n    send b0:0\n    recv b1:0\n    \
         wait 10\n    nop\nL16:\n    halt\n"
    );
}

#[test]
fn labels_constants_and_numbers() {
    let p = ok("\
.equ BASE, 0x1_00
.equ NEXT, BASE + 0b11 - 1   ; 258
a: b: wait NEXT
c: loop 2, c + 3
  wait BASE-0
  wait 1_000 + BASE + 2
d:
");
    assert_eq!(
        p.instrs,
        vec![
            Instr::Wait(258),
            Instr::Loop { n: 2, end: 4 },
            Instr::Wait(256),
            Instr::Wait(1258),
        ]
    );
    assert_eq!((p.locs[0].line, p.locs[0].column), (3, 7));
    assert_eq!((p.locs[1].line, p.locs[1].column), (4, 4));
    // A numeric loop end and a label at the very end.
    let p = ok("loop 1, 2\nnop\nloop 3, end\nnop\nend:");
    assert_eq!(p.instrs[0], Instr::Loop { n: 1, end: 2 });
    assert_eq!(p.instrs[2], Instr::Loop { n: 3, end: 4 });
    assert_eq!(ok("").instrs, vec![]);
    assert_eq!(ok("; nothing\n\n   # at all\r\n").instrs, vec![]);
    assert_eq!(ok("nop\r\nhalt\r\n").instrs, vec![Instr::Nop, Instr::Halt]);
}

#[test]
fn case_insensitive_mnemonics_flags_and_banks() {
    let p = ok("\
.EQU Rows, 2
L: LOOP 2, E
  MXU.Run 0, Rows, 0, SWAP, Acc, LOAD 3
  Rq.Run 0, 1, B2:3, ReLU
  V.ADD B0:1, b1:2, B2:3
E: HALT
  mxu.run 0, 1, 0, acc+
");
    assert_eq!(
        p.instrs[1],
        Instr::MxuRun {
            a: 0,
            rows: 2,
            acc: 0,
            swap: true,
            accumulate: true,
            load: Some(3)
        }
    );
    assert!(matches!(p.instrs[2], Instr::RqRun { relu: true, .. }));
    assert_eq!(
        p.instrs[3],
        Instr::VBin {
            op: VBinOp::Add,
            dst: va(0, 1),
            a: va(1, 2),
            b: va(2, 3)
        }
    );
    assert!(matches!(
        p.instrs[5],
        Instr::MxuRun {
            accumulate: true,
            swap: false,
            ..
        }
    ));
    // Names are case-sensitive.
    err_at(
        ".equ X, 1\nwait x",
        None,
        2,
        "x",
        "operand 1 of wait: undefined constant `x`; expected a number or .equ constant",
    );
}

#[test]
fn binary_format() {
    let p = ok(EXAMPLE);
    let bytes = to_bin(&p.instrs);
    assert_eq!(bytes.len(), 8 * p.instrs.len());
    assert_eq!(&bytes[..8], &Instr::Vlen(8).encode().to_le_bytes());
    assert_eq!(from_bin(&bytes), Ok(p.instrs.clone()));
    assert_eq!(from_bin(&[]), Ok(vec![]));
    let e = from_bin(&bytes[..13]).unwrap_err();
    assert_eq!(e, BinError::Length { len: 13 });
    assert!(e.to_string().contains("length 13 bytes"), "{e}");
    let mut bad = bytes.clone();
    bad[3 * 8..4 * 8].copy_from_slice(&0u64.to_le_bytes());
    let e = from_bin(&bad).unwrap_err();
    assert!(
        matches!(
            e,
            BinError::Decode {
                index: 3,
                word: 0,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("word 3 (0x0000000000000000) is not a legal instruction: unknown opcode"),
        "{e}"
    );
}

#[test]
fn disassembly_of_odd_programs() {
    // A loop end past the program is written as a number, and rejected on reassembly.
    let instrs = [Instr::Loop { n: 2, end: 9 }, Instr::Nop];
    let text = disassemble(&instrs);
    assert_eq!(text, "    loop 2, 9\n    nop\n");
    assert!(assemble(&text, "d.s", None)
        .unwrap_err()
        .to_string()
        .contains("outside the program"));
    assert_eq!(disassemble(&[]), "");
    assert_eq!(format_instr(&Instr::Loop { n: 1, end: 3 }), "loop 1, L3");
}
