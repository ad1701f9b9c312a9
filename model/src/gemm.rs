//! A small compiler: one matmul (optionally requantized) as a static instruction stream
//! plus the SRAM image it runs on. The CLI's `matmul` and the tests use it.
//!
//! Memory layout (see [`crate::layout`] for the tile orders):
//! - bank 0 from word 0: A, `kt * M` words; then Y (requantized output), `nt * M` words;
//! - weight banks from word 0: the `kt * nt` weight tiles, `I` words each; bank 1 after
//!   the weights: one requant parameter block of `pw` words per N tile;
//! - accumulator rows from 0: C, `nt * M` rows.
//!
//! **Schedule** (the one the cycle model of Step 1 described, now as instructions): the
//! first tile installs with `mxu.load`; then one `mxu.run` per tile streams the `M` rows
//! with `swap` while it installs the next tile (`load`), followed by `wait P - 2` where
//! `P = max(M, I, 2)` ([`run_period`]); `halt` right after the last run. So the matmul
//! program is busy for exactly [`matmul_program_cycles`] cycles.
//!
//! The runs go **K tile by K tile** ([`MatmulPlan::run_order`]): every N tile of K
//! tile 0, then every N tile of K tile 1, and so on. Two updates of one accumulator row
//! are then `nt` runs apart, not one, so the accumulator's spacing rule (2 cycles
//! between updates of a row, 3 with [`TileConfig::acc_read_stage`]) costs nothing once
//! there are two N tiles: only a matmul with one N tile and a period under 3 runs at
//! `P = 3` with the stage.
//!
//! The requantization, if any, is a second
//! program: per N tile `rq.param` then `rq.run`, back to back (with bank read stages,
//! [`TileConfig::bank_read_stages`], the `rq.run` waits `b` more cycles for the
//! parameters, which land `b` cycles later).

use crate::arith::Requant;
use crate::exec::encode_params;
use crate::isa::{Instr, VAddr};
use crate::layout::{MatmulPlan, PlanError};
use crate::schedule::param_words;
use crate::TileConfig;

/// A compiled matmul.
#[derive(Clone, Debug)]
pub struct GemmProgram {
    /// The tiling.
    pub plan: MatmulPlan,
    /// The matmul program (ends with `halt`).
    pub matmul: Vec<Instr>,
    /// The requantization program, when requantizing.
    pub requant: Option<Vec<Instr>>,
    /// Words to load before running: (address, word).
    pub image: Vec<(VAddr, Vec<i8>)>,
    /// First bank-0 word of the requantized output (`nt * M` words).
    pub y_base: usize,
}

/// Cycles from one `mxu.run` of the matmul to the next, `P`: the run's `m` rows, the
/// next tile's install (`I` cycles), at least 2, and enough that two updates of one
/// accumulator row, `nt` runs apart in [`MatmulPlan::run_order`], are at least the
/// accumulator's spacing apart: 2 cycles, 3 with the accumulator read stage
/// ([`TileConfig::acc_read_stage`]), which reads the row a cycle earlier. So
/// `P = max(m, I, 2, ceil(spacing / nt))`.
pub fn run_period(cfg: &TileConfig, m: u64, nt: u64) -> u64 {
    let spacing = 2 + cfg.acc_read_delay();
    m.max(cfg.install_cycles() as u64)
        .max(2)
        .max(spacing.div_ceil(nt.max(1)))
}

/// Busy cycles of the matmul program for `m` rows, `kt` K tiles and `nt` N tiles.
pub fn matmul_program_cycles(cfg: &TileConfig, m: u64, kt: u64, nt: u64) -> u64 {
    let i = cfg.install_cycles() as u64;
    let p = run_period(cfg, m, nt);
    let tiles = kt * nt;
    // first run issues at cycle I; the last at I + (tiles - 1) * P; its last
    // accumulator write lands at + M + 6 + f + b (the array's feed stages and the bank
    // read stages); the count is that cycle + 1.
    i + (tiles - 1) * p + m + 7 + cfg.array_feed_delay() + cfg.bank_read_delay()
}

