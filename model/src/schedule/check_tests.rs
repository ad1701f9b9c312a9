//! The checker on hand-built port conflicts and hazards (sim-small: I = 2, beats = 1,
//! pw = 7; see `tests.rs`). Each case states the cycles from the timing table.

use super::tests::{copy, run, small, va};
use super::*;
use crate::isa::VBinOp;

fn errors(cfg: &TileConfig, p: &[Instr]) -> Vec<CheckError> {
    check(cfg, p).expect_err("the checker must reject this program")
}

/// The one error of `kind` (at least one), which names both pcs.
fn find(errs: &[CheckError], kind: CheckKind, pc: usize, other: usize, what: &str) {
    let e = errs
        .iter()
        .find(|e| e.kind == kind && e.pc == pc && e.other_pc == Some(other))
        .unwrap_or_else(|| panic!("no {kind:?} at pc {pc} vs {other} in {errs:#?}"));
    assert!(
        e.message.contains(&format!("pc {pc} ")) && e.message.contains(&format!("pc {other} ")),
        "{e}"
    );
    assert!(e.message.contains(what), "{e} should name {what}");
}

const RAW: CheckKind = CheckKind::Hazard(HazardKind::Raw);
const WAR: CheckKind = CheckKind::Hazard(HazardKind::War);
const WAW: CheckKind = CheckKind::Hazard(HazardKind::Waw);

#[test]
fn raw_on_a_bank_word() {
    // v.copy at 1 writes b1:0 at 6; v.copy at 2 reads b1:0 at 3, before it.
    let p = [
        Instr::Vlen(1),
        copy(va(1, 0), va(0, 0)),
        copy(va(2, 0), va(1, 0)),
        Instr::Halt,
    ];
    let e = errors(&small(), &p);
    assert_eq!(e.len(), 1);
    find(&e, RAW, 2, 1, "b1:0");
    assert_eq!(e[0].cycle, 3);
    // One and two cycles later (reads at 4, 5) still before it, three cycles later (read
    // at 6) the same edge, still a hazard; four cycles later (read at 7) it is clean.
    for nops in 1..=4 {
        let mut q = vec![p[0], p[1]];
        q.extend(std::iter::repeat_n(Instr::Nop, nops));
        q.extend([p[2], p[3]]);
        if nops < 4 {
            find(&errors(&small(), &q), RAW, 2 + nops, 1, "b1:0");
        } else {
            assert!(check(&small(), &q).is_ok());
        }
    }
}

#[test]
fn raw_inside_one_vector_instruction() {
    // dst = a + 1 (.. + 4): element 0 writes b1:1 (.. b1:4) at t+5, element 1 (.. 4)
    // reads it at t+2 (.. t+5).
    for d in [1, 2, 3, 4] {
        let p = [Instr::Vlen(5), copy(va(1, d), va(1, 0)), Instr::Halt];
        find(&errors(&small(), &p), RAW, 1, 1, &format!("b1:{d}"));
    }
    // dst = a + 5 and dst = a are in order.
    for d in [0, 5] {
        let p = [Instr::Vlen(6), copy(va(1, d), va(1, 0)), Instr::Halt];
        assert!(check(&small(), &p).is_ok(), "dst = a + {d}");
    }
    // Without the vector operand stage every write is a cycle earlier: dst = a + 4 is
    // in order, dst = a + 3 still a hazard.
    let mut c = small();
    c.vector_operand_stage = false;
    let p = [Instr::Vlen(5), copy(va(1, 4), va(1, 0)), Instr::Halt];
    assert!(check(&c, &p).is_ok());
    let p = [Instr::Vlen(5), copy(va(1, 3), va(1, 0)), Instr::Halt];
    find(&errors(&c, &p), RAW, 1, 1, "b1:3");
}

#[test]
fn war_on_a_bank_word() {
    // mxu.run at 2 reads b0:7 at 2 + 1 + 7 = 10; v.copy at 4 writes b0:7 at 6.
    let p = [
        Instr::MxuLoad { w: 0 },
        Instr::Nop,
        run(0, 8, 0, true, false),
        Instr::Vlen(1),
        copy(va(0, 7), va(1, 0)),
        Instr::Halt,
    ];
    let e = errors(&small(), &p);
    assert_eq!(e.len(), 1, "{e:#?}");
    find(&e, WAR, 4, 2, "b0:7");
}

