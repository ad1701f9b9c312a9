//! Hand-derived schedules and every status code. Unless stated, the config is
//! `sim-small`: lanes = cols = 4, banks = 3 (wb = 2, so I = ceil(4/2) = 2),
//! requant_lanes = 4 (beats = 1), pw = ceil(16/4) + ceil(8/4) + ceil(4/4) = 7, all
//! memories 1024 deep but the accumulator (512), imem_depth 1024.

use super::*;
use crate::isa::{VAddr, VBinOp};
use std::collections::BTreeSet;

pub(crate) fn small() -> TileConfig {
    TileConfig::preset("sim-small").unwrap()
}

pub(crate) fn va(bank: u8, word: u16) -> VAddr {
    VAddr { bank, word }
}

pub(crate) fn run(a: u16, rows: u16, acc: u16, swap: bool, accumulate: bool) -> Instr {
    Instr::MxuRun {
        a,
        rows,
        acc,
        swap,
        accumulate,
        load: None,
    }
}

pub(crate) fn copy(dst: VAddr, a: VAddr) -> Instr {
    Instr::VUn {
        op: VUnOp::Copy,
        dst,
        a,
    }
}

fn cycles_of(s: &Schedule) -> Vec<(usize, u64)> {
    s.issues.iter().map(|i| (i.pc, i.cycle)).collect()
}

fn end(cfg: &TileConfig, prog: &[Instr]) -> (Status, usize, u64, u64) {
    let e = summarize(cfg, prog);
    (e.status, e.pc, e.cycle, e.predicted_cycles)
}

#[test]
fn halt_alone_takes_one_cycle() {
    // halt issues in cycle 0; cycles = 1 + 0.
    assert_eq!(end(&small(), &[Instr::Halt]), (Status::Ok, 0, 0, 1));
}

#[test]
fn nop_and_wait() {
    // nop at 0; wait 5 at 1 occupies 1..=6; halt at 7; cycles = 8.
    let s = check(&small(), &[Instr::Nop, Instr::Wait(5), Instr::Halt]).unwrap();
    assert_eq!(cycles_of(&s), vec![(0, 0), (1, 1), (2, 7)]);
    assert_eq!(s.end.predicted_cycles, 8);
    // wait 2^32-1 walks in O(1): halt at 2^32, cycles 2^32 + 1.
    let e = summarize(&small(), &[Instr::Wait(u32::MAX), Instr::Halt]);
    assert_eq!(e.predicted_cycles, (1u64 << 32) + 1);
}

#[test]
fn load_then_run_drains_after_halt() {
    // mxu.load at 0 writes the shadow at the ends of 2 and 3; the run's swap (end of
    // t+2) must be after 3, so the run issues at 2 (a nop at 1). Run of 4 rows at 2:
    // last effect 2 + 4 + 6 = 12; halt at 3; cycles = 13.
    let p = [
        Instr::MxuLoad { w: 0 },
        Instr::Nop,
        run(0, 4, 0, true, false),
        Instr::Halt,
    ];
    let s = check(&small(), &p).unwrap();
    assert_eq!(s.end.cycle, 3);
    assert_eq!(s.end.predicted_cycles, 13);
    // One cycle earlier the swap reads columns 2, 3 on the edge they are written.
    let e = check(&small(), &[p[0], p[2], p[3]]).unwrap_err();
    assert!(e
        .iter()
        .all(|e| e.kind == CheckKind::Hazard(HazardKind::Raw)));
    assert!(e[0].message.contains("pc 1 (mxu.run)") && e[0].message.contains("pc 0 (mxu.load)"));
    assert!(
        e[0].message.contains("shadow weights of column 2"),
        "{}",
        e[0]
    );
}

#[test]
fn run_with_load_installs_behind_the_swap() {
    // mxu.run swap, load w at 2: the swap takes the old shadow at the end of 4 while the
    // install writes it at the ends of 4 and 5; MXU-load busy until 2 + 2 = 4. Last
    // effect max(2 + 1 + 6, 2 + 2 + 1) = 9, cycles 10.
    let mut r = run(0, 1, 0, true, false);
    if let Instr::MxuRun { load, .. } = &mut r {
        *load = Some(2);
    }
    let p = [Instr::MxuLoad { w: 0 }, Instr::Nop, r, Instr::Halt];
    let s = check(&small(), &p).unwrap();
    assert_eq!(s.end.predicted_cycles, 10);
    // Back to back with the mxu.load it needs MXU-load free: BUSY at pc 1, cycle 1.
    let e = summarize(&small(), &[p[0], r, Instr::Halt]);
    assert_eq!(
        (e.status, e.pc, e.cycle, e.other_pc),
        (Status::Busy, 1, 1, Some(0))
    );
    // while a plain mxu.run is a different unit: it issues (the checker then flags the
    // swap reading the shadow too early).
    let e = summarize(&small(), &[p[0], run(0, 1, 0, true, false), Instr::Halt]);
    assert_eq!(e.status, Status::Ok);
}

