//! Every assembler error kind, with its exact line, column and message: syntax,
//! operand ranges with and without a configuration, loop rules, and how several
//! errors are reported.

use super::tests::{cfg, err_at, ok};
use super::*;

#[test]
fn syntax_errors_are_located() {
    let all = "nop, wait, loop, halt, vlen, mxu.load, mxu.run, rq.param, rq.run, v.add, v.max, v.relu, v.copy, v.argmax, send, recv";
    err_at(
        "nop\n  x: v.ad b0:0, b0:1, b0:2",
        None,
        2,
        "v.ad",
        &format!("unknown mnemonic `v.ad`; expected one of {all}"),
    );
    err_at(
        "  5 nop",
        None,
        1,
        "5",
        &format!("expected a mnemonic, found `5`; expected one of {all}"),
    );
    err_at("nop @", None, 1, "@", "unexpected character `@`; expected a mnemonic, label, number, `bK:W`, `,`, `+`, `-` or a comment (`;` or `#`)");
    err_at("wait 0x", None, 1, "0x", "invalid number `0x`: expected hex digits (numbers are decimal, 0x hex or 0b binary, with optional `_` separators)");
    err_at("wait 12ab", None, 1, "12ab", "invalid number `12ab`: expected decimal digits (numbers are decimal, 0x hex or 0b binary, with optional `_` separators)");
    err_at(
        "nop 1",
        None,
        1,
        "1",
        "unexpected operand 1 of nop: nop takes no operands",
    );
    err_at(
        "  v.add b0:0, b0:1",
        None,
        1,
        "v.add",
        "missing operand 3 of v.add: v.add takes dst, a, b",
    );
    err_at(
        "v.relu b0:0, b0:1, b0:2",
        None,
        1,
        "b0:2",
        "unexpected operand 3 of v.relu: v.relu takes dst, a",
    );
    err_at("v.relu b0:0,", None, 1, ",", "operand 2 of v.relu: expected a vector address `bK:W` (bank K, word W, e.g. `b1:16`), found nothing");
    // A missing comma: the first operand runs into the second.
    err_at(
        "v.add b0:0 b0:1, b0:2",
        None,
        1,
        "b0#2",
        "operand 1 of v.add: word: expected `+`, `-`, `,` or end of line, found `b0`",
    );
    err_at("send 5", None, 1, "5", "operand 1 of send: expected a vector address `bK:W` (bank K, word W, e.g. `b1:16`), found `5`");
    err_at("recv b1 4", None, 1, "b1", "operand 1 of recv: expected a vector address `bK:W` (bank K, word W, e.g. `b1:16`), found `b1 4`");
    err_at(
        "wait 1 2",
        None,
        1,
        "2",
        "operand 1 of wait: expected `+`, `-`, `,` or end of line, found `2`",
    );
    err_at(
        "wait 1 +",
        None,
        1,
        "+",
        "operand 1 of wait: expected a number or .equ constant after `+`",
    );
    err_at(
        "wait 1 - 2",
        None,
        1,
        "-",
        "operand 1 of wait: 1 - 2 is negative; numbers are unsigned",
    );
    err_at(
        "wait 0xffffffffffffffff + 1",
        None,
        1,
        "+",
        "operand 1 of wait: 18446744073709551615 + 1 overflows 64 bits",
    );
    err_at(
        "mxu.run 0, 1, 0, swp",
        None,
        1,
        "swp",
        "operand 4 of mxu.run: unknown flag `swp`; expected swap, acc or load w",
    );
    err_at(
        "mxu.run 0, 1, 0, swap, swap",
        None,
        1,
        "swap#2",
        "operand 5 of mxu.run: flag `swap` is given twice",
    );
    err_at(
        "rq.run 0, 1, b0:0, relu 1",
        None,
        1,
        "1#2",
        "operand 4 of rq.run: flag `relu` takes no value; expected `,` or end of line, found `1`",
    );
    err_at(
        "mxu.run 0, 1, 0, load",
        None,
        1,
        "load",
        "operand 4 of mxu.run: load w: missing: expected a number or .equ constant",
    );
    err_at(
        ".org 5",
        None,
        1,
        ".org",
        "unknown directive `.org`; expected .equ",
    );
    err_at(
        ".equ X 5",
        None,
        1,
        "5",
        "expected `.equ NAME, value`, found `5`",
    );
    err_at(
        ".equ",
        None,
        1,
        ".equ",
        "expected `.equ NAME, value`: the name is missing",
    );
    err_at(
        ".equ X, 1\n.equ X, 2",
        None,
        2,
        "X",
        "constant `X` is already defined at line 1",
    );
    err_at(
        "X: nop\n.equ X, 2",
        None,
        2,
        "X",
        "`X` is already a label (line 1); a constant needs its own name",
    );
    err_at(
        "a: nop\n  a: nop",
        None,
        2,
        "a",
        "label `a` is already defined at line 1",
    );
    err_at(
        "wait N\n.equ N, 1",
        None,
        1,
        "N",
        "operand 1 of wait: constant `N` is used before its definition (.equ at line 2)",
    );
    err_at("lab: wait lab", None, 1, "lab#2", "operand 1 of wait: `lab` is a label (line 1); only .equ constants can be used as numbers (labels are loop ends)");
    err_at("loop 2, nowhere\nnop", None, 1, "nowhere", "operand 2 of loop: undefined label or constant `nowhere`; expected a label, number or .equ constant");
    err_at(
        ".equ A, B",
        None,
        1,
        "B",
        ".equ A: undefined constant `B`; expected a number or .equ constant",
    );
}

