//! `minilpu asm` and `minilpu disasm` end to end: text -> binary -> canonical text is
//! stable, the binary is the documented format, and bad programs exit 2 with a located
//! `file:line:column: error:` message naming what was expected.

use minilpu_model::asm::{assemble, from_bin};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-asm")
        .join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minilpu"))
        .args(args)
        .output()
        .expect("run minilpu")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const PROGRAM: &str = "\
; two tiles, requantize, argmax
.equ ROWS, 8
    vlen 2
    mxu.load 0
    loop 3, again          ; three passes
    mxu.run 0, ROWS, 0, swap, load 2
    mxu.run 0, ROWS, 0, SWAP, ACC
    wait 0x10
again:
    rq.param b1:100
    rq.run 0, ROWS, b2:0, relu
    v.max b2:0, b2:0, b2:2
    v.argmax b0:200, b2:0
    halt
";

const CANONICAL: &str = "    vlen 2
    mxu.load 0
    loop 3, L6
    mxu.run 0, 8, 0, swap, load 2
    mxu.run 0, 8, 0, swap, acc
    wait 16
L6:
    rq.param b1:100
    rq.run 0, 8, b2:0, relu
    v.max b2:0, b2:0, b2:2
    v.argmax b0:200, b2:0
    halt
";

#[test]
fn asm_bin_disasm_round_trip() {
    let d = dir("round_trip");
    let src = d.join("prog.s");
    std::fs::write(&src, PROGRAM).unwrap();
    let bin = d.join("prog.bin");
    let o = run(&[
        "asm",
        s(&src),
        "-o",
        s(&bin),
        "--preset",
        "sim-small",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["instructions"], 11);
    assert_eq!(report["words"], 11);
    assert_eq!(report["out"], s(&bin));
    let bytes = std::fs::read(&bin).unwrap();
    assert_eq!(bytes.len(), 11 * 8);
    let want = assemble(PROGRAM, "prog.s", None).unwrap();
    assert_eq!(from_bin(&bytes).unwrap(), want.instrs);

    // disasm to stdout gives the canonical text ...
    let o = run(&["disasm", s(&bin)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), CANONICAL);
    // ... and to a file, which assembles to the same binary and disassembles to itself.
    let text = d.join("back.s");
    let o = run(&["disasm", s(&bin), "-o", s(&text)]);
    assert!(o.status.success() && o.stdout.is_empty(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&text).unwrap(), CANONICAL);
    let bin2 = d.join("back.bin");
    let o = run(&["asm", s(&text), "--out", s(&bin2)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("assembled 11 instructions"));
    assert_eq!(std::fs::read(&bin2).unwrap(), bytes);
    let o = run(&["disasm", s(&bin2)]);
    assert_eq!(String::from_utf8(o.stdout).unwrap(), CANONICAL);

    // Without -o the binary lands next to the source.
    let o = run(&["asm", s(&src)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("prog.bin")).unwrap(), bytes);
}

/// Assemble `text` (extra arguments `extra`); it must fail with exit code 2 and a
/// located message at `line:col` containing `msg`.
fn rejects(name: &str, text: &str, extra: &[&str], line: usize, col: usize, msg: &str) {
    let d = dir(name);
    let src = d.join(format!("{name}.s"));
    std::fs::write(&src, text).unwrap();
    let bin = d.join(format!("{name}.bin"));
    let mut args = vec!["asm", s(&src), "-o", s(&bin)];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let at = format!("{}:{line}:{col}: error: ", src.display());
    assert!(err.starts_with(&at), "expected `{at}` in:\n{err}");
    assert!(err.contains(msg), "expected `{msg}` in:\n{err}");
    assert!(!bin.exists(), "no binary is written for a bad program");
}

#[test]
fn malformed_program_is_located() {
    rejects(
        "malformed",
        "nop\nv.add b0:0 b0:1, b0:2\n",
        &[],
        2,
        12,
        "operand 1 of v.add: word: expected `+`, `-`, `,` or end of line, found `b0`",
    );
}

#[test]
fn unknown_mnemonic() {
    rejects(
        "unknown",
        "start:\n    vlen 4\n    v.ad b0:0, b0:8, b1:0\n    halt\n",
        &[],
        3,
        5,
        "unknown mnemonic `v.ad`; expected one of nop, wait, loop, halt, vlen, mxu.load, mxu.run, rq.param, rq.run, v.add, v.max, v.relu, v.copy, v.argmax, send, recv",
    );
}

#[test]
fn out_of_range_operands() {
    rejects(
        "rows",
        "    mxu.run 0, 0, 0\n",
        &[],
        1,
        16,
        "operand 2 of mxu.run: rows 0 is out of range 1..=16383",
    );
    // Bank 5 is encodable but sim-small has three banks.
    let text = "    halt\n    send b5:0\n";
    rejects(
        "bank",
        text,
        &["--preset", "sim-small"],
        2,
        10,
        "operand 1 of send: bank 5 out of range: config `sim-small` has banks 0..=2",
    );
    let d = dir("bank_ok");
    let src = d.join("ok.s");
    std::fs::write(&src, text).unwrap();
    let o = run(&["asm", s(&src), "--preset", "ulx3s-85f"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // With a TOML configuration.
    let toml = d.join("tile.toml");
    let o = run(&["config", "--preset", "sim-small"]);
    std::fs::write(&toml, &o.stdout).unwrap();
    rejects(
        "load",
        "mxu.load 1023\n",
        &["--config", s(&toml)],
        1,
        10,
        "w + I = 1023 + 2 = 1025 exceeds bank_depth 1024",
    );
}

#[test]
fn loop_end_outside_the_program() {
    rejects(
        "loop_end",
        "    loop 2, done + 1\n    nop\ndone:\n",
        &[],
        1,
        13,
        "loop end `done + 1` (pc 3) is outside the program (2 instructions)",
    );
}

#[test]
fn several_errors_are_all_reported() {
    let d = dir("several");
    let src = d.join("several.s");
    std::fs::write(&src, "bogus\nwait -1\nhalt\nvlen 0\n").unwrap();
    let o = run(&["asm", s(&src)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    for (l, line) in [(1, 1), (2, 6), (4, 6)].iter().zip(&lines) {
        assert!(
            line.starts_with(&format!("{}:{}:{}: error:", src.display(), l.0, l.1)),
            "{err}"
        );
    }
}

#[test]
fn bad_binaries_and_files() {
    let d = dir("bad_bin");
    let odd = d.join("odd.bin");
    std::fs::write(&odd, [1u8; 12]).unwrap();
    let o = run(&["disasm", s(&odd)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("length 12 bytes is not a multiple of 8"),
        "{}",
        stderr(&o)
    );
    let zero = d.join("zero.bin");
    let mut bytes = minilpu_model::asm::to_bin(&[minilpu_model::isa::Instr::Nop]);
    bytes.extend_from_slice(&[0; 8]);
    std::fs::write(&zero, bytes).unwrap();
    let o = run(&["disasm", s(&zero)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .contains("word 1 (0x0000000000000000) is not a legal instruction: unknown opcode"),
        "{}",
        stderr(&o)
    );
    let o = run(&["asm", s(&d.join("missing.s"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing.s: cannot read"),
        "{}",
        stderr(&o)
    );
    let o = run(&["asm", s(&odd), "--preset", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("sim-small"), "{}", stderr(&o));
}

#[test]
fn help_explains_the_syntax() {
    let o = run(&["asm", "--help"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    for want in [
        "docs/isa.md",
        ".equ NAME, value",
        "mxu.run a, rows, acc",
        "--preset",
        "0x hex",
    ] {
        assert!(out.contains(want), "`{want}` missing from:\n{out}");
    }
    let o = run(&["disasm", "--help"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.contains("docs/isa.md") && out.contains("--out"),
        "{out}"
    );
}