#[test]
fn array_feed_stages_delay_the_array_not_the_banks() {
    // With f feed stages every array event is f cycles later: the program above ends
    // f cycles later, and an mxu.load then an mxu.run that swaps it in still needs the
    // same spacing (the swap and the install's writes move together).
    let mut r = run(0, 1, 0, true, false);
    if let Instr::MxuRun { load, .. } = &mut r {
        *load = Some(2);
    }
    let p = [Instr::MxuLoad { w: 0 }, Instr::Nop, r, Instr::Halt];
    let tight = [
        Instr::MxuLoad { w: 0 },
        run(0, 1, 0, true, false),
        Instr::Halt,
    ];
    for f in 0..=crate::config::ARRAY_FEED_STAGES_MAX {
        let mut c = small();
        c.array_feed_stages = f;
        c.validate().unwrap();
        assert_eq!(check(&c, &p).unwrap().end.predicted_cycles, 10 + f as u64);
        assert!(check(&c, &tight).is_err(), "f = {f}");
        // The accumulator write of row 0 of the run at 2 lands at 2 + 7 + f.
        let s = check(&c, &p).unwrap();
        let mut writes = Vec::new();
        crate::schedule::events(&c, &s.issues[2], |e| {
            if let crate::schedule::Event::Write {
                loc: crate::schedule::Loc::Acc(0),
                cycle,
            } = e
            {
                writes.push(cycle)
            }
        });
        assert_eq!(writes, [9 + f as u64]);
    }
    let mut c = small();
    c.array_feed_stages = 3;
    let e = c.validate().unwrap_err();
    assert_eq!((e.param, e.value.as_str()), ("array_feed_stages", "3"));
}

#[test]
fn requantize_timing_on_icebreaker() {
    // icebreaker: requant_lanes = 1, requant_steps = 4, beats = 4 * 4 = 16, pw = 7.
    // rq.param at 0: busy until 7, parameters written at the ends of 2..=8. wait 5 at 1
    // (1..=6); rq.run of 2 rows at 7: parameters first sampled at 7 + 2 = 9 > 8; last
    // effect 7 + 2*16 + 8 = 47; halt at 8; cycles = 48.
    let cfg = TileConfig::preset("icebreaker").unwrap();
    assert_eq!((cfg.requant_steps, cfg.requant_beats()), (4, 16));
    let p = [
        Instr::RqParam { src: va(1, 0) },
        Instr::Wait(5),
        Instr::RqRun {
            acc: 0,
            rows: 2,
            dst: va(0, 0),
            relu: true,
        },
        Instr::Halt,
    ];
    let s = check(&cfg, &p).unwrap();
    assert_eq!(cycles_of(&s), vec![(0, 0), (1, 1), (2, 7), (3, 8)]);
    assert_eq!(s.end.predicted_cycles, 48);
    // wait 4: the rq.run would issue at 6 < 7.
    let e = summarize(&cfg, &[p[0], Instr::Wait(4), p[2], p[3]]);
    assert_eq!((e.status, e.pc, e.cycle), (Status::Busy, 2, 6));
}

#[test]
fn vector_ops_at_minimum_spacing() {
    // vlen 3 at 0; v.add at 1: VXU busy until 4, writes b0:10..12 at 6, 7, 8; wait 3 at
    // 2 (2..=5); v.argmax at 6 reads b0:10..12 at 7, 8, 9 (each after its write), writes
    // at 6 + 3 + 6 = 15 (its last effect); halt at 7; cycles = 16. (With `wait 2` the
    // argmax would read b0:10 at 6, the edge it is written: a RAW hazard.)
    let p = [
        Instr::Vlen(3),
        Instr::VBin {
            op: VBinOp::Add,
            dst: va(0, 10),
            a: va(1, 0),
            b: va(2, 0),
        },
        Instr::Wait(3),
        Instr::VUn {
            op: VUnOp::Argmax,
            dst: va(1, 20),
            a: va(0, 10),
        },
        Instr::Halt,
    ];
    let s = check(&small(), &p).unwrap();
    assert_eq!(s.end.predicted_cycles, 16);
    assert_eq!(s.issues[3].vlen, 3);
    // Without the wait: BUSY at pc 2, cycle 2.
    let q = [p[0], p[1], p[3], p[4]];
    assert_eq!(end(&small(), &q), (Status::Busy, 2, 2, 1 + 1 + 3 + 4));
    // Without the vector operand stage each write is a cycle earlier: `wait 2` is enough,
    // the argmax at 5 writes at 5 + 3 + 5 = 13, cycles = 14.
    let mut c = small();
    c.vector_operand_stage = false;
    let mut r = p;
    r[2] = Instr::Wait(2);
    assert!(check(&small(), &r).is_err());
    assert_eq!(check(&c, &r).unwrap().end.predicted_cycles, 14);
}

