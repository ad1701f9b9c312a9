//! Programs that stop with a given hardware status: a random checker-clean prefix
//! (see [`super::random_program`]), a `wait` long enough for every prefix instruction
//! to finish, then the offending instruction(s), chosen by the seed among several
//! ways to raise the status. Nothing before the error has a port conflict or a hazard,
//! so the machine state after the run is defined.

use super::gen::Gen;
use super::Rng;
use crate::exec::Machine;
use crate::isa::{Instr, Status, VAddr, VBinOp, VUnOp};
use crate::schedule::{depth, param_words};
use crate::TileConfig;

/// A program that stops with `status` at `pc`.
#[derive(Clone, Debug)]
pub struct IllegalCase {
    /// The program.
    pub prog: Vec<Instr>,
    /// The machine to run it on (random banks, everything else zero).
    pub machine: Machine,
    /// The status the run stops with.
    pub status: Status,
    /// The pc it stops at.
    pub pc: usize,
    /// How the error is raised, in words.
    pub what: String,
}

/// Cycles after which every instruction of a generated prefix has finished.
const DRAIN: u32 = 2048;

/// A program stopping with `status` (`Illegal`, `Range`, `Busy`, `Link` or `Pc`;
/// panics on `Ok`, `Port` and `Unsupported`, which the hardware never raises). The prefix is
/// at most a quarter of `imem_depth`; `Pc` fills instruction memory with `nop`s (use a
/// small `imem_depth`).
pub fn random_illegal(cfg: &TileConfig, seed: u64, status: Status) -> IllegalCase {
    let mut g = Gen::new(cfg, seed);
    let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(7));
    let plen = rng.range(0, (cfg.imem_depth / 4).min(24));
    g.fill(plen);
    let mut prog = g.program();
    prog.push(Instr::Wait(DRAIN));
    let p = prog.len();
    let variant = rng.below(16);
    let mut cand: Vec<(Vec<Instr>, usize, String)> = match status {
        Status::Illegal => illegal(cfg, &mut rng, p),
        Status::Range => range(cfg, &mut rng, p),
        Status::Busy => busy(cfg, &mut rng),
        Status::Link => {
            // A bare tile has no link: a recv's first frame is never there.
            let va = VAddr {
                bank: rng.below(cfg.banks) as u8,
                word: 0,
            };
            vec![
                (
                    vec![Instr::Recv { dst: va }],
                    0,
                    "recv on a bare tile".into(),
                ),
                (
                    vec![Instr::Recv { dst: va }, Instr::Nop, Instr::Nop],
                    0,
                    "recv, then nops that must not issue".into(),
                ),
                (
                    vec![
                        Instr::Vlen(1),
                        Instr::Send { src: va },
                        Instr::Recv { dst: va },
                    ],
                    2,
                    "send, then recv".into(),
                ),
            ]
        }
        Status::Pc => {
            let mut v = vec![(vec![], 0, "pc runs off instruction memory".to_string())];
            if p + 2 < cfg.imem_depth {
                let lp = Instr::Loop {
                    n: 2,
                    end: cfg.imem_depth as u16,
                };
                v.push((vec![lp], 0, "a loop ends at imem_depth".into()));
            }
            v
        }
        Status::Ok | Status::Port | Status::Unsupported => {
            panic!("the hardware never stops with {}", status.name())
        }
    };
    let (tail, off, what) = cand.swap_remove(variant % cand.len());
    prog.extend(tail);
    let pc = match status {
        Status::Pc => {
            prog.resize(cfg.imem_depth, Instr::Nop);
            cfg.imem_depth
        }
        Status::Illegal if what == "run off the program's end" => p,
        _ => {
            prog.push(Instr::Halt);
            p + off
        }
    };
    IllegalCase {
        prog,
        machine: g.machine,
        status,
        pc,
        what,
    }
}

fn bad_bank(cfg: &TileConfig, rng: &mut Rng) -> VAddr {
    VAddr {
        bank: rng.range(cfg.banks, 31) as u8,
        word: 0,
    }
}

fn illegal(cfg: &TileConfig, rng: &mut Rng, p: usize) -> Vec<(Vec<Instr>, usize, String)> {
    let ok = VAddr { bank: 0, word: 0 };
    let bad = bad_bank(cfg, rng);
    let run0 = Instr::MxuRun {
        a: 0,
        rows: 0,
        acc: 0,
        swap: false,
        accumulate: false,
        load: None,
    };
    vec![
        (vec![], 0, "run off the program's end".into()),
        (
            vec![Instr::VUn {
                op: VUnOp::Copy,
                dst: bad,
                a: ok,
            }],
            0,
            "v.copy to a bank >= banks".into(),
        ),
        (
            vec![Instr::VBin {
                op: VBinOp::Add,
                dst: ok,
                a: ok,
                b: bad,
            }],
            0,
            "v.add from a bank >= banks".into(),
        ),
        (
            vec![Instr::RqParam { src: bad }],
            0,
            "rq.param from a bank >= banks".into(),
        ),
        (
            vec![Instr::Loop {
                n: 2,
                end: (p + 1) as u16,
            }],
            0,
            "loop with an empty body".into(),
        ),
        (
            vec![Instr::Loop {
                n: 1,
                end: (cfg.imem_depth + 1) as u16,
            }],
            0,
            "loop ending past imem_depth".into(),
        ),
        (
            vec![
                Instr::Loop {
                    n: 2,
                    end: (p + 4) as u16,
                },
                Instr::Loop {
                    n: 2,
                    end: (p + 4) as u16,
                },
                Instr::Nop,
                Instr::Nop,
            ],
            1,
            "inner loop not ending before its outer loop".into(),
        ),
        (vec![Instr::Vlen(0)], 0, "vlen 0".into()),
        (vec![run0], 0, "mxu.run with 0 rows".into()),
        (
            vec![
                Instr::Loop {
                    n: 0,
                    end: (p + 2) as u16,
                },
                Instr::Nop,
            ],
            0,
            "loop 0 times".into(),
        ),
    ]
}

