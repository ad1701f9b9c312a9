//! The executor against the arithmetic contract and the ISA's semantics.

use super::timed::run_timed;
use super::*;
use crate::arith::{matmul, requantize};
use crate::isa::{VBinOp, VUnOp};
use crate::layout::MatmulPlan;
use crate::schedule::check;
use rand::{Rng, SeedableRng};

fn va(bank: u8, word: u16) -> VAddr {
    VAddr { bank, word }
}

fn small() -> TileConfig {
    TileConfig::preset("sim-small").unwrap()
}

/// lanes 8, cols 4: requantized words have zero lanes 4..8; I = ceil(4/2) = 2.
fn narrow() -> TileConfig {
    let mut c = small();
    c.lanes = 8;
    c.rows = 8;
    c.bank_width = 64;
    c.array_dsp_mults = 32;
    c.validate().unwrap();
    c
}

#[test]
fn full_matmul_and_requantization_match_the_contract() {
    // C[5, 6] = A[5, 8] · B[8, 6] on sim-small: kt = 2 K tiles, nt = 2 N tiles, 4 weight
    // tiles of I = 2 install words (layout.rs). One mxu.load, then one mxu.run per tile
    // that swaps its tile in and installs the next (`load`), 5 cycles apart (MXU-run
    // busy for M = 5 rows); then rq.param and rq.run over all 10 accumulator rows.
    let cfg = small();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let (m, k, n) = (5, 8, 6);
    let edge = |r: &mut rand_chacha::ChaCha8Rng| match r.gen_range(0..6) {
        0 => -128,
        1 => 127,
        _ => r.gen(),
    };
    let a: Vec<i8> = (0..m * k).map(|_| edge(&mut rng)).collect();
    let b: Vec<i8> = (0..k * n).map(|_| edge(&mut rng)).collect();
    let plan = MatmulPlan::new(&cfg, m, k, n).unwrap();
    let mut mach = Machine::new(&cfg);
    for (i, w) in plan.act_words(&cfg, &a).into_iter().enumerate() {
        mach.banks[0][i] = w;
    }
    for (j, bank) in plan.weight_words(&cfg, &b).into_iter().enumerate() {
        for (i, w) in bank.into_iter().enumerate() {
            mach.banks[1 + j][i] = w;
        }
    }
    let params = vec![
        Requant {
            bias: i32::MIN,
            m: 65535,
            s: 47,
        },
        Requant {
            bias: 1000,
            m: 30000,
            s: 16,
        },
        Requant {
            bias: -7,
            m: 1,
            s: 0,
        },
        Requant {
            bias: 0,
            m: 40000,
            s: 20,
        },
    ];
    for (i, w) in encode_params(&cfg, &params).into_iter().enumerate() {
        mach.banks[2][900 + i] = w;
    }
    let inst = cfg.install_cycles() as u16;
    let mut prog = vec![Instr::MxuLoad { w: 0 }, Instr::Nop];
    for t in 0..plan.tiles() {
        let (ni, ki) = (t / plan.kt, t % plan.kt);
        prog.push(Instr::MxuRun {
            a: (ki * m) as u16,
            rows: m as u16,
            acc: (ni * m) as u16,
            swap: true,
            accumulate: ki > 0,
            load: (t + 1 < plan.tiles()).then_some((t as u16 + 1) * inst),
        });
        prog.push(Instr::Wait(3));
    }
    // Runs at 2, 7, 12, 17 (the last uses the acc read port at 23..=27 and writes row 9
    // at 28); its wait 3 ends at 21; rq.param at 22 (bank 2 is free of installs by
    // then) keeps RQU busy until 29; wait 5 at 23..=28; rq.run at 29; halt at 30.
    prog.push(Instr::RqParam { src: va(2, 900) });
    prog.push(Instr::Wait(5));
    prog.push(Instr::RqRun {
        acc: 0,
        rows: (plan.nt * m) as u16,
        dst: va(1, 500),
        relu: false,
    });
    prog.push(Instr::Halt);
    let sched = check(&cfg, &prog).unwrap();
    assert_eq!(sched.issues.last().unwrap().cycle, 30);
    // rq.run at 29: 10 rows, last write at 29 + 10 + 8 = 47; cycles 48.
    assert_eq!(sched.end.predicted_cycles, 48);
    let mut timed = mach.clone();
    let r = run(&cfg, &prog, &mut mach);
    assert_eq!(r.status, Status::Ok);
    assert_eq!((r.cycles, r.predicted_cycles), (48, 48));
    let c = matmul(&a, &b, m, k, n);
    let acc_rows = mach.acc[..plan.nt * m].to_vec();
    assert_eq!(plan.unpack(&cfg, &acc_rows), c);
    let out: Vec<Vec<i8>> = (0..plan.nt * m)
        .map(|r| mach.banks[1][500 + r].clone())
        .collect();
    let y = plan.unpack(&cfg, &out);
    for i in 0..m {
        for j in 0..n {
            let want = requantize(c[i * n + j], params[j % cfg.cols], false);
            assert_eq!(y[i * n + j], want, "Y[{i}][{j}]");
        }
    }
    assert_eq!(run_timed(&cfg, &prog, &mut timed), r);
    assert_eq!(timed, mach);
}