#[test]
fn loop_is_zero_overhead() {
    // loop at 0; body pcs 1, 2 three times at 1..=6; halt at 7; cycles 8.
    let p = [
        Instr::Loop { n: 3, end: 3 },
        Instr::Nop,
        Instr::Nop,
        Instr::Halt,
    ];
    let s = check(&small(), &p).unwrap();
    let pcs: Vec<usize> = s.issues.iter().map(|i| i.pc).collect();
    assert_eq!(pcs, vec![0, 1, 2, 1, 2, 1, 2, 3]);
    assert_eq!(
        s.issues.iter().map(|i| i.cycle).collect::<Vec<_>>(),
        (0..8).collect::<Vec<_>>()
    );
    assert_eq!(s.end.predicted_cycles, 8);
}

#[test]
fn nested_loops() {
    // outer (pc 0, n 2, end 5) around: nop (1), inner loop (2, n 3, end 4) of nop (3),
    // wait 1 (4). Cycles: 0 loop, 1 nop, 2 loop, 3 4 5 pc 3, 6 wait (6..=7);
    // second pass: 8 nop, 9 loop, 10 11 12 pc 3, 13 wait (13..=14); halt at 15.
    let p = [
        Instr::Loop { n: 2, end: 5 },
        Instr::Nop,
        Instr::Loop { n: 3, end: 4 },
        Instr::Nop,
        Instr::Wait(1),
        Instr::Halt,
    ];
    let s = check(&small(), &p).unwrap();
    let want = [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
        (3, 4),
        (3, 5),
        (4, 6),
        (1, 8),
        (2, 9),
        (3, 10),
        (3, 11),
        (3, 12),
        (4, 13),
        (5, 15),
    ];
    assert_eq!(cycles_of(&s), want);
    assert_eq!(s.end.predicted_cycles, 16);
    // Four nested loops are fine, a fifth is RANGE at its pc.
    let mut four: Vec<Instr> = (0..4).map(|k| Instr::Loop { n: 2, end: 8 - k }).collect();
    four.extend([Instr::Nop; 4]);
    four.push(Instr::Halt);
    assert_eq!(summarize(&small(), &four).status, Status::Ok);
    let mut five: Vec<Instr> = (0..5).map(|k| Instr::Loop { n: 1, end: 10 - k }).collect();
    five.extend([Instr::Nop; 5]);
    five.push(Instr::Halt);
    let e = summarize(&small(), &five);
    assert_eq!(
        (e.status, e.pc, e.cycle, e.other_pc),
        (Status::Range, 4, 4, Some(3))
    );
}

#[test]
fn long_loops_walk_fast() {
    // loop at 0; 1_000_000 nops at 1..=1_000_000; halt at 1_000_001.
    let p = [
        Instr::Loop {
            n: 1_000_000,
            end: 2,
        },
        Instr::Nop,
        Instr::Halt,
    ];
    assert_eq!(end(&small(), &p), (Status::Ok, 2, 1_000_001, 1_000_002));
    // 200k vector copies through the checker, one every 2 cycles (vlen 2).
    let p = [
        Instr::Vlen(2),
        Instr::Loop { n: 200_000, end: 4 },
        copy(va(1, 0), va(0, 0)),
        Instr::Nop,
        Instr::Halt,
    ];
    let e = check_summary(&small(), &p).unwrap();
    assert_eq!(e.issued, 2 + 400_000 + 1);
    // last copy at 2 + 2*199_999, last write 5 cycles after it plus 1.
    assert_eq!(e.predicted_cycles, 1 + (2 + 2 * 199_999 + 5 + 1));
}