#[test]
fn waw_on_a_bank_word() {
    // rq.run at 8 writes b2:0 at 8 + 1 + 7 = 16; v.copy at 9 writes it at 11.
    let p = [
        Instr::RqParam { src: va(1, 0) },
        Instr::Wait(6),
        Instr::RqRun {
            acc: 0,
            rows: 1,
            dst: va(2, 0),
            relu: false,
        },
        copy(va(2, 0), va(0, 0)),
        Instr::Halt,
    ];
    let e = errors(&small(), &p);
    assert_eq!(e.len(), 1, "{e:#?}");
    find(&e, WAW, 3, 2, "b2:0");
}

#[test]
fn raw_on_an_accumulator_row() {
    // rq.param at 0 reads b0:100.. at 1..=7 (RQU busy until 7); mxu.load at 1; wait 4
    // at 2 (2..=6); mxu.run at 7 (bank 0 read at 8) writes acc row 0 at 14; rq.run at 8
    // reads acc row 0 at 9.
    let mut p = vec![
        Instr::RqParam { src: va(0, 100) },
        Instr::MxuLoad { w: 0 },
        Instr::Wait(4),
        run(0, 1, 0, true, false),
        Instr::RqRun {
            acc: 0,
            rows: 1,
            dst: va(2, 0),
            relu: false,
        },
        Instr::Halt,
    ];
    let e = errors(&small(), &p);
    assert_eq!(e.len(), 1, "{e:#?}");
    find(&e, RAW, 4, 3, "accumulator row 0");
    // rq.run at 14 reads it at 15 (and misses mxu.run's accumulator read at 13).
    p.insert(4, Instr::Wait(5));
    assert!(check(&small(), &p).is_ok());
}

#[test]
fn war_on_an_accumulator_row_comes_with_a_port_conflict() {
    // rq.param at 0; wait 7 at 1 (1..=8); mxu.load at 9; nop; mxu.run at 11 writes acc
    // row 0 at 18 (acc read port at 17); wait 7 at 12 (12..=19); rq.run of 8 rows at 20
    // reads acc row r at 21 + r; mxu.run at 21 uses the acc read port at 27 (the
    // rq.run's read of row 6) and writes row 7 at 28, the edge the rq.run reads it.
    let p = [
        Instr::RqParam { src: va(1, 0) },
        Instr::Wait(7),
        Instr::MxuLoad { w: 0 },
        Instr::Nop,
        run(0, 1, 0, true, false),
        Instr::Wait(7),
        Instr::RqRun {
            acc: 0,
            rows: 8,
            dst: va(2, 0),
            relu: false,
        },
        run(8, 1, 7, false, false),
        Instr::Halt,
    ];
    let e = errors(&small(), &p);
    assert_eq!(e.len(), 2, "{e:#?}");
    find(&e, WAR, 7, 6, "accumulator row 7");
    find(&e, CheckKind::Port, 7, 6, "accumulator read port");
    assert!(e.iter().any(|e| e.cycle == 27) && e.iter().any(|e| e.cycle == 28));
}

#[test]
fn raw_on_the_shadow_weights_and_the_swap_load_edge() {
    // mxu.load at 0 writes columns 2, 3 at 3; a swap at 1 reads them at 3.
    let p = [
        Instr::MxuLoad { w: 0 },
        run(0, 1, 0, true, false),
        Instr::Halt,
    ];
    find(
        &errors(&small(), &p),
        RAW,
        1,
        0,
        "shadow weights of column 2",
    );
    // swap + load in one instruction: the swap's read and the install's first write on
    // one edge is in order (the swap takes the old shadow).
    let mut r = run(0, 1, 0, true, false);
    if let Instr::MxuRun { load, .. } = &mut r {
        *load = Some(4);
    }
    assert!(check(&small(), &[p[0], Instr::Nop, r, Instr::Halt]).is_ok());
}