#[test]
fn swap_takes_the_old_shadow_and_load_refills_it() {
    let cfg = small();
    let mut m = Machine::new(&cfg);
    // Tile at weight word 0: all ones; at word 2: all twos. Activation row: 1, 2, 3, 4.
    for b in 1..3 {
        for w in 0..2 {
            m.banks[b][w] = vec![1; 4];
            m.banks[b][2 + w] = vec![2; 4];
        }
    }
    m.banks[0][0] = vec![1, 2, 3, 4];
    let prog = [
        Instr::MxuLoad { w: 0 },
        Instr::Nop,
        Instr::MxuRun {
            a: 0,
            rows: 1,
            acc: 0,
            swap: true,
            accumulate: false,
            load: Some(2),
        },
        Instr::Wait(1),
        Instr::MxuRun {
            a: 0,
            rows: 1,
            acc: 0,
            swap: true,
            accumulate: true,
            load: None,
        },
        Instr::Halt,
    ];
    check(&cfg, &prog).unwrap();
    let mut t = m.clone();
    assert_eq!(run(&cfg, &prog, &mut m).status, Status::Ok);
    // 10 * 1 (old shadow) + 10 * 2 (after the second swap).
    assert_eq!(m.acc[0], vec![30; 4]);
    assert_eq!(m.active, vec![vec![2; 4]; 4]);
    run_timed(&cfg, &prog, &mut t);
    assert_eq!(t, m);
}

#[test]
fn vector_semantics() {
    let cfg = small();
    let mut m = Machine::new(&cfg);
    m.banks[1][0] = vec![100, -100, 5, -128];
    m.banks[2][0] = vec![100, -100, -6, 127];
    // 100 words of 4 lanes: the maximum 90 first at index 300 (word 75, lane 0), again
    // later.
    for w in 0..100 {
        m.banks[0][w] = vec![-3; 4];
    }
    m.banks[0][75][0] = 90;
    m.banks[0][99][3] = 90;
    let prog = [
        Instr::VBin {
            op: VBinOp::Add,
            dst: va(0, 200),
            a: va(1, 0),
            b: va(2, 0),
        },
        Instr::VBin {
            op: VBinOp::Max,
            dst: va(0, 201),
            a: va(1, 0),
            b: va(2, 0),
        },
        Instr::VUn {
            op: VUnOp::Relu,
            dst: va(0, 202),
            a: va(1, 0),
        },
        Instr::Vlen(100),
        Instr::VUn {
            op: VUnOp::Argmax,
            dst: va(1, 9),
            a: va(0, 0),
        },
        Instr::Halt,
    ];
    let r = run(&cfg, &prog, &mut m);
    assert_eq!(r.status, Status::Ok);
    assert_eq!(m.banks[0][200], vec![127, -128, -1, -1]);
    assert_eq!(m.banks[0][201], vec![100, -100, 5, 127]);
    assert_eq!(m.banks[0][202], vec![100, 0, 5, 0]);
    assert_eq!(m.banks[1][9], vec![44, 1, 0, 0]);
    assert_eq!(m.vlen, 100);
}

#[test]
fn requantize_writes_zero_lanes_and_saturates_shifts() {
    let cfg = narrow();
    let mut m = Machine::new(&cfg);
    let params = vec![
        Requant {
            bias: 0,
            m: 1,
            s: 0,
        },
        Requant {
            bias: 3,
            m: 2,
            s: 1,
        },
        Requant {
            bias: 0,
            m: 65535,
            s: 200,
        },
        Requant {
            bias: -10,
            m: 1,
            s: 0,
        },
    ];
    // sections of ceil(16/8) + ceil(8/8) + ceil(4/8) = 4 words.
    let words = encode_params(&cfg, &params);
    assert_eq!(words.len(), crate::schedule::param_words(&cfg));
    let loaded = decode_params(&cfg, &words);
    assert_eq!(loaded[2].s, 47, "shift bytes above 47 load as 47");
    assert_eq!(loaded[..2], params[..2]);
    for (i, w) in words.into_iter().enumerate() {
        m.banks[1][i] = w;
    }
    m.acc[3] = vec![5, -1, i32::MAX, 4];
    let prog = [
        Instr::RqParam { src: va(1, 0) },
        Instr::Wait(3),
        Instr::RqRun {
            acc: 3,
            rows: 1,
            dst: va(0, 7),
            relu: true,
        },
        Instr::Halt,
    ];
    check(&cfg, &prog).unwrap();
    m.banks[0][7] = vec![9; 8];
    assert_eq!(run(&cfg, &prog, &mut m).status, Status::Ok);
    // (5, 1, 0) -> 5; (-1 + 3) * 2 / 2 = 2; i32::MAX * 65535 >> 47 = 1; relu(-6) = 0.
    assert_eq!(m.banks[0][7], vec![5, 2, 1, 0, 0, 0, 0, 0]);
}