#[test]
fn every_status_code() {
    let c = small();
    // Running off the program: the zero word at pc 1 is ILLEGAL in cycle 1.
    assert_eq!(end(&c, &[Instr::Nop]), (Status::Illegal, 1, 1, 2));
    // A bank >= banks is ILLEGAL even when the word is out of range too.
    let bad = copy(va(3, 1023), va(0, 0));
    assert_eq!(end(&c, &[bad, Instr::Halt]).0, Status::Illegal);
    // Words the decoder rejects.
    for i in [
        Instr::Vlen(0),
        Instr::Vlen(16385),
        Instr::Loop { n: 0, end: 5 },
    ] {
        assert_eq!(end(&c, &[i, Instr::Halt]).0, Status::Illegal, "{i:?}");
    }
    assert_eq!(end(&c, &[run(0, 0, 0, false, false)]).0, Status::Illegal);
    // Loop rules.
    let lp = |n, end| Instr::Loop { n, end };
    assert_eq!(end(&c, &[lp(1, 1), Instr::Halt]).0, Status::Illegal);
    assert_eq!(
        end(&c, &[lp(1, 1025), Instr::Nop, Instr::Halt]).0,
        Status::Illegal
    );
    let nested = [lp(2, 4), lp(2, 4), Instr::Nop, Instr::Nop, Instr::Halt];
    let e = summarize(&c, &nested);
    assert_eq!((e.status, e.pc, e.other_pc), (Status::Illegal, 1, Some(0)));
    // RANGE: w + I > bank_depth, a + rows > act_depth, acc + rows > acc_depth.
    assert_eq!(
        end(&c, &[Instr::MxuLoad { w: 1023 }]),
        (Status::Range, 0, 0, 1)
    );
    assert_eq!(end(&c, &[run(1020, 5, 0, false, false)]).0, Status::Range);
    assert_eq!(end(&c, &[run(0, 5, 510, false, false)]).0, Status::Range);
    assert_eq!(
        end(&c, &[Instr::RqParam { src: va(2, 1018) }]).0,
        Status::Range
    );
    // RANGE is checked before BUSY: v.copy over the end while VXU is busy.
    let p = [
        Instr::Vlen(4),
        copy(va(1, 0), va(0, 0)),
        copy(va(1, 1021), va(0, 0)),
    ];
    assert_eq!(end(&c, &p), (Status::Range, 2, 2, 1 + 1 + 4 + 4));
    // v.argmax writes one word: dst at the last word is fine.
    let am = Instr::VUn {
        op: VUnOp::Argmax,
        dst: va(1, 1023),
        a: va(0, 1020),
    };
    assert_eq!(end(&c, &[Instr::Vlen(4), am, Instr::Halt]).0, Status::Ok);
    // BUSY, naming the unit's instruction.
    let p = [
        Instr::Vlen(2),
        copy(va(1, 0), va(0, 0)),
        copy(va(2, 0), va(0, 0)),
    ];
    let e = summarize(&c, &p);
    assert_eq!(
        (e.status, e.pc, e.cycle, e.other_pc),
        (Status::Busy, 2, 2, Some(1))
    );
    assert_eq!(e.predicted_cycles, 1 + 1 + 2 + 4);
    // A loop body that re-issues to a busy unit.
    let p = [
        Instr::Vlen(4),
        lp(2, 3),
        copy(va(1, 0), va(0, 0)),
        Instr::Halt,
    ];
    assert_eq!(end(&c, &p), (Status::Busy, 2, 3, 1 + 2 + 4 + 4));
    // A send issues on a bare tile (its last effect, the post, is at P + 2); a recv
    // finds no frame at t + 1: LINK at the recv's pc, nothing issues from t + 1 on.
    let p_words = c.link_frame_words() as u64;
    assert_eq!(
        end(&c, &[Instr::Send { src: va(0, 0) }]),
        (Status::Illegal, 1, 1, 1 + p_words + 2)
    );
    assert_eq!(
        end(
            &c,
            &[Instr::Recv { dst: va(2, 0) }, Instr::Nop, Instr::Halt]
        ),
        (Status::Link, 0, 1, 2)
    );
    assert_eq!(end(&c, &[Instr::Recv { dst: va(3, 0) }]).0, Status::Illegal);
    // RANGE of both (vlen words from the operand).
    let far = va(1, (c.bank_depth - 1) as u16);
    assert_eq!(
        end(&c, &[Instr::Vlen(2), Instr::Send { src: far }]).0,
        Status::Range
    );
    assert_eq!(
        end(&c, &[Instr::Vlen(2), Instr::Recv { dst: far }]).0,
        Status::Range
    );
    // PC: 16 nops fill imem_depth 16; pc 16 is reached in cycle 16.
    let mut c16 = small();
    c16.imem_depth = 16;
    assert_eq!(end(&c16, &[Instr::Nop; 16]), (Status::Pc, 16, 16, 17));
    // A loop ending at imem_depth pops to pc 16: 1 + 2 * 15 issues.
    let mut p = vec![lp(2, 16)];
    p.extend([Instr::Nop; 15]);
    assert_eq!(end(&c16, &p), (Status::Pc, 16, 31, 32));
    // Words past imem_depth are never fetched; the checker says so.
    let mut p = vec![Instr::Nop; 16];
    p.push(Instr::Halt);
    assert_eq!(end(&c16, &p).0, Status::Pc);
    let e = check(&c16, &p).unwrap_err();
    assert!(
        e.iter().all(|e| e.kind == CheckKind::Pc) && e.len() == 2,
        "{e:?}"
    );
}