#[test]
fn ranges_without_config() {
    let e = |src: &str, needle: &str, msg: &str| err_at(src, None, 1, needle, msg);
    e(
        "mxu.run 0, 0, 0",
        "0#2",
        "operand 2 of mxu.run: rows 0 is out of range 1..=16383",
    );
    e(
        "mxu.run 0, 16384, 0",
        "16384",
        "operand 2 of mxu.run: rows 16384 is out of range 1..=16383",
    );
    e(
        "mxu.run 16384, 1, 0",
        "16384",
        "operand 1 of mxu.run: a 16384 is out of range 0..=16383",
    );
    e(
        "mxu.run 0, 1, 16384",
        "16384",
        "operand 3 of mxu.run: acc 16384 is out of range 0..=16383",
    );
    e(
        "mxu.run 0, 1, 0, load 16384",
        "load",
        "operand 4 of mxu.run: load w 16384 is out of range 0..=16383",
    );
    e(
        "mxu.load 0x4000",
        "0x4000",
        "operand 1 of mxu.load: w 16384 is out of range 0..=16383",
    );
    e(
        "wait 4294967296",
        "4",
        "operand 1 of wait: n 4294967296 is out of range 0..=4294967295",
    );
    e(
        "vlen 0",
        "0",
        "operand 1 of vlen: n 0 is out of range 1..=16384",
    );
    e(
        "vlen 16385",
        "1",
        "operand 1 of vlen: n 16385 is out of range 1..=16384",
    );
    e(
        "loop 0, e\nnop\ne:",
        "0",
        "operand 1 of loop: n 0 is out of range 1..=16777215",
    );
    e(
        "loop 16777216, e\nnop\ne:",
        "1",
        "operand 1 of loop: n 16777216 is out of range 1..=16777215",
    );
    e(
        "rq.run 0, 0, b0:0",
        "0#2",
        "operand 2 of rq.run: rows 0 is out of range 1..=16383",
    );
    e(
        "rq.param b32:0",
        "b32",
        "operand 1 of rq.param: bank 32 is out of range 0..=31",
    );
    e(
        "v.copy b0:0, b1:16384",
        "b1",
        "operand 2 of v.copy: word 16384 is out of range 0..=16383",
    );
    e(
        "v.copy b0:0, b1:X",
        "X",
        "operand 2 of v.copy: word: undefined constant `X`; expected a number or .equ constant",
    );
    // The largest values are accepted.
    let p = ok("wait 4294967295\nvlen 16384\nloop 16777215, e\nmxu.run 16383, 16383, 16383, load 16383\ne: v.add b31:16383, b0:0, b0:0");
    assert_eq!(p.instrs.len(), 5);
    // Program length: no instruction memory holds more than 16384 instructions.
    let long = "nop\n".repeat(16385);
    err_at(&long, None, 16385, "nop", "program has 16385 instructions but no instruction memory is deeper than 16384; this is instruction 16384, the first that does not fit");
}

#[test]
fn ranges_with_config() {
    let small = cfg("sim-small");
    let e = |src: &str, needle: &str, msg: &str| err_at(src, Some(&small), 1, needle, msg);
    e(
        "v.add b5:0, b0:0, b0:0",
        "b5",
        "operand 1 of v.add: bank 5 out of range: config `sim-small` has banks 0..=2",
    );
    e("send b0:1024", "b0", "operand 1 of send: word 1024 of bank 0 out of range: config `sim-small` has words 0..=1023 in bank 0 (act_depth 1024)");
    e("mxu.load 1023", "1023", "operand 1 of mxu.load: w + I = 1023 + 2 = 1025 exceeds bank_depth 1024 of config `sim-small` (I = 2 install words)");
    e("mxu.run 1000, 25, 0", "1000", "operand 1 of mxu.run: a + rows = 1000 + 25 = 1025 exceeds act_depth 1024 of config `sim-small`");
    e("mxu.run 0, 25, 500", "500", "operand 3 of mxu.run: acc + rows = 500 + 25 = 525 exceeds acc_depth 512 of config `sim-small`");
    e("mxu.run 0, 1, 0, swap, load 1023", "load", "operand 5 of mxu.run: load w + I = 1023 + 2 = 1025 exceeds bank_depth 1024 of config `sim-small` (I = 2 install words)");
    e("rq.run 500, 13, b1:0", "500", "operand 1 of rq.run: acc + rows = 500 + 13 = 513 exceeds acc_depth 512 of config `sim-small`");
    e("rq.run 0, 13, b1:1012", "b1", "operand 3 of rq.run: dst + rows = 1012 + 13 = 1025 exceeds bank_depth 1024 of config `sim-small`");
    // sim-small: pw = 4 + 2 + 1 words.
    e("rq.param b2:1018", "b2", "operand 1 of rq.param: src + pw = 1018 + 7 = 1025 exceeds bank_depth 1024 of config `sim-small` (pw = 7 parameter words)");
    let p = assemble(
        "mxu.load 1022\nrq.param b2:1017\nrq.run 499, 13, b0:1011\nmxu.run 999, 25, 487",
        "t.s",
        Some(&small),
    );
    assert!(p.is_ok(), "{}", p.unwrap_err());
    // The same program without a configuration is fine.
    assert!(assemble("v.add b5:0, b0:0, b0:0\nmxu.load 1023", "t.s", None).is_ok());
    // icebreaker: 256 instructions of instruction memory.
    let ice = cfg("icebreaker");
    let long = "nop\n".repeat(257);
    err_at(&long, Some(&ice), 257, "nop", "program has 257 instructions but config `icebreaker` has imem_depth 256; this is instruction 256, the first that does not fit");
    assert!(assemble(&"nop\n".repeat(256), "t.s", Some(&ice)).is_ok());
}