fn range(cfg: &TileConfig, rng: &mut Rng, p: usize) -> Vec<(Vec<Instr>, usize, String)> {
    let inst = cfg.install_cycles();
    let run = |a: usize, rows: usize, acc: usize, load: Option<usize>| Instr::MxuRun {
        a: a as u16,
        rows: rows as u16,
        acc: acc as u16,
        swap: false,
        accumulate: false,
        load: load.map(|w| w as u16),
    };
    let bank = rng.below(cfg.banks) as u8;
    let d = depth(cfg, bank);
    let at = |word: usize| VAddr {
        bank,
        word: word as u16,
    };
    let v = rng.range(2, 8).min(d);
    let mut out = vec![
        (
            vec![run(cfg.act_depth - 1, 2, 0, None)],
            0,
            "mxu.run a + rows > act_depth".into(),
        ),
        (
            vec![run(0, 2, cfg.acc_depth - 1, None)],
            0,
            "mxu.run acc + rows > acc_depth".into(),
        ),
        (
            vec![Instr::RqParam {
                src: at(d - param_words(cfg) + 1),
            }],
            0,
            "rq.param src + pw > depth".into(),
        ),
        (
            vec![Instr::RqRun {
                acc: 0,
                rows: 2,
                dst: at(d - 1),
                relu: false,
            }],
            0,
            "rq.run dst + rows > depth".into(),
        ),
        (
            vec![
                Instr::Vlen(v as u16),
                Instr::VUn {
                    op: VUnOp::Copy,
                    dst: at(d - v + 1),
                    a: VAddr { bank: 0, word: 0 },
                },
            ],
            1,
            "v.copy dst + vlen > depth".into(),
        ),
        (
            vec![
                Instr::Vlen(v as u16),
                Instr::VUn {
                    op: VUnOp::Argmax,
                    dst: at(d - 1),
                    a: at(d - v + 1),
                },
            ],
            1,
            "v.argmax a + vlen > depth".into(),
        ),
    ];
    // Five nested loops: pcs p..p+4, bodies end at p+6..p+10.
    let mut lp: Vec<Instr> = (0..5)
        .map(|k| Instr::Loop {
            n: 1,
            end: (p + 10 - k) as u16,
        })
        .collect();
    lp.extend([Instr::Nop; 5]);
    out.push((lp, 4, "a fifth nested loop".into()));
    if cfg.bank_depth - inst + 1 < (1 << 14) {
        let w = cfg.bank_depth - inst + 1;
        out.push((
            vec![Instr::MxuLoad { w: w as u16 }],
            0,
            "mxu.load w + I > bank_depth".into(),
        ));
        out.push((
            vec![run(0, 1, 0, Some(w))],
            0,
            "mxu.run load w + I > bank_depth".into(),
        ));
    }
    out
}

fn busy(cfg: &TileConfig, rng: &mut Rng) -> Vec<(Vec<Instr>, usize, String)> {
    let inst = cfg.install_cycles();
    let z = VAddr { bank: 0, word: 0 };
    let o = VAddr { bank: 1, word: 0 };
    let v = rng.range(2, 8) as u16;
    let run = |rows: u16, load: Option<u16>| Instr::MxuRun {
        a: 0,
        rows,
        acc: 0,
        swap: false,
        accumulate: false,
        load,
    };
    let copy = Instr::VUn {
        op: VUnOp::Copy,
        dst: o,
        a: z,
    };
    let mut out = vec![
        (
            vec![
                Instr::Vlen(v),
                copy,
                Instr::VUn {
                    op: VUnOp::Relu,
                    dst: z,
                    a: o,
                },
            ],
            2,
            "v.relu while v.copy runs".into(),
        ),
        (
            vec![
                Instr::Vlen(1),
                Instr::VUn {
                    op: VUnOp::Argmax,
                    dst: o,
                    a: z,
                },
                copy,
            ],
            2,
            "v.copy in the cycle after v.argmax (busy V + 2)".into(),
        ),
        (
            vec![run(2, None), run(1, None)],
            1,
            "mxu.run while mxu.run streams".into(),
        ),
        (
            vec![
                Instr::RqParam { src: z },
                Instr::RqRun {
                    acc: 0,
                    rows: 1,
                    dst: o,
                    relu: false,
                },
            ],
            1,
            "rq.run while rq.param loads".into(),
        ),
    ];
    if inst >= 2 {
        out.push((
            vec![Instr::MxuLoad { w: 0 }, run(1, Some(0))],
            1,
            "mxu.run ... load while mxu.load installs".into(),
        ));
        out.push((
            vec![run(1, Some(0)), Instr::MxuLoad { w: 0 }],
            1,
            "mxu.load while mxu.run ... load installs".into(),
        ));
    }
    out
}
