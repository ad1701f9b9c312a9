//! Ring demo programs, generated as assembly text for a given configuration: a ring
//! all-gather and a two-card pipelined MLP. Each comes with its cards' initial
//! memory images and the results expected, computed directly from the arithmetic
//! contract (not by running the programs).
//!
//! The waits between a `send` and the neighbour's `recv` are the smallest multiple of
//! 8 cycles for which the ring model finds no budget violation ([`super::run_ring`]),
//! so the programs are as tight as the link's worst case allows.

use super::{run_ring, RingRun};
use crate::arith::{dense_layer, Requant};
use crate::asm::assemble;
use crate::exec::{encode_params, Machine};
use crate::isa::{Instr, VAddr};
use crate::layout::MatmulPlan;
use crate::link::budget::{budget, BudgetParams};
use crate::randprog::Rng;
use crate::schedule::check;
use crate::TileConfig;

/// A generated ring program set.
#[derive(Clone, Debug)]
pub struct RingDemo {
    /// Demo name.
    pub name: String,
    /// Assembly source of every card's program.
    pub sources: Vec<String>,
    /// The assembled programs.
    pub progs: Vec<Vec<Instr>>,
    /// Every card's initial memory image: (address, word).
    pub images: Vec<Vec<(VAddr, Vec<i8>)>>,
    /// Expected results: (card, first word, words).
    pub expect: Vec<(usize, VAddr, Vec<Vec<i8>>)>,
}

impl RingDemo {
    /// Every card's initial machine: the image written into a power-up machine.
    pub fn machines(&self, cfg: &TileConfig) -> Vec<Machine> {
        self.images
            .iter()
            .map(|img| {
                let mut m = Machine::new(cfg);
                for (at, w) in img {
                    m.word_mut(*at).copy_from_slice(w);
                }
                m
            })
            .collect()
    }

    /// The expected results that `run`'s final machines do not hold, in words.
    pub fn mismatches(&self, run: &RingRun) -> Vec<String> {
        let mut bad = Vec::new();
        for (card, at, words) in &self.expect {
            for (i, w) in words.iter().enumerate() {
                let got = run.machines[*card].word(at.offset(i));
                if got != w.as_slice() {
                    bad.push(format!(
                        "card {card} word {}: {got:?}, expected {w:?}",
                        at.offset(i)
                    ));
                }
            }
        }
        bad
    }
}

/// `n` random words of `lanes` int8 (edge values weighted, as the program generator).
fn words(rng: &mut Rng, n: usize, lanes: usize) -> Vec<Vec<i8>> {
    (0..n)
        .map(|_| (0..lanes).map(|_| rng.i8()).collect())
        .collect()
}

