//! A second executor that applies every data access at its cycle, as the timing table
//! of `docs/isa.md` places it ([`crate::schedule::events`]): at each cycle every read
//! samples the state left by the writes of earlier cycles, then that cycle's writes
//! land (ties between writes in program order). A row's products use the active
//! weights at `t+3+f+r` (the array's product stage; `swap` lands at the end of `t+2+f`;
//! `f` is [`TileConfig::array_feed_delay`]).
//! With bank read stages ([`TileConfig::bank_read_delay`] = `b`) every step of an
//! instruction that reads a bank ([`crate::schedule::reads_bank`]) is `b` cycles later,
//! except its bank reads themselves, which only the address stage delays
//! ([`TileConfig::bank_address_delay`], `min(b, 1)`).
//! `rq.param` applies word `k`'s fields at the end of `t+2+k` (the RTL shifts all the
//! bytes along instead; the intermediate values differ, but no program the checker
//! accepts can observe them, since the checker treats every field as written at every
//! edge of the load).
//!
//! For a program the checker accepts this gives exactly what [`super::run`] gives
//! (in-order execution); for a program with a hazard it shows what the timing makes
//! of it. It is a test oracle for the checker, written for clarity, not speed.

use super::ops::{apply_param_word, argmax_word, bin, requant_row, row_dot, un};
use super::{Machine, RunResult};
use crate::arith::Requant;
use crate::isa::{Instr, VAddr, VUnOp};
use crate::schedule::{
    bank_address_shift, bank_read_shift, link_frame_len, param_words, Issue, LinkIn, Walker,
};
use crate::TileConfig;
use std::cell::RefCell;
use std::rc::Rc;

/// Values one instruction carries from its reads to its writes.
#[derive(Default)]
struct Scratch {
    words: Vec<Vec<i8>>,
    rows: Vec<Vec<i32>>,
    tile: Vec<Vec<i8>>,
    swap: Vec<Vec<i8>>,
    params: Vec<Requant>,
}

type Action = Box<dyn FnOnce(&mut Machine, &mut Scratch)>;
type Reader = Box<dyn Fn(&Machine) -> Vec<i8>>;

struct Step {
    cycle: u64,
    write: bool,
    seq: u64,
    inst: usize,
    action: Action,
}

struct Plan {
    steps: Vec<Step>,
    scratch: Vec<Rc<RefCell<Scratch>>>,
    /// Cycles every step of the current instruction is delayed (the bank read stages).
    shift: u64,
    /// Cycles its bank reads themselves are delayed (the address stage only).
    bank_shift: u64,
}

impl Plan {
    fn at(&mut self, cycle: u64, write: bool, action: Action) {
        let seq = self.steps.len() as u64;
        let inst = self.scratch.len() - 1;
        self.steps.push(Step {
            cycle: cycle + self.shift,
            write,
            seq,
            inst,
            action,
        });
    }

    /// A step that reads a bank (the SRAM access): only the address stage delays it.
    fn at_bank(&mut self, cycle: u64, action: Action) {
        let shift = self.shift;
        self.shift = self.bank_shift;
        self.at(cycle, false, action);
        self.shift = shift;
    }

    /// A step that sets up an instruction's scratch before its first bank read: delayed
    /// like the reads (by the address stage only), so that it stays ahead of them
    /// whatever the bank read stages.
    fn init(&mut self, cycle: u64, action: Action) {
        self.at_bank(cycle, action);
    }
}

/// Run `prog` on `machine`, every access at its cycle. Status, pc and cycle counts are
/// those of the static schedule.
pub fn run_timed(cfg: &TileConfig, prog: &[Instr], machine: &mut Machine) -> RunResult {
    run_timed_linked(cfg, prog, machine, LinkIn::None)
}

/// As [`run_timed`] with a link input (see [`super::run_linked`]).
pub fn run_timed_linked(
    cfg: &TileConfig,
    prog: &[Instr],
    machine: &mut Machine,
    link: LinkIn,
) -> RunResult {
    machine.vlen = 1;
    let mut walker = Walker::new(cfg, prog).with_link(link);
    let mut plan = Plan {
        steps: Vec::new(),
        scratch: Vec::new(),
        shift: 0,
        bank_shift: 0,
    };
    for issue in walker.by_ref() {
        plan.scratch.push(Rc::default());
        if let Instr::Vlen(n) = issue.instr {
            machine.vlen = n;
        }
        plan.shift = bank_read_shift(cfg, &issue.instr);
        plan.bank_shift = bank_address_shift(cfg, &issue.instr);
        schedule_steps(cfg, &issue, &mut plan);
    }
    let Plan {
        mut steps, scratch, ..
    } = plan;
    steps.sort_by_key(|s| (s.cycle, s.write, s.seq));
    let mut last = 0;
    for s in steps {
        last = last.max(s.cycle);
        (s.action)(machine, &mut scratch[s.inst].borrow_mut());
    }
    let end = walker.end().expect("walk finished");
    RunResult {
        status: end.status,
        pc: end.pc,
        cycles: 1 + end.cycle.max(last),
        predicted_cycles: end.predicted_cycles,
    }
}