#[test]
fn hazards_on_requant_parameters() {
    // BUSY keeps rq.param and rq.run apart; the checker still tracks the parameters.
    // Fed directly (no walker): rq.param at 0 changes every field up to the end of 8;
    // an rq.run at 6 samples column 0's at 6 + 2 = 8: RAW. An rq.param at 5 after an rq.run at
    // 0 of 8 rows (parameters sampled up to 9) writes the biases of column 0 at 7: WAR.
    let cfg = small();
    let issue = |index, pc, cycle, instr| Issue {
        index,
        pc,
        cycle,
        vlen: 1,
        instr,
        frames: 0,
    };
    let rq = |rows| Instr::RqRun {
        acc: 0,
        rows,
        dst: va(2, 0),
        relu: false,
    };
    let mut ch = Checker::new(&cfg);
    ch.issue(&issue(0, 0, 0, Instr::RqParam { src: va(1, 0) }));
    ch.issue(&issue(1, 1, 6, rq(1)));
    let e = ch.errors().to_vec();
    find(&e, RAW, 1, 0, "requant bias of column 0");
    let mut ch = Checker::new(&cfg);
    ch.issue(&issue(0, 0, 0, rq(8)));
    ch.issue(&issue(1, 1, 5, Instr::RqParam { src: va(1, 0) }));
    find(ch.errors(), WAR, 1, 0, "requant bias of column 0");
}

#[test]
fn port_conflicts() {
    let c = small();
    // v.add with both sources in bank 1: its own read port, twice per cycle.
    let p = [
        Instr::VBin {
            op: VBinOp::Add,
            dst: va(0, 0),
            a: va(1, 0),
            b: va(1, 8),
        },
        Instr::Halt,
    ];
    find(
        &errors(&c, &p),
        CheckKind::Port,
        0,
        0,
        "read port of bank 1",
    );
    // mxu.load reads every weight bank at 1 and 2; v.copy at 1 reads bank 2 at 2.
    let p = [
        Instr::MxuLoad { w: 0 },
        copy(va(0, 0), va(2, 5)),
        Instr::Halt,
    ];
    let e = errors(&c, &p);
    assert_eq!(e.len(), 1);
    find(&e, CheckKind::Port, 1, 0, "read port of bank 2");
    assert_eq!(e[0].cycle, 2);
    // ... including banks whose columns it does not use: lanes 8, cols 4, 8 weight
    // banks (I = 1, columns 0..4 in banks 1..=4). v.copy at 1 (vlen 2) reads bank 8
    // at 2 and 3; mxu.load at 2 reads every weight bank at 3.
    let mut c1 = small();
    c1.cols = 4;
    c1.lanes = 8;
    c1.rows = 8;
    c1.bank_width = 64;
    c1.banks = 9;
    c1.array_dsp_mults = 32;
    c1.validate().unwrap();
    let p = [
        Instr::Vlen(2),
        copy(va(0, 0), va(8, 5)),
        Instr::MxuLoad { w: 0 },
        Instr::Halt,
    ];
    find(
        &errors(&c1, &p),
        CheckKind::Port,
        2,
        1,
        "read port of bank 8",
    );
    // rq.run at 7 writes bank 1 at 16; v.copy at 11 writes bank 1 at 16.
    let p = [
        Instr::RqParam { src: va(2, 0) },
        Instr::Wait(5),
        Instr::RqRun {
            acc: 0,
            rows: 1,
            dst: va(1, 100),
            relu: false,
        },
        Instr::Wait(2),
        copy(va(1, 0), va(0, 0)),
        Instr::Halt,
    ];
    let e = errors(&c, &p);
    assert_eq!(e.len(), 1, "{e:#?}");
    find(&e, CheckKind::Port, 4, 2, "write port of bank 1");
    assert_eq!(e[0].cycle, 16);
}

#[test]
fn spram_weight_banks_are_single_ported() {
    // v.copy b1:10 <- b1:0 with vlen 5 at 1: reads bank 1 at 2 .. 6 and writes it from
    // 5 (the icebreaker has no vector operand stage; 6 with it). Block RAM banks have a
    // read and a write port; the icebreaker's SPRAM banks one.
    let p = [Instr::Vlen(5), copy(va(1, 10), va(1, 0)), Instr::Halt];
    assert!(check(&small(), &p).is_ok());
    let ice = TileConfig::preset("icebreaker").unwrap();
    assert_eq!(ice.vector_write_delay(), 4);
    let e = errors(&ice, &p);
    assert_eq!(e.len(), 1, "{e:#?}");
    find(
        &e,
        CheckKind::Port,
        1,
        1,
        "single read/write port of SPRAM bank 1",
    );
    assert_eq!(e[0].cycle, 5);
    // Bank 0 (activations, block RAM) keeps both ports.
    let q = [Instr::Vlen(2), copy(va(0, 10), va(0, 0)), Instr::Halt];
    assert!(check(&ice, &q).is_ok());
}