#[test]
fn errors_stop_issuing_but_issued_instructions_complete() {
    let cfg = small();
    let mut m = Machine::new(&cfg);
    m.banks[0][0] = vec![1, 2, 3, 4];
    m.banks[0][1] = vec![5, 6, 7, 8];
    let copy = |dst, a| Instr::VUn {
        op: VUnOp::Copy,
        dst,
        a,
    };
    // v.copy (vlen 2) at 1 completes; the v.copy at 2 is BUSY and never happens.
    let prog = [
        Instr::Vlen(2),
        copy(va(1, 0), va(0, 0)),
        copy(va(2, 0), va(0, 0)),
        Instr::Halt,
    ];
    let r = run(&cfg, &prog, &mut m);
    assert_eq!(
        r,
        RunResult {
            status: Status::Busy,
            pc: 2,
            cycles: 8,
            predicted_cycles: 8
        }
    );
    assert_eq!(m.banks[1][1], vec![5, 6, 7, 8]);
    assert_eq!(m.banks[2][0], vec![0; 4]);
    // A new run starts with vlen 1.
    let r = run(&cfg, &[copy(va(2, 0), va(0, 0)), Instr::Halt], &mut m);
    assert_eq!((r.status, r.cycles), (Status::Ok, 6));
    assert_eq!(m.banks[2][1], vec![0; 4]);
}

#[test]
fn timed_execution_shows_what_a_hazard_does() {
    // The RAW of `raw_on_a_bank_word`: in order the second copy sees the first's
    // result; in time it reads b1:0 on the edge it is written and gets the old value.
    let cfg = small();
    let mut m = Machine::new(&cfg);
    m.banks[0][0] = vec![1, 1, 1, 1];
    let prog = [
        Instr::VUn {
            op: VUnOp::Copy,
            dst: va(1, 0),
            a: va(0, 0),
        },
        Instr::VUn {
            op: VUnOp::Copy,
            dst: va(2, 0),
            a: va(1, 0),
        },
        Instr::Halt,
    ];
    assert!(check(&cfg, &prog).is_err());
    let mut t = m.clone();
    run(&cfg, &prog, &mut m);
    run_timed(&cfg, &prog, &mut t);
    assert_eq!(m.banks[2][0], vec![1; 4]);
    assert_eq!(t.banks[2][0], vec![0; 4]);
}

#[test]
fn timed_execution_with_bank_read_stages() {
    // rq.param b0:100 at 0, mxu.load 0 at 1, mxu.run 0, 1, 0, swap at 9 (one row of
    // ones times ones: 4 in every column), rq.run of that row at 9 + gap into b1:50
    // (bias 0, m 1, shift 0: the value itself). With b = 1 every effect of the mxu.run
    // is a cycle later, the rq.run's are not: at the b = 0 spacing (gap 7) it reads the
    // row on the edge it is written and gets the old 0; at gap 8 it is in order.
    let prog = crate::schedule::tests::run_then_requant;
    let cfg0 = small();
    let mut cfg1 = small();
    cfg1.bank_read_stages = 1;
    let mut m0 = Machine::new(&cfg0);
    m0.banks[0][0] = vec![1; 4];
    for b in 1..=2 {
        for w in 0..2 {
            m0.banks[b][w] = vec![1; 4];
        }
    }
    let q = Requant {
        bias: 0,
        m: 1,
        s: 0,
    };
    for (i, w) in encode_params(&cfg0, &[q; 4]).into_iter().enumerate() {
        m0.banks[0][100 + i] = w;
    }
    for (cfg, gap, clean, timed_value, cycles) in [
        (&cfg0, 7, true, 4, 26),
        (&cfg1, 7, false, 0, 26),
        (&cfg1, 8, true, 4, 27),
    ] {
        let p = prog(gap);
        let ctx = format!("b = {} gap {gap}", cfg.bank_read_stages);
        assert_eq!(check(cfg, &p).is_ok(), clean, "{ctx}");
        let (mut m, mut t) = (m0.clone(), m0.clone());
        let r = run(cfg, &p, &mut m);
        assert_eq!(run_timed(cfg, &p, &mut t), r, "{ctx}");
        assert_eq!(
            (r.status, r.cycles, r.predicted_cycles),
            (Status::Ok, cycles, cycles)
        );
        assert_eq!(m.banks[1][50], vec![4; 4], "{ctx}");
        assert_eq!(t.banks[1][50], vec![timed_value; 4], "{ctx}");
        assert_eq!(t == m, clean, "{ctx}");
    }
}