fn install_steps(cfg: &TileConfig, t: u64, w: u16, p: &mut Plan) {
    let wb = cfg.weight_banks();
    let cols = cfg.cols;
    p.init(t, Box::new(move |_, s| s.tile = vec![Vec::new(); cols]));
    for k in 0..cfg.install_cycles() {
        let group: Vec<usize> = (k * wb..((k + 1) * wb).min(cols)).collect();
        let g2 = group.clone();
        p.at_bank(
            t + 1 + k as u64,
            Box::new(move |m, s| {
                for &c in &g2 {
                    s.tile[c] = m.banks[1 + c % wb][w as usize + k].clone();
                }
            }),
        );
        p.at(
            t + 2 + cfg.array_feed_delay() + k as u64,
            true,
            Box::new(move |m, s| {
                for &c in &group {
                    m.shadow[c] = s.tile[c].clone();
                }
            }),
        );
    }
}

fn schedule_steps(cfg: &TileConfig, issue: &Issue, p: &mut Plan) {
    let t = issue.cycle;
    let v = issue.vlen as usize;
    let word = |va: VAddr, i: usize| -> Reader {
        Box::new(move |m: &Machine| m.word(va.offset(i)).to_vec())
    };
    match issue.instr {
        Instr::MxuLoad { w } => install_steps(cfg, t, w, p),
        Instr::MxuRun {
            a,
            rows,
            acc,
            swap,
            accumulate,
            load,
        } => {
            // The array's events come `fd` cycles later (its feed stages); the bank
            // reads do not.
            let fd = cfg.array_feed_delay();
            if swap {
                p.at(
                    t + 2 + fd,
                    false,
                    Box::new(|m, s| s.swap = m.shadow.clone()),
                );
                p.at(t + 2 + fd, true, Box::new(|m, s| m.active = s.swap.clone()));
            }
            if let Some(w) = load {
                install_steps(cfg, t, w, p);
            }
            let rows = rows as usize;
            p.init(
                t,
                Box::new(move |_, s| {
                    s.words = vec![Vec::new(); rows];
                    s.rows = vec![Vec::new(); 2 * rows];
                }),
            );
            for r in 0..rows {
                let ru = r as u64;
                let x = word(VAddr { bank: 0, word: a }, r);
                p.at_bank(t + 1 + ru, Box::new(move |m, s| s.words[r] = x(m)));
                let c1 = cfg.clone();
                p.at(
                    t + 3 + fd + ru,
                    false,
                    Box::new(move |m, s| s.rows[r] = row_dot(&c1, &s.words[r], &m.active)),
                );
                let row = acc as usize + r;
                if accumulate {
                    p.at(
                        t + 6 + fd + ru - cfg.acc_read_delay(),
                        false,
                        Box::new(move |m, s| s.rows[rows + r] = m.acc[row].clone()),
                    );
                }
                p.at(
                    t + 7 + fd + ru,
                    true,
                    Box::new(move |m, s| {
                        let dot = &s.rows[r];
                        m.acc[row] = if accumulate {
                            s.rows[rows + r]
                                .iter()
                                .zip(dot)
                                .map(|(o, d)| o.wrapping_add(*d))
                                .collect()
                        } else {
                            dot.clone()
                        };
                    }),
                );
            }
        }
        Instr::RqParam { src } => {
            let pw = param_words(cfg);
            p.init(t, Box::new(move |_, s| s.words = vec![Vec::new(); pw]));
            for k in 0..pw {
                let x = word(src, k);
                p.at_bank(t + 1 + k as u64, Box::new(move |m, s| s.words[k] = x(m)));
                let c1 = cfg.clone();
                p.at(
                    t + 2 + k as u64,
                    true,
                    Box::new(move |m, s| apply_param_word(&c1, &mut m.params, k, &s.words[k])),
                );
            }
        }
        Instr::RqRun {
            acc,
            rows,
            dst,
            relu,
        } => {
            let beats = cfg.requant_beats();
            let steps = cfg.requant_steps;
            let rl = cfg.requant_lanes;
            let cols = cfg.cols;
            let rows = rows as usize;
            p.init(
                t,
                Box::new(move |_, s| {
                    s.rows = vec![vec![0; cols]; rows];
                    s.params = vec![
                        Requant {
                            bias: 0,
                            m: 0,
                            s: 0
                        };
                        cols * rows
                    ];
                }),
            );
            for r in 0..rows {
                let row = acc as usize + r;
                // Every beat reads the row; the lanes take a column group's values (and
                // parameters) at its first beat, `g = group * steps`.
                for g in (0..beats).step_by(steps) {
                    let x = t + 1 + (r * beats + g) as u64;
                    let group = g / steps;
                    let lanes = group * rl..(group + 1) * rl;
                    let l2 = lanes.clone();
                    p.at(
                        x + cfg.requant_acc_read_delay(),
                        false,
                        Box::new(move |m, s| {
                            for c in l2 {
                                s.rows[r][c] = m.acc[row][c];
                            }
                        }),
                    );
                    p.at(
                        x + 1 + cfg.requant_lane_delay(),
                        false,
                        Box::new(move |m, s| {
                            for c in lanes {
                                s.params[r * cols + c] = m.params[c];
                            }
                        }),
                    );
                }
                let c1 = cfg.clone();
                p.at(
                    t + ((r + 1) * beats) as u64 + cfg.requant_write_delay(),
                    true,
                    Box::new(move |m, s| {
                        let ps = &s.params[r * cols..(r + 1) * cols];
                        let out = requant_row(&c1, &s.rows[r], ps, relu);
                        m.word_mut(dst.offset(r)).copy_from_slice(&out);
                    }),
                );
            }
        }
        Instr::VBin { op, dst, a, b } => {
            p.init(t, Box::new(move |_, s| s.words = vec![Vec::new(); 2 * v]));
            for i in 0..v {
                let (xa, xb) = (word(a, i), word(b, i));
                let c = t + 1 + i as u64;
                p.at_bank(
                    c,
                    Box::new(move |m, s| {
                        s.words[2 * i] = xa(m);
                        s.words[2 * i + 1] = xb(m);
                    }),
                );
                p.at(
                    c + cfg.vector_write_delay() - 1,
                    true,
                    Box::new(move |m, s| {
                        let out = bin(op, &s.words[2 * i], &s.words[2 * i + 1]);
                        m.word_mut(dst.offset(i)).copy_from_slice(&out);
                    }),
                );
            }
        }
        Instr::VUn { op, dst, a } => {
            p.init(t, Box::new(move |_, s| s.words = vec![Vec::new(); v]));
            for i in 0..v {
                let xa = word(a, i);
                let c = t + 1 + i as u64;
                p.at_bank(c, Box::new(move |m, s| s.words[i] = xa(m)));
                if op != VUnOp::Argmax {
                    p.at(
                        c + cfg.vector_write_delay() - 1,
                        true,
                        Box::new(move |m, s| {
                            let out = un(op, &s.words[i]);
                            m.word_mut(dst.offset(i)).copy_from_slice(&out);
                        }),
                    );
                }
            }
            if op == VUnOp::Argmax {
                let c1 = cfg.clone();
                p.at(
                    t + v as u64 + cfg.vector_write_delay() + 1,
                    true,
                    Box::new(move |m, s| {
                        let out = argmax_word(&c1, &s.words.concat());
                        m.word_mut(dst).copy_from_slice(&out);
                    }),
                );
            }
        }
        Instr::Send { src } => {
            let tt = cfg.link_frame_cycles();
            let (pw, l) = (cfg.link_frame_words(), cfg.lanes);
            for j in 0..issue.frames {
                let b = t + j as u64 * tt;
                let len = link_frame_len(cfg, issue.vlen, j);
                p.init(b, Box::new(|_, s| s.words.clear()));
                for i in 0..len {
                    let x = word(src, j as usize * pw + i);
                    p.at_bank(b + 1 + i as u64, Box::new(move |m, s| s.words.push(x(m))));
                }
                p.at(
                    b + 2 + pw as u64,
                    true,
                    Box::new(move |m, s| {
                        let mut f: Vec<u8> = s.words.concat().iter().map(|&x| x as u8).collect();
                        f.resize(l * pw, 0);
                        m.outbox.push(f);
                    }),
                );
            }
        }
        Instr::Recv { dst } => {
            let tt = cfg.link_frame_cycles();
            let pw = cfg.link_frame_words();
            let (vlen, c1) = (issue.vlen, cfg.clone());
            for j in 0..issue.frames {
                let b = t + j as u64 * tt;
                p.at(
                    b + 1,
                    false,
                    Box::new(|m, s| {
                        let f = m.inbox.pop_front().expect("a frame that arrived");
                        s.words = vec![f.iter().map(|&x| x as i8).collect()];
                    }),
                );
                for i in 0..link_frame_len(cfg, vlen, j) {
                    let c2 = c1.clone();
                    p.at(
                        b + 3 + i as u64,
                        true,
                        Box::new(move |m, s| {
                            let l = c2.lanes;
                            let w = s.words[0][i * l..(i + 1) * l].to_vec();
                            m.word_mut(dst.offset(j as usize * pw + i))
                                .copy_from_slice(&w);
                        }),
                    );
                }
            }
        }
        _ => {}
    }
}
