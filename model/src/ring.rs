//! The golden model of a ring of cards: card `i` sends east to card `(i + 1) % n` and
//! receives from card `(i + n - 1) % n` (`docs/ring.md`).
//!
//! Each card runs its own static program. What the cards compute does not depend on
//! when frames arrive, only on their order, so the model executes every card in program
//! order and moves each `send`'s frames, in order, into the east neighbour's queue;
//! a `recv` takes the oldest frames. Timing decides only **whether** a `recv` finds
//! its frames: the model bounds every frame's arrival over every phase of the link's
//! slot grid ([`crate::link::budget`]) and reports, per card, the first `recv` that
//! may look for a frame before it is surely there (the hardware would stop with
//! `LINK`, or might), a frame that may arrive while three are queued, and a `send`
//! whose buffer slot may still be in use. A program set with no such finding runs
//! on the hardware exactly as modelled: same banks, same status, same cycle counts.

use crate::exec::{Machine, RunResult};
use crate::isa::{Instr, Status};
use crate::link::budget::{windows, BudgetParams, Window};
use crate::schedule::{events, link_frame_len, Event, Issue, LinkIn, Port, Walker};
use crate::TileConfig;

/// A reason the hardware could stop with `LINK` (or lose data) that the model found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Card.
    pub card: usize,
    /// pc of the instruction involved.
    pub pc: usize,
    /// What may go wrong, in words.
    pub message: String,
}

/// The outcome of [`run_ring`].
#[derive(Clone, Debug)]
pub struct RingRun {
    /// Per card: status, pc and cycles, as [`crate::exec::run`] reports them.
    pub results: Vec<RunResult>,
    /// Per card: the final state (banks etc.; `outbox` holds every frame it sent).
    pub machines: Vec<Machine>,
    /// Per card: the program cycle of every frame post, in order.
    pub posts: Vec<Vec<u64>>,
    /// Per card: the arrival window of every frame it received (receiver's cycles).
    pub arrivals: Vec<Vec<Window>>,
    /// Budget violations; empty for a program set that runs as modelled.
    pub findings: Vec<Finding>,
}

/// The schedules of every card given when frames arrive (`None` = always there).
fn walk_all(
    cfg: &TileConfig,
    progs: &[Vec<Instr>],
    arrivals: &[Option<Vec<u64>>],
) -> Vec<(Vec<Issue>, crate::schedule::End)> {
    progs
        .iter()
        .zip(arrivals)
        .map(|(p, a)| {
            let link = match a {
                None => LinkIn::Always,
                Some(a) => LinkIn::Arrivals(a.clone()),
            };
            let mut w = Walker::new(cfg, p).with_link(link);
            let issues: Vec<Issue> = w.by_ref().collect();
            (issues, w.end().expect("walk finished").clone())
        })
        .collect()
}

/// Post cycles of every frame a card's `send`s post: `t + j*T + 2 + P + b` (`b` the
/// bank read stages, [`TileConfig::bank_read_delay`]: a `send` reads a bank, so its
/// post comes `b` cycles later), taken from the schedule's events ([`events`]).
fn posts_of(cfg: &TileConfig, issues: &[Issue]) -> Vec<u64> {
    let mut posts = Vec::new();
    for i in issues
        .iter()
        .filter(|i| matches!(i.instr, Instr::Send { .. }))
    {
        events(cfg, i, |e| {
            if let Event::Port {
                port: Port::LinkPost,
                cycle,
            } = e
            {
                posts.push(cycle);
            }
        });
    }
    posts
}