#[test]
fn checker_reports_hardware_errors() {
    let p = [
        Instr::Vlen(2),
        copy(va(1, 0), va(0, 0)),
        copy(va(2, 0), va(0, 0)),
    ];
    let e = check(&small(), &p).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].kind, e[0].pc, e[0].other_pc, e[0].cycle),
        (CheckKind::Busy, 2, Some(1), 2)
    );
    assert!(
        e[0].to_string().contains("BUSY") && e[0].message.contains("pc 1"),
        "{}",
        e[0]
    );
    // An operand that does not fit its field is rejected even though it decodes.
    let e = check(&small(), &[copy(va(1, 20000), va(0, 0)), Instr::Halt]).unwrap_err();
    assert_eq!(e[0].kind, CheckKind::Illegal);
}

#[test]
fn requantize_timing_with_serial_lanes() {
    // sim-small with 2 LUT lanes of 4 steps: beats = 4 / 2 * 4 = 8. rq.run of 3 rows at
    // 0: busy until 24 (the next rq.run issues at 24, not 23); row r written at
    // (r + 1) * 8 + 8, last effect 32; halt at 1, cycles = 33.
    let mut cfg = small();
    cfg.requant_dsp = false;
    cfg.requant_lanes = 2;
    cfg.requant_steps = 4;
    cfg.validate().unwrap();
    assert_eq!(cfg.requant_beats(), 8);
    let run = |acc| Instr::RqRun {
        acc,
        rows: 3,
        dst: va(0, 0),
        relu: false,
    };
    let s = check(&cfg, &[run(0), Instr::Halt]).unwrap();
    assert_eq!(s.end.predicted_cycles, 33);
    let s = check(&cfg, &[run(0), Instr::Wait(22), run(8), Instr::Halt]).unwrap();
    assert_eq!(cycles_of(&s), vec![(0, 0), (1, 1), (2, 24), (3, 25)]);
    let e = summarize(&cfg, &[run(0), Instr::Wait(21), run(8), Instr::Halt]);
    assert_eq!((e.status, e.pc, e.cycle), (Status::Busy, 2, 23));
    // The same rows with one step: beats = 2, 3 rows take 6 cycles.
    cfg.requant_steps = 1;
    let s = check(&cfg, &[run(0), Instr::Halt]).unwrap();
    assert_eq!(s.end.predicted_cycles, 3 * 2 + 8 + 1);
}

/// Every instruction kind once, issued at cycle `t` on `cfg` (send / recv with all
/// their frames).
fn every_kind(cfg: &TileConfig, t: u64) -> Vec<Issue> {
    let mut load = run(0, 3, 5, true, true);
    if let Instr::MxuRun { load: l, .. } = &mut load {
        *l = Some(2);
    }
    let bin = |op| Instr::VBin {
        op,
        dst: va(0, 40),
        a: va(1, 0),
        b: va(2, 0),
    };
    let un = |op| Instr::VUn {
        op,
        dst: va(1, 40),
        a: va(0, 0),
    };
    let instrs = [
        (Instr::MxuLoad { w: 0 }, 3),
        (load, 3),
        (run(0, 2, 0, false, false), 3),
        (Instr::RqParam { src: va(1, 0) }, 3),
        (
            Instr::RqRun {
                acc: 0,
                rows: 2,
                dst: va(0, 10),
                relu: false,
            },
            3,
        ),
        (bin(VBinOp::Add), 3),
        (bin(VBinOp::Max), 3),
        (un(VUnOp::Relu), 3),
        (un(VUnOp::Copy), 3),
        (un(VUnOp::Argmax), 3),
        (Instr::Send { src: va(0, 0) }, 40),
        (Instr::Recv { dst: va(1, 0) }, 40),
        (Instr::Nop, 3),
        (Instr::Wait(4), 3),
        (Instr::Vlen(7), 3),
        (Instr::Loop { n: 2, end: 9 }, 3),
        (Instr::Halt, 3),
    ];
    instrs
        .into_iter()
        .enumerate()
        .map(|(k, (instr, vlen))| Issue {
            index: k as u64,
            pc: k,
            cycle: t,
            vlen,
            instr,
            frames: match instr {
                Instr::Send { .. } | Instr::Recv { .. } => link_frames(cfg, vlen),
                _ => 0,
            },
        })
        .collect()
}