/// Compile `A [m, k] · B [k, n]` (requantized with `rq` = per-column parameters and
/// ReLU, when given) for `cfg`.
pub fn compile(
    cfg: &TileConfig,
    a: &[i8],
    b: &[i8],
    (m, k, n): (usize, usize, usize),
    rq: Option<(&[Requant], bool)>,
) -> Result<GemmProgram, PlanError> {
    let plan = MatmulPlan::new(cfg, m, k, n)?;
    let inst = cfg.install_cycles();
    let tiles = plan.tiles();
    let pw = param_words(cfg);
    let y_base = plan.kt * m;
    let fit = |what: String, need: usize, memory: &'static str, have: usize| {
        if need > have {
            Err(PlanError::DoesNotFit {
                what,
                need,
                memory,
                have,
                config: cfg.name.clone(),
            })
        } else {
            Ok(())
        }
    };
    if rq.is_some() {
        fit(
            format!(
                "A and the requantized Y ({} + {} words)",
                plan.kt * m,
                plan.nt * m
            ),
            y_base + plan.nt * m,
            "activation bank (bank 0)",
            cfg.act_depth,
        )?;
        fit(
            format!(
                "weights and requantization parameters ({} + {} words)",
                tiles * inst,
                plan.nt * pw
            ),
            tiles * inst + plan.nt * pw,
            "weight bank 1",
            cfg.bank_depth,
        )?;
    }
    let mut image = Vec::new();
    for (w, word) in plan.act_words(cfg, a).into_iter().enumerate() {
        image.push((
            VAddr {
                bank: 0,
                word: w as u16,
            },
            word,
        ));
    }
    for (bank, words) in plan.weight_words(cfg, b).into_iter().enumerate() {
        for (w, word) in words.into_iter().enumerate() {
            image.push((
                VAddr {
                    bank: bank as u8 + 1,
                    word: w as u16,
                },
                word,
            ));
        }
    }
    // The matmul: install the first tile, then one run per tile that installs the next.
    let period = run_period(cfg, m as u64, plan.nt as u64) as usize;
    let order: Vec<(usize, usize)> = plan.run_order().collect();
    let at = |(ni, ki): (usize, usize)| ((ni * plan.kt + ki) * inst) as u16;
    let mut prog = vec![Instr::MxuLoad { w: at(order[0]) }];
    if inst > 1 {
        prog.push(Instr::Wait(inst as u32 - 2));
    }
    for (s, &(ni, ki)) in order.iter().enumerate() {
        prog.push(Instr::MxuRun {
            a: (ki * m) as u16,
            rows: m as u16,
            acc: (ni * m) as u16,
            swap: true,
            accumulate: ki > 0,
            load: order.get(s + 1).map(|&next| at(next)),
        });
        if s + 1 < tiles && period > 1 {
            prog.push(Instr::Wait(period as u32 - 2));
        }
    }
    prog.push(Instr::Halt);
    // The requantization: per N tile, its parameters, then its rows.
    let requant = rq.map(|(params, relu)| {
        let mut p = Vec::new();
        for ni in 0..plan.nt {
            let cols: Vec<Requant> = (0..cfg.cols)
                .map(|c| {
                    params.get(ni * cfg.cols + c).copied().unwrap_or(Requant {
                        bias: 0,
                        m: 0,
                        s: 0,
                    })
                })
                .collect();
            let base = tiles * inst + ni * pw;
            for (w, word) in encode_params(cfg, &cols).into_iter().enumerate() {
                image.push((
                    VAddr {
                        bank: 1,
                        word: (base + w) as u16,
                    },
                    word,
                ));
            }
            p.push(Instr::RqParam {
                src: VAddr {
                    bank: 1,
                    word: base as u16,
                },
            });
            // rq.run issues when RQU is free (pw cycles after rq.param) and takes the
            // parameters at t + 2; with bank read stages the parameters land b cycles
            // later (rq.run reads no bank and does not move), so it waits b more, less
            // what the accumulator read stage delays its rows.
            let gap = cfg.requant_param_to_run(pw as u64);
            if gap > 1 {
                p.push(Instr::Wait(gap as u32 - 2));
            }
            p.push(Instr::RqRun {
                acc: (ni * m) as u16,
                rows: m as u16,
                dst: VAddr {
                    bank: 0,
                    word: (y_base + ni * m) as u16,
                },
                relu,
            });
            // The next load waits for the run's last parameter read too.
            let busy = cfg.requant_run_to_param(m as u64);
            if ni + 1 < plan.nt && busy > 1 {
                p.push(Instr::Wait(busy as u32 - 2));
            }
        }
        p.push(Instr::Halt);
        p
    });
    Ok(GemmProgram {
        plan,
        matmul: prog,
        requant,
        image,
        y_base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::{matmul, requantize};
    use crate::exec::{run, timed::run_timed, Machine};
    use crate::randprog::Rng;
    use crate::schedule::check;

    /// Compiled matmul and requantization programs on every preset, with and without
    /// bank read stages and the accumulator read stage: checker-clean, the predicted
    /// cycle count, the arithmetic contract, and the same result in program order and in
    /// time.
    #[test]
    fn compiled_programs_hold_with_bank_read_stages() {
        for p in crate::config::PRESET_NAMES {
            let mut per = Vec::new();
            for e in [false, true] {
                for b in 0..=crate::config::BANK_READ_STAGES_MAX {
                    let mut cfg = TileConfig::preset(p).unwrap();
                    (cfg.bank_read_stages, cfg.acc_read_stage) = (b, e);
                    cfg.validate().unwrap();
                    let compiled = compiled_and_run(&cfg, &format!("{p} b {b} e {e}"));
                    per.push((cfg, compiled));
                }
            }
            let n = crate::config::BANK_READ_STAGES_MAX + 1;
            let [(c0, (g0, n0)), (c1, (g1, n1)), ..] = &per[..] else {
                unreachable!()
            };
            // The matmul program is the same; it ends b cycles later. The requantization
            // waits b more for its parameters: the b = 0 one is a hazard with b = 1.
            assert_eq!(g0.matmul, g1.matmul, "{p}");
            assert_eq!(*n1, n0 + 1, "{p}");
            let (r0, r1) = (g0.requant.as_ref().unwrap(), g1.requant.as_ref().unwrap());
            assert_eq!(r1.len(), r0.len(), "{p}");
            assert!(check(c0, r0).is_ok() && check(c1, r0).is_err(), "{p}");
            // With the accumulator read stage the matmul program is the same, at the same
            // cycle count (the accumulator writes do not move); the requantization reads
            // and writes later, and its program differs only in its waits.
            for ((_, (g, cycles)), (_, (ge, ce))) in per[..n].iter().zip(&per[n..]) {
                assert_eq!((&g.matmul, cycles), (&ge.matmul, ce), "{p}");
                let (r, re) = (g.requant.as_ref().unwrap(), ge.requant.as_ref().unwrap());
                assert_eq!(r.len(), re.len(), "{p}");
                for (a, b) in r.iter().zip(re) {
                    assert!(
                        a == b || matches!((a, b), (Instr::Wait(_), Instr::Wait(_))),
                        "{p}: {a:?} / {b:?}"
                    );
                }
            }
        }
    }

    /// Compile a 5 x 2rows x (2cols - 1) matmul with requantization for `cfg`, check both
    /// programs and their predicted cycles, run them in program order and in time, and
    /// check Y against the arithmetic contract: the programs and the matmul's cycles.
    fn compiled_and_run(cfg: &TileConfig, ctx: &str) -> (GemmProgram, u64) {
        let (m, k, n) = (5, 2 * cfg.rows, 2 * cfg.cols - 1);
        let mut rng = Rng::new(17 + cfg.bank_read_stages as u64);
        let a: Vec<i8> = (0..m * k).map(|_| rng.i8()).collect();
        let w: Vec<i8> = (0..k * n).map(|_| rng.i8()).collect();
        let q: Vec<Requant> = (0..n)
            .map(|j| Requant {
                bias: 37 * j as i32 - 300,
                m: 1000 + 300 * j as u16,
                s: 12,
            })
            .collect();
        let g = compile(cfg, &a, &w, (m, k, n), Some((&q, true))).unwrap();
        let s = check(cfg, &g.matmul).unwrap_or_else(|e| panic!("{ctx}: {e:#?}"));
        let (kt, nt) = (g.plan.kt as u64, g.plan.nt as u64);
        let want = matmul_program_cycles(cfg, m as u64, kt, nt);
        assert_eq!(s.end.predicted_cycles, want, "{ctx}");
        let rq = g.requant.clone().unwrap();
        check(cfg, &rq).unwrap_or_else(|e| panic!("{ctx}: {e:#?}"));
        let mut mach = Machine::new(cfg);
        for (at, word) in &g.image {
            mach.word_mut(*at).copy_from_slice(word);
        }
        let mut timed = mach.clone();
        for prog in [&g.matmul, &rq] {
            let r = run(cfg, prog, &mut mach);
            assert_eq!(r.cycles, r.predicted_cycles, "{ctx}");
            assert_eq!(run_timed(cfg, prog, &mut timed), r, "{ctx}");
            assert!(timed == mach, "{ctx}: timed execution differs");
        }
        let c = matmul(&a, &w, m, k, n);
        let rows: Vec<Vec<i8>> = (0..g.plan.nt * m)
            .map(|r| mach.banks[0][g.y_base + r].clone())
            .collect();
        let y = g.plan.unpack(cfg, &rows);
        for i in 0..m * n {
            assert_eq!(y[i], requantize(c[i], q[i % n], true), "{ctx}: Y {i}");
        }
        (g, want)
    }

    /// K-major runs: with two or more N tiles, two updates of one accumulator row are
    /// `nt` runs apart, so the accumulator read stage costs a batch-1 matmul no cycle
    /// (the checker refuses the program otherwise); with one N tile and a short period
    /// it costs one cycle per run. Both give `A · B`.
    #[test]
    fn k_major_runs_make_the_accumulator_read_stage_free_with_two_n_tiles() {
        for p in crate::config::PRESET_NAMES {
            let mut base = TileConfig::preset(p).unwrap();
            base.acc_read_stage = false;
            let mut st = base.clone();
            st.acc_read_stage = true;
            for (m, nts) in [(1, 1), (1, 2), (1, 3), (2, 2), (3, 1)] {
                let (k, n) = (3 * base.lanes, nts * base.cols);
                let mut rng = Rng::new(40 + m as u64 * 8 + nts as u64);
                let a: Vec<i8> = (0..m * k).map(|_| rng.i8()).collect();
                let w: Vec<i8> = (0..k * n).map(|_| rng.i8()).collect();
                let ctx = format!("{p} m {m} nt {nts}");
                let mut cycles = Vec::new();
                for cfg in [&base, &st] {
                    let g = compile(cfg, &a, &w, (m, k, n), None).unwrap();
                    let s = check(cfg, &g.matmul).unwrap_or_else(|e| panic!("{ctx}: {e:#?}"));
                    let mut mach = Machine::new(cfg);
                    for (at, word) in &g.image {
                        mach.word_mut(*at).copy_from_slice(word);
                    }
                    let r = run(cfg, &g.matmul, &mut mach);
                    assert_eq!(r.cycles, s.end.predicted_cycles, "{ctx}");
                    let rows: Vec<Vec<i32>> = mach.acc[..g.plan.nt * m].to_vec();
                    assert_eq!(g.plan.unpack(cfg, &rows), matmul(&a, &w, m, k, n), "{ctx}");
                    cycles.push(r.cycles);
                }
                let short = base.install_cycles().max(m) < 3;
                if nts >= 2 || !short {
                    assert_eq!(cycles[1], cycles[0], "{ctx}: the stage costs no cycle");
                } else {
                    let tiles = (3 * nts) as u64;
                    assert_eq!(cycles[1], cycles[0] + tiles - 1, "{ctx}: one per period");
                }
            }
        }
    }

    /// One and two rows over several K tiles: consecutive runs add into the same
    /// accumulator rows, so they must stay 3 cycles apart with the accumulator read
    /// stage (2 without), whatever the install time.
    #[test]
    fn short_matmuls_space_their_runs_for_the_accumulator() {
        for p in crate::config::PRESET_NAMES {
            for e in [false, true] {
                let mut cfg = TileConfig::preset(p).unwrap();
                cfg.acc_read_stage = e;
                for m in [1, 2, 3] {
                    let (k, n) = (3 * cfg.rows, cfg.cols);
                    let a = vec![1i8; m * k];
                    let w = vec![-1i8; k * n];
                    let g = compile(&cfg, &a, &w, (m, k, n), None).unwrap();
                    let ctx = format!("{p} stage {e} m {m}");
                    let s = check(&cfg, &g.matmul).unwrap_or_else(|er| panic!("{ctx}: {er:#?}"));
                    let (kt, nt) = (g.plan.kt as u64, g.plan.nt as u64);
                    assert_eq!(
                        s.end.predicted_cycles,
                        matmul_program_cycles(&cfg, m as u64, kt, nt),
                        "{ctx}"
                    );
                    let period = run_period(&cfg, m as u64, g.plan.nt as u64);
                    assert!(period >= 2 + e as u64 && period >= m as u64, "{ctx}");
                    let mut mach = Machine::new(&cfg);
                    for (at, word) in &g.image {
                        mach.word_mut(*at).copy_from_slice(word);
                    }
                    let mut timed = mach.clone();
                    let r = run(&cfg, &g.matmul, &mut mach);
                    assert_eq!(run_timed(&cfg, &g.matmul, &mut timed), r, "{ctx}");
                    assert!(timed == mach, "{ctx}: timed execution differs");
                    assert_eq!(mach.acc[0][0], -(k as i32), "{ctx}");
                }
            }
        }
    }
}