fn assemble_all(
    cfg: &TileConfig,
    name: &str,
    sources: &[String],
) -> Result<Vec<Vec<Instr>>, String> {
    sources
        .iter()
        .enumerate()
        .map(|(c, s)| {
            let file = format!("{name}/card{c}.s");
            let p = assemble(s, &file, Some(cfg)).map_err(|e| e.to_string())?;
            check(cfg, &p.instrs).map_err(|e| {
                format!(
                    "{file}: {}",
                    e.iter()
                        .map(|x| x.message.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
            Ok(p.instrs)
        })
        .collect()
}

/// Find the smallest wait (multiple of 8, from `from`) for which `make(wait)` runs
/// with no budget finding.
fn tightest(
    cfg: &TileConfig,
    from: u64,
    make: impl Fn(u64) -> Result<RingDemo, String>,
) -> Result<RingDemo, String> {
    let mut w = from;
    for _ in 0..400 {
        let d = make(w)?;
        let r = run_ring(cfg, &d.progs, d.machines(cfg), &BudgetParams::default());
        if r.findings.is_empty() {
            return Ok(d);
        }
        w += 8;
    }
    Err(format!("no wait below {w} cycles meets the link budget"))
}

/// Ring all-gather on `n` cards: card `c` starts with its own `vlen`-word vector at
/// `b0:0`; after `n - 1` steps of "send what you got last, receive from the west",
/// word block `k` (`b0:k*vlen ..`) of card `c` holds card `(c - k) mod n`'s vector.
pub fn allgather(cfg: &TileConfig, n: usize, vlen: usize, seed: u64) -> Result<RingDemo, String> {
    if !(2..=8).contains(&n) {
        return Err(format!("cards = {n}: a ring has 2..=8 cards"));
    }
    if vlen == 0 || n * vlen > cfg.act_depth {
        return Err(format!(
            "vlen = {vlen}: 1..={} words fit {n} blocks in bank 0 (act_depth {})",
            cfg.act_depth / n,
            cfg.act_depth
        ));
    }
    let mut rng = Rng::new(seed);
    let own: Vec<Vec<Vec<i8>>> = (0..n).map(|_| words(&mut rng, vlen, cfg.lanes)).collect();
    let frames = vlen.div_ceil(cfg.link_frame_words()) as u64;
    let tt = cfg.link_frame_cycles();
    // After a recv, its last write lands (frames - 1) * T + P + 1 cycles later.
    let settle = (frames - 1) * tt + cfg.link_frame_words() as u64 + 2;
    let make = |wait: u64| -> Result<RingDemo, String> {
        let mut src = format!(
            "; ring all-gather, {n} cards, {vlen} words per card ({frames} frame(s) per step)\n\
             \x20   vlen {vlen}\n"
        );
        for k in 0..n - 1 {
            src += &format!(
                "    send b0:{}\n    wait {wait}\n    recv b0:{}\n",
                k * vlen,
                (k + 1) * vlen
            );
            if k + 2 < n {
                src += &format!("    wait {settle}\n");
            }
        }
        src += "    halt\n";
        let sources = vec![src; n];
        let progs = assemble_all(cfg, "allgather", &sources)?;
        let images = own
            .iter()
            .map(|v| {
                v.iter()
                    .enumerate()
                    .map(|(i, w)| {
                        (
                            VAddr {
                                bank: 0,
                                word: i as u16,
                            },
                            w.clone(),
                        )
                    })
                    .collect()
            })
            .collect();
        let expect = (0..n)
            .map(|c| {
                let words = (0..n).flat_map(|k| own[(c + n - k) % n].clone()).collect();
                (c, VAddr { bank: 0, word: 0 }, words)
            })
            .collect();
        Ok(RingDemo {
            name: "allgather".into(),
            sources,
            progs,
            images,
            expect,
        })
    };
    // (`budget` is for a send without bank read stages; with them its post is later.)
    let from = budget(
        &cfg.link_config(),
        cfg.link_frame_words() as u64,
        &BudgetParams::default(),
    ) + cfg.bank_read_delay();
    tightest(cfg, from.saturating_sub(64) / 8 * 8, make)
}

/// Requantization parameters that keep a layer's outputs spread over int8.
fn params(rng: &mut Rng, n: usize) -> Vec<Requant> {
    (0..n)
        .map(|_| Requant {
            bias: rng.below(4000) as i32 - 2000,
            m: 1 + rng.below(400) as u16,
            s: 8 + rng.below(6) as u8,
        })
        .collect()
}

/// A two-card pipelined MLP (`examples/programs/mlp.s` split in two): card 0 computes
/// `H_b = relu(requant1(A_b · W1))` for batch `b` and sends it east; card 1 receives
/// it and computes `Y_b = requant2(H_b · W2)` while card 0 works on batch `b + 1`.
/// `A_b` is 8 x 8, `W1` 8 x 4, `W2` 4 x 4 (configurations with 4 lanes, 4 columns and
/// 3 banks: `sim-small`).
pub fn mlp2(cfg: &TileConfig, batches: usize, seed: u64) -> Result<RingDemo, String> {
    if cfg.lanes != 4 || cfg.cols != 4 || cfg.banks != 3 {
        return Err(format!(
            "preset {}: the MLP demo is written for 4 lanes, 4 columns and 3 banks \
             (sim-small)",
            cfg.name
        ));
    }
    let (m, k, n) = (8, 8, 4);
    let hb = 16 * batches; // H blocks after the inputs
    let yb = hb + 8 * batches; // Y blocks on card 1
    if !(1..=16).contains(&batches) || yb + 8 * batches > cfg.act_depth {
        return Err(format!("batches = {batches}: 1..=16"));
    }
    let mut rng = Rng::new(seed);
    let a: Vec<Vec<i8>> = (0..batches)
        .map(|_| (0..m * k).map(|_| rng.i8()).collect())
        .collect();
    let w1: Vec<i8> = (0..k * n).map(|_| rng.i8()).collect();
    let w2: Vec<i8> = (0..n * n).map(|_| rng.i8()).collect();
    let (q1, q2) = (params(&mut rng, n), params(&mut rng, n));
    let p1 = MatmulPlan::new(cfg, m, k, n).map_err(|e| e.to_string())?;
    let p2 = MatmulPlan::new(cfg, m, n, n).map_err(|e| e.to_string())?;
    let mut weights = Vec::new();
    for (plan, w, base) in [(&p1, &w1, 0u16), (&p2, &w2, 4)] {
        for (bk, words) in plan.weight_words(cfg, w).into_iter().enumerate() {
            for (i, word) in words.into_iter().enumerate() {
                weights.push((
                    VAddr {
                        bank: bk as u8 + 1,
                        word: base + i as u16,
                    },
                    word,
                ));
            }
        }
    }
    for (q, at) in [(&q1, 6u16), (&q2, 13)] {
        for (i, w) in encode_params(cfg, q).into_iter().enumerate() {
            weights.push((
                VAddr {
                    bank: 1,
                    word: at + i as u16,
                },
                w,
            ));
        }
    }
    let mut img0 = weights.clone();
    for (b, ab) in a.iter().enumerate() {
        for (i, w) in p1.act_words(cfg, ab).into_iter().enumerate() {
            img0.push((
                VAddr {
                    bank: 0,
                    word: (16 * b + i) as u16,
                },
                w,
            ));
        }
    }
    let hs: Vec<Vec<i8>> = a
        .iter()
        .map(|ab| dense_layer(ab, &w1, (m, k, n), &q1, true))
        .collect();
    let ys: Vec<Vec<i8>> = hs
        .iter()
        .map(|h| dense_layer(h, &w2, (m, n, n), &q2, false))
        .collect();
    let rows = |v: &[i8]| -> Vec<Vec<i8>> {
        v.chunks(n)
            .map(|r| {
                let mut w = r.to_vec();
                w.resize(cfg.lanes, 0);
                w
            })
            .collect()
    };
    let mut expect = Vec::new();
    for b in 0..batches {
        expect.push((
            0,
            VAddr {
                bank: 0,
                word: (hb + 8 * b) as u16,
            },
            rows(&hs[b]),
        ));
        expect.push((
            1,
            VAddr {
                bank: 0,
                word: (hb + 8 * b) as u16,
            },
            rows(&hs[b]),
        ));
        expect.push((
            1,
            VAddr {
                bank: 0,
                word: (yb + 8 * b) as u16,
            },
            rows(&ys[b]),
        ));
    }
    // One batch per period of T cycles on both cards (the link moves one frame per T).
    let period = cfg.link_frame_cycles();
    // With bank read stages every effect of an mxu.run comes `rd` cycles later, its
    // accumulator reads and writes too, while an rq.run's do not: each rq.run waits `rd`
    // more cycles after the mxu.run whose rows it reads (and the wait after it is `rd`
    // shorter, so a batch still takes `period` cycles).
    let rd = cfg.bank_read_delay();
    let make = |wait: u64| -> Result<RingDemo, String> {
        // Card 0: layer 1 as in mlp.s, then send H_b; exactly `period` cycles per batch.
        let mut c0 =
            String::from("; two-card MLP, card 0: H = relu(requant1(A . W1)), sent east\n");
        for b in 0..batches {
            let (ab, h) = (16 * b, hb + 8 * b);
            c0 += &format!(
                "; batch {b}\n    vlen 1\n    mxu.load 0\n    wait 0\n    mxu.run {ab}, 8, 0, swap, load 2\n    wait 6\n\
                 \x20   mxu.run {}, 8, 0, swap, acc\n    wait 0\n    rq.param b1:6\n    wait {}\n\
                 \x20   rq.run 0, 8, b0:{h}, relu\n    wait {}\n    vlen 8\n    send b0:{h}\n    wait {}\n",
                ab + 8,
                9 + rd,
                14 - rd,
                period - 43
            );
        }
        c0 += "    halt\n";
        // Card 1: W2 and layer-2 parameters once, then per batch: recv H_b, layer 2.
        let mut c1 = format!(
            "; two-card MLP, card 1: Y = requant2(H . W2) on the H received from card 0\n\
             \x20   mxu.load 4\n    wait 1\n    rq.param b1:13\n    wait {}\n",
            wait
        );
        for b in 0..batches {
            let (h, y) = (hb + 8 * b, yb + 8 * b);
            let swap = if b == 0 { ", swap" } else { "" };
            c1 += &format!(
                "; batch {b}\n    vlen 8\n    recv b0:{h}\n    wait 10\n    mxu.run {h}, 8, 8{swap}\n    wait {}\n\
                 \x20   rq.run 8, 8, b0:{y}\n    wait {}\n",
                11 + rd,
                period - 28 - rd
            );
        }
        c1 += "    halt\n";
        let sources = vec![c0, c1];
        let progs = assemble_all(cfg, "mlp2", &sources)?;
        Ok(RingDemo {
            name: "mlp2".into(),
            sources,
            progs,
            images: vec![img0.clone(), weights.clone()],
            expect: expect.clone(),
        })
    };
    tightest(cfg, 0, make)
}