fn events_of(cfg: &TileConfig, is: &Issue) -> Vec<Event> {
    let mut v = Vec::new();
    events(cfg, is, |e| v.push(e));
    v
}

#[test]
fn bank_read_stages_delay_every_event_of_a_bank_reader_and_not_its_occupancy() {
    // With b = 1 every event of mxu.load, mxu.run, rq.param, v.* and send is exactly one
    // cycle later than with b = 0, in the same order; rq.run, recv and the sequencer
    // do not change. Busy-until does not move; the last effect moves with the events.
    let readers = [
        "mxu.load", "mxu.run", "rq.param", "v.add", "v.max", "v.relu", "v.copy", "v.argmax", "send",
    ];
    let mut ice = TileConfig::preset("icebreaker").unwrap();
    ice.requant_steps = 2;
    let mut ulx = TileConfig::preset("ulx3s-85f").unwrap();
    ulx.array_feed_stages = 2;
    ulx.bank_read_stages = 0;
    for (base, b) in [small(), ice, ulx]
        .into_iter()
        .flat_map(|c| [(c.clone(), 1), (c.clone(), 2), (c, 3)])
    {
        let mut c1 = base.clone();
        c1.bank_read_stages = b;
        c1.validate().unwrap();
        assert_eq!(
            (base.bank_read_delay(), c1.bank_read_delay()),
            (0, b as u64)
        );
        assert_eq!(c1.bank_address_delay(), 1);
        let mut moved = BTreeSet::new();
        for is in every_kind(&base, 10) {
            let name = mnemonic(&is.instr);
            let reader = readers.contains(&name);
            assert_eq!(reads_bank(&is.instr), reader, "{name}");
            assert_eq!(
                bank_read_shift(&c1, &is.instr),
                reader as u64 * b as u64,
                "{name}"
            );
            assert_eq!(bank_read_shift(&base, &is.instr), 0, "{name}");
            let (e0, e1) = (events_of(&base, &is), events_of(&c1, &is));
            let d = reader as u64 * b as u64;
            // The bank reads themselves (the SRAM access) only move by the address stage.
            let want: Vec<Event> = e0
                .iter()
                .map(|e| match e {
                    Event::Port {
                        port: Port::BankRead(_),
                        ..
                    }
                    | Event::Read {
                        loc: Loc::Bank { .. },
                        ..
                    } => e.later(d.min(1)),
                    _ => e.later(d),
                })
                .collect();
            assert_eq!(e1, want, "{} b {b} {name}", base.name);
            if reader {
                assert!(!e0.is_empty(), "{name}");
                moved.insert(name);
            }
            let (t0, t1) = (
                timing(&base, &is.instr, is.vlen),
                timing(&c1, &is.instr, is.vlen),
            );
            assert_eq!(t1.busy, t0.busy, "{} {name}: occupancy", base.name);
            assert_eq!(t1.advance, t0.advance, "{name}");
            assert_eq!(t1.last_effect, t0.last_effect + d, "{} {name}", base.name);
            // The timing table's last effect is the last event.
            if let Some(last) = e1.iter().map(Event::cycle).max() {
                assert_eq!(is.cycle + t1.last_effect, last, "{} {name}", base.name);
            }
        }
        assert_eq!(moved.len(), readers.len(), "{moved:?}");
    }
    // Concretely (sim-small, b = 1): v.copy at 10 reads word 0 at 12 and writes it at
    // 10 + 5 + 1 = 16; mxu.run's accumulator write of row 0 is at 10 + 7 + 1 = 18.
    let mut c1 = small();
    c1.bank_read_stages = 1;
    let all = every_kind(&c1, 10);
    let copy = events_of(&c1, &all[8]);
    assert_eq!(mnemonic(&all[8].instr), "v.copy");
    assert_eq!(
        copy[0],
        Event::Port {
            port: Port::BankRead(0),
            cycle: 12
        }
    );
    assert!(copy.contains(&Event::Write {
        loc: Loc::Bank { bank: 1, word: 40 },
        cycle: 16
    }));
    let acc_writes: Vec<u64> = events_of(&c1, &all[2])
        .into_iter()
        .filter_map(|e| match e {
            Event::Write {
                loc: Loc::Acc(0),
                cycle,
            } => Some(cycle),
            _ => None,
        })
        .collect();
    assert_eq!(acc_writes, [18]);
}