/// Run `progs` (one per card, `n >= 2`) on `machines` (their initial states) as a
/// ring, with the budget allowances `bp`.
pub fn run_ring(
    cfg: &TileConfig,
    progs: &[Vec<Instr>],
    mut machines: Vec<Machine>,
    bp: &BudgetParams,
) -> RingRun {
    let n = progs.len();
    assert!(n >= 2 && machines.len() == n, "a ring of n >= 2 cards");
    let link = cfg.link_config();
    // A send checks its buffer slot in b_j + 1 = post - (P + b) - 1: the bank read
    // stages (b) delay its post, not the check (`windows` checks at post - p_words - 1).
    let check_back = cfg.link_frame_words() as u64 + cfg.bank_read_delay();
    // Iterate to a fixed point: posts -> arrival bounds -> schedules (a recv that
    // fails stops its card, which may then post fewer frames).
    let bounds = |walks: &[(Vec<Issue>, crate::schedule::End)]| {
        let posts: Vec<Vec<u64>> = walks.iter().map(|(is, _)| posts_of(cfg, is)).collect();
        // Card c receives what its west neighbour posted; sender s's slot check.
        let per_sender: Vec<(Vec<Window>, Vec<bool>)> = posts
            .iter()
            .map(|p| windows(&link, p, check_back, bp))
            .collect();
        let wins: Vec<Vec<Window>> = (0..n)
            .map(|c| per_sender[(c + n - 1) % n].0.clone())
            .collect();
        let busy: Vec<Vec<bool>> = per_sender.into_iter().map(|x| x.1).collect();
        (wins, busy)
    };
    let mut arr: Vec<Option<Vec<u64>>> = vec![None; n];
    let mut walks = walk_all(cfg, progs, &arr);
    for _ in 0..n + 2 {
        let (wins, _) = bounds(&walks);
        let next: Vec<Option<Vec<u64>>> = wins
            .iter()
            .map(|w| Some(w.iter().map(|x| x.latest).collect()))
            .collect();
        let nw = walk_all(cfg, progs, &next);
        let stable = nw == walks && next == arr;
        arr = next;
        walks = nw;
        if stable {
            break;
        }
    }
    let (wins, busy) = bounds(&walks);
    let posts: Vec<Vec<u64>> = walks.iter().map(|(is, _)| posts_of(cfg, is)).collect();
    let mut findings = Vec::new();
    for (c, (issues, end)) in walks.iter().enumerate() {
        if end.status == Status::Link {
            findings.push(Finding {
                card: c,
                pc: end.pc,
                message: end.detail.clone(),
            });
        }
        // Queue overflow: when frame k may arrive, at least k - 2 must be consumed.
        let tt = cfg.link_frame_cycles();
        let mut consumed_at = Vec::new();
        for i in issues
            .iter()
            .filter(|i| matches!(i.instr, Instr::Recv { .. }))
        {
            for j in 0..i.frames {
                let len = link_frame_len(cfg, i.vlen, j) as u64;
                consumed_at.push((i.cycle + j as u64 * tt + len + 1, i.pc));
            }
        }
        // (A card that never receives does not care: the fault only fails a recv.)
        let receives = !consumed_at.is_empty();
        for (k, w) in wins[c].iter().enumerate() {
            if receives && k >= 3 {
                let need = k - 2;
                let done = consumed_at.iter().filter(|(x, _)| *x <= w.earliest).count();
                if done < need {
                    let pc = consumed_at.get(need - 1).map_or(0, |x| x.1);
                    findings.push(Finding {
                        card: c,
                        pc,
                        message: format!(
                            "frame {k} may arrive in cycle {} while 3 frames are queued \
                             (the recv at pc {pc} consumes frame {} too late)",
                            w.earliest,
                            need - 1
                        ),
                    });
                    break;
                }
            }
        }
        if let Some(m) = busy[c].iter().position(|&b| b) {
            findings.push(Finding {
                card: c,
                pc: 0,
                message: format!(
                    "frame {m} posted in cycle {} may find its transmit buffer slot busy",
                    posts[c][m]
                ),
            });
        }
    }
    // Data: execute every card in program order; a recv waits for its west
    // neighbour's frames (the arrival check above is what makes that order real).
    let mut next = vec![0usize; n];
    let mut last = vec![0u64; n];
    loop {
        let mut progress = false;
        for c in 0..n {
            while let Some(is) = walks[c].0.get(next[c]) {
                if let Instr::Recv { .. } = is.instr {
                    if machines[c].inbox.len() < is.frames as usize {
                        break;
                    }
                }
                let before = machines[c].outbox.len();
                machines[c].execute_issue(cfg, is);
                events(cfg, is, |e| last[c] = last[c].max(e.cycle()));
                let sent = machines[c].outbox[before..].to_vec();
                machines[(c + 1) % n].inbox.extend(sent);
                next[c] += 1;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    for (c, (issues, _)) in walks.iter().enumerate() {
        if next[c] < issues.len() {
            findings.push(Finding {
                card: c,
                pc: issues[next[c]].pc,
                message: "recv waits for frames its west neighbour never sends".into(),
            });
        }
    }
    let results = walks
        .iter()
        .zip(&last)
        .map(|((_, end), &l)| RunResult {
            status: end.status,
            pc: end.pc,
            cycles: 1 + end.cycle.max(l),
            predicted_cycles: end.predicted_cycles,
        })
        .collect();
    RingRun {
        results,
        machines,
        posts,
        arrivals: wins,
        findings,
    }
}

pub mod demos;
#[cfg(test)]
mod tests;