#[test]
fn loop_rules() {
    err_at("loop 2, done + 1\nnop\ndone:", None, 1, "done", "loop end `done + 1` (pc 3) is outside the program (2 instructions); the end may be at most 2");
    err_at(
        "nop\nloop 2, 12\nnop",
        None,
        2,
        "12",
        "loop end `12` (pc 12) is outside the program (3 instructions); the end may be at most 3",
    );
    err_at("loop 2, e\ne: nop", None, 1, "e", "loop end `e` (pc 1) must be after the loop body's first instruction (pc 1): the body, up to but not including the end, may not be empty");
    err_at("top: nop\nloop 2, top\nnop", None, 2, "top", "loop end `top` (pc 0) must be after the loop body's first instruction (pc 2): the body, up to but not including the end, may not be empty");
    err_at("loop 2, o\nloop 3, i\nnop\no: nop\ni: nop", None, 2, "i", "loop end `i` (pc 4) must be strictly before the end of the enclosing loop at line 1 (pc 3)");
    err_at("loop 2, e\nloop 3, e\nnop\ne: nop", None, 2, "e", "loop end `e` (pc 3) must be strictly before the end of the enclosing loop at line 1 (pc 3)");
    let deep = "loop 2, e1\nloop 2, e2\nloop 2, e3\nloop 2, e4\n  loop 2, e5\nnop\ne5: nop\ne4: nop\ne3: nop\ne2: nop\ne1: nop";
    err_at(deep, None, 5, "loop", "loops nest at most 4 deep; this loop would be the 5th (enclosing loops at lines 1, 2, 3, 4)");
    // Four deep, siblings, and a loop after a finished one are fine.
    let p = ok("loop 2, e1\nloop 2, e2\nloop 2, e3\nloop 2, e4\nnop\ne4: nop\ne3: nop\ne2: nop\ne1: loop 3, x\nloop 2, y\nnop\ny: loop 2, z\nnop\nz: nop\nx:");
    assert_eq!(p.instrs.len(), 14);
    assert_eq!(p.instrs[8], Instr::Loop { n: 3, end: 14 });
    assert_eq!(p.instrs[11], Instr::Loop { n: 2, end: 13 });
}

#[test]
fn all_errors_reported_in_order_and_capped() {
    let src = "loop 2, e\n  v.ad\nwait 1 - 2\ne: nop\nhalt 3";
    let e = assemble(src, "p.s", None).unwrap_err();
    let lines: Vec<String> = e.to_string().lines().map(String::from).collect();
    assert_eq!(lines.len(), 3, "{e}");
    assert!(
        lines[0].starts_with("p.s:2:3: error: unknown mnemonic `v.ad`"),
        "{e}"
    );
    assert!(
        lines[1].starts_with("p.s:3:8: error: operand 1 of wait"),
        "{e}"
    );
    assert!(
        lines[2].starts_with("p.s:5:6: error: unexpected operand 1 of halt"),
        "{e}"
    );
    // A failed .equ makes its constant's uses errors too, saying why.
    let e = assemble(".equ A, B\nwait A", "p.s", None).unwrap_err();
    assert_eq!(e.errors.len(), 2, "{e}");
    assert_eq!(
        e.errors[1].to_string(),
        "p.s:2:6: error: operand 1 of wait: constant `A` has no value: its .equ at line 1 failed"
    );
    // A bad line still takes its pc: the loop end is right.
    assert!(!e.to_string().contains("loop end"), "{e}");
    let many = "bogus\n".repeat(30);
    let e = assemble(&many, "m.s", None).unwrap_err();
    assert_eq!(e.errors.len(), MAX_ERRORS);
    assert_eq!(e.omitted, 10);
    assert_eq!(e.errors[19].loc.line, 20);
    assert!(e
        .to_string()
        .ends_with("m.s: note: 10 more error(s) not shown (at most 20 are reported)"));
}