#[test]
fn bank_read_stages_keep_issue_cycles_and_move_the_end() {
    // Back to back on every unit: the same issue cycles with b = 0 and b = 1 (no
    // BUSY), the run ends one cycle later when its last effect is a bank reader's.
    // vlen 3 at 0; mxu.load at 1 (MXU-load busy until 3); v.copy at 2 (VXU busy until
    // 5); mxu.load at 3; nop; v.copy at 5, writing its word 2 at 5 + 2 + 5 (+ b).
    let p = [
        Instr::Vlen(3),
        Instr::MxuLoad { w: 0 },
        copy(va(1, 100), va(0, 0)),
        Instr::MxuLoad { w: 2 },
        Instr::Nop,
        copy(va(1, 108), va(0, 8)),
        Instr::Halt,
    ];
    let mut c1 = small();
    c1.bank_read_stages = 1;
    let (s0, s1) = (check(&small(), &p).unwrap(), check(&c1, &p).unwrap());
    assert_eq!(cycles_of(&s0), cycles_of(&s1));
    assert_eq!(cycles_of(&s1)[3..6], [(3, 3), (4, 4), (5, 5)]);
    assert_eq!(s0.end.predicted_cycles, 1 + 5 + 2 + 5);
    assert_eq!(s1.end.predicted_cycles, s0.end.predicted_cycles + 1);
    // A run that ends with an rq.run (no bank read) ends when it did.
    let rq = [
        Instr::RqRun {
            acc: 0,
            rows: 2,
            dst: va(0, 0),
            relu: false,
        },
        Instr::Halt,
    ];
    assert_eq!(
        summarize(&c1, &rq).predicted_cycles,
        summarize(&small(), &rq).predicted_cycles
    );
}

/// `rq.param b0:100`, `mxu.load 0`, `mxu.run 0, 1, 0, swap` at 9, then `rq.run` of its
/// accumulator row `gap` cycles after the run.
pub(crate) fn run_then_requant(gap: u32) -> Vec<Instr> {
    vec![
        Instr::RqParam { src: va(0, 100) },
        Instr::MxuLoad { w: 0 },
        Instr::Wait(6),
        run(0, 1, 0, true, false),
        Instr::Wait(gap - 2),
        Instr::RqRun {
            acc: 0,
            rows: 1,
            dst: va(1, 50),
            relu: false,
        },
        Instr::Halt,
    ]
}

#[test]
fn bank_read_stages_make_an_mxu_run_to_rq_run_spacing_a_hazard() {
    // mxu.run at 9 writes accumulator row 0 at 9 + 7 (+ b); rq.run (which reads no bank
    // and does not move) at 9 + g reads it at 9 + g + 1. With b = 0 the minimum spacing
    // is g = 7; with b = 1 the write lands on the edge of that read: a RAW hazard, and
    // g = 8 is needed.
    let mut c1 = small();
    c1.bank_read_stages = 1;
    assert!(check(&small(), &run_then_requant(6)).is_err());
    let s0 = check(&small(), &run_then_requant(7)).unwrap();
    assert_eq!(s0.issues[5].cycle, 16);
    let e = check(&c1, &run_then_requant(7)).unwrap_err();
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(
        (e[0].kind, e[0].pc, e[0].other_pc, e[0].cycle),
        (CheckKind::Hazard(HazardKind::Raw), 5, Some(3), 17)
    );
    assert!(
        e[0].message.contains("accumulator row 0") && e[0].message.contains("pc 3 (mxu.run)"),
        "{}",
        e[0]
    );
    let s1 = check(&c1, &run_then_requant(8)).unwrap();
    // rq.run at 17: its bank write (not delayed) at 17 + 1 + 8 = 26 is the last effect.
    assert_eq!(s1.end.predicted_cycles, 27);
    // Four rows at the b = 0 minimum spacing (the accumulator read port decides it):
    // with b = 1 the two instructions' accumulator reads collide.
    let mut p = run_then_requant(9);
    p[3] = run(0, 4, 0, true, false);
    if let Instr::RqRun { rows, .. } = &mut p[5] {
        *rows = 4;
    }
    assert!(check(&small(), &p).is_ok());
    let mut q = p.clone();
    q[4] = Instr::Wait(6);
    assert!(check(&small(), &q).is_err());
    let e = check(&c1, &p).unwrap_err();
    assert!(e.iter().any(|e| e.kind == CheckKind::Port), "{e:#?}");
}

/// `mxu.load 0`, then two one-row `mxu.run`s into accumulator row 0, the second adding
/// to the first `gap` cycles later.
fn two_updates_of_a_row(gap: u32) -> Vec<Instr> {
    let mut p = vec![
        Instr::MxuLoad { w: 0 },
        Instr::Wait(6),
        run(0, 1, 0, true, false),
    ];
    if gap > 1 {
        p.push(Instr::Wait(gap - 2));
    }
    p.push(run(1, 1, 0, false, true));
    p.push(Instr::Halt);
    p
}

#[test]
fn acc_read_stage_reads_a_cycle_earlier_and_spaces_updates_of_a_row_by_three() {
    // The first run (at 8) writes row 0 at 8 + 7; the second, `gap` cycles later, reads
    // it at 8 + gap + 6, or + 5 with the read stage: a read on the edge of the write (or
    // before it) is a RAW hazard, so the minimum gap is 2 without the stage, 3 with it.
    let mut st = small();
    st.acc_read_stage = true;
    st.validate().unwrap();
    assert_eq!((small().acc_read_delay(), st.acc_read_delay()), (0, 1));
    assert!(check(&small(), &two_updates_of_a_row(1)).is_err());
    let s0 = check(&small(), &two_updates_of_a_row(2)).unwrap();
    let e = check(&st, &two_updates_of_a_row(2)).unwrap_err();
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(
        (e[0].kind, e[0].pc, e[0].other_pc, e[0].cycle),
        (CheckKind::Hazard(HazardKind::Raw), 4, Some(2), 15)
    );
    assert!(e[0].message.contains("accumulator row 0"), "{}", e[0]);
    let s1 = check(&st, &two_updates_of_a_row(3)).unwrap();
    // The writes do not move: the stage changes no instruction's last effect.
    let s0_3 = check(&small(), &two_updates_of_a_row(3)).unwrap();
    assert_eq!(s1.end.predicted_cycles, s0_3.end.predicted_cycles);
    assert_eq!(s0.end.predicted_cycles + 1, s1.end.predicted_cycles);
    // mxu.run's accumulator reads come a cycle earlier; rq.run's a cycle later (the
    // address register), and its parameter reads and bank writes two cycles later (the
    // row arrives through the word register); every other event of every kind of
    // instruction is where it was.
    let mut moved = 0;
    let mut rq_moved = 0;
    for (x, y) in every_kind(&small(), 20).iter().zip(every_kind(&st, 20)) {
        let (a, b) = (events_of(&small(), x), events_of(&st, &y));
        assert_eq!(a.len(), b.len(), "{:?}", x.instr);
        for (ea, eb) in a.into_iter().zip(b) {
            let acc_read = matches!(
                ea,
                Event::Port {
                    port: Port::AccRead,
                    ..
                } | Event::Read {
                    loc: Loc::Acc(_),
                    ..
                }
            );
            let rq_late = matches!(
                ea,
                Event::Port {
                    port: Port::BankWrite(_),
                    ..
                } | Event::Read {
                    loc: Loc::Param(..),
                    ..
                } | Event::Write { .. }
            );
            match x.instr {
                Instr::MxuRun { .. } if acc_read => {
                    assert_eq!(ea, eb.later(1), "{:?}", x.instr);
                    moved += 1;
                }
                Instr::RqRun { .. } if acc_read || rq_late => {
                    assert_eq!(ea.later(1 + rq_late as u64), eb, "{:?}", x.instr);
                    rq_moved += 1;
                }
                _ => assert_eq!(ea, eb, "{:?}", x.instr),
            }
        }
    }
    assert!(moved > 0 && rq_moved > 0);
    // The host sees the stage in INFO2 bit 2.
    assert_eq!((small().info2_word(), st.info2_word()), (0, 0b100));
}
