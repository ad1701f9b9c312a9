use super::demos::{allgather, mlp2};
use super::*;
use crate::asm::assemble;
use crate::exec::{run_linked, timed::run_timed_linked};
use crate::isa::VAddr;
use crate::schedule::check;

fn small() -> TileConfig {
    TileConfig::preset("sim-small").unwrap()
}

fn prog(cfg: &TileConfig, src: &str) -> Vec<Instr> {
    assemble(src, "t.s", Some(cfg)).unwrap().instrs
}

#[test]
fn send_then_recv_moves_words_in_frames_and_times_them() {
    // One card, its receive queue filled by hand: 40 words are two frames on a 4-lane
    // tile (P = 32); the second frame's last 24 words are zero padding.
    let cfg = small();
    let (tt, p) = (cfg.link_frame_cycles(), cfg.link_frame_words());
    assert_eq!((tt, p), (266, 32));
    let mut m = Machine::new(&cfg);
    for i in 0..40 {
        let w: Vec<i8> = (0..4).map(|l| ((i * 4 + l) as i32 - 60) as i8).collect();
        m.word_mut(VAddr { bank: 0, word: i }).copy_from_slice(&w);
    }
    let pr = prog(&cfg, "vlen 40\nsend b0:0\nrecv b1:100\nhalt\n");
    let mut a = m.clone();
    a.inbox.push_back(vec![1; 128]);
    a.inbox.push_back(vec![2; 128]);
    let r = run_linked(&cfg, &pr, &mut a, LinkIn::Always);
    assert_eq!(a.word(VAddr { bank: 1, word: 139 }), &[2, 2, 2, 2]);
    // The send's frames went out; nothing came in, but `Always` let the recv run:
    // feed the sent frames back as the inbox and run again.
    assert_eq!(a.outbox.len(), 2);
    assert_eq!(a.outbox[1][8 * 4..], vec![0u8; 128 - 32][..]);
    assert_eq!(r.status, Status::Ok);
    // send at 1 (busy 2T, last post at 1 + T + P + 2), recv at 2 (last write at
    // 2 + T + 8 + 1, earlier).
    assert_eq!(r.predicted_cycles, 1 + 1 + tt + p as u64 + 2);
    assert_eq!(r.cycles, r.predicted_cycles);
    let mut b = m.clone();
    b.inbox = a.outbox.iter().cloned().collect();
    let r2 = run_linked(&cfg, &pr, &mut b, LinkIn::Arrivals(vec![0, 0]));
    assert_eq!(r2, r);
    for i in 0..40 {
        assert_eq!(
            b.word(VAddr {
                bank: 1,
                word: 100 + i
            }),
            m.word(VAddr { bank: 0, word: i })
        );
    }
    // The timed executor agrees.
    let mut c = m.clone();
    c.inbox = a.outbox.iter().cloned().collect();
    let r3 = run_timed_linked(&cfg, &pr, &mut c, LinkIn::Arrivals(vec![0, 0]));
    assert_eq!(r3, r);
    assert!(c == b);
}

#[test]
fn a_frame_that_is_not_there_stops_the_run_at_its_check() {
    let cfg = small();
    let tt = cfg.link_frame_cycles();
    let pr = prog(&cfg, "vlen 40\nrecv b1:0\nwait 1000\nhalt\n");
    // Frame 0 there at 0, frame 1 arrives one cycle after its check at 1 + T + 1.
    let mut m = Machine::new(&cfg);
    m.inbox.push_back(vec![7; 128]);
    m.inbox.push_back(vec![9; 128]);
    let r = run_linked(&cfg, &pr, &mut m, LinkIn::Arrivals(vec![0, tt + 3]));
    assert_eq!((r.status, r.pc), (Status::Link, 1));
    assert_eq!(r.cycles, 1 + 1 + tt + 1);
    assert_eq!(r.cycles, r.predicted_cycles);
    // Frame 0's 32 words landed, frame 1's did not.
    assert_eq!(m.word(VAddr { bank: 1, word: 31 }), &[7, 7, 7, 7]);
    assert_eq!(m.word(VAddr { bank: 1, word: 32 }), &[0, 0, 0, 0]);
    // On time, it runs.
    let mut m = Machine::new(&cfg);
    m.inbox.push_back(vec![7; 128]);
    m.inbox.push_back(vec![9; 128]);
    let r = run_linked(&cfg, &pr, &mut m, LinkIn::Arrivals(vec![0, tt + 2]));
    assert_eq!(r.status, Status::Ok);
    assert_eq!(m.word(VAddr { bank: 1, word: 39 }), &[9, 9, 9, 9]);
}

#[test]
fn allgather_on_every_ring_size_gives_every_vector_everywhere() {
    for cfg in [small(), TileConfig::preset("ulx3s-85f").unwrap()] {
        for n in 2..=5 {
            for vlen in [1, 33] {
                let d = allgather(&cfg, n, vlen, 7).unwrap();
                let r = run_ring(&cfg, &d.progs, d.machines(&cfg), &BudgetParams::default());
                let ctx = format!("{} n {n} vlen {vlen}", cfg.name);
                assert!(r.findings.is_empty(), "{ctx}: {:?}", r.findings);
                assert!(d.mismatches(&r).is_empty(), "{ctx}: {:?}", d.mismatches(&r));
                for res in &r.results {
                    assert_eq!(res.status, Status::Ok, "{ctx}");
                    assert_eq!(res.cycles, res.predicted_cycles, "{ctx}");
                }
                // Every frame sent was received: n - 1 steps of ceil(vlen / P) frames.
                let f = vlen.div_ceil(cfg.link_frame_words()) * (n - 1);
                assert!(r.posts.iter().all(|p| p.len() == f), "{ctx}");
            }
        }
    }
}

#[test]
fn a_recv_scheduled_before_the_budget_is_found() {
    let cfg = small();
    let d = allgather(&cfg, 4, 8, 1).unwrap();
    // The tightest wait works; 64 cycles less does not.
    let src: Vec<String> = d
        .sources
        .iter()
        .map(|s| {
            s.lines()
                .map(|l| match l.trim().strip_prefix("wait ") {
                    Some(w) if l.contains("wait") && !s.is_empty() => {
                        let w: u64 = w.parse().unwrap();
                        format!("    wait {}", w.saturating_sub(64))
                    }
                    _ => l.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let progs: Vec<Vec<Instr>> = src.iter().map(|s| prog(&cfg, s)).collect();
    let r = run_ring(&cfg, &progs, d.machines(&cfg), &BudgetParams::default());
    assert!(!r.findings.is_empty());
    assert!(r.results.iter().all(|x| x.status == Status::Link));
    assert!(r.findings[0].message.contains("not in the receive queue"));
}

#[test]
fn a_queue_that_may_overflow_is_found_only_on_a_receiving_card() {
    let cfg = small();
    let send4 = prog(&cfg, "vlen 128\nsend b0:0\nhalt\n");
    // Card 1 receives one frame late, after all four have arrived: overflow.
    let late = prog(&cfg, "wait 3000\nvlen 32\nrecv b0:0\nhalt\n");
    let m = || vec![Machine::new(&cfg); 2];
    let r = run_ring(&cfg, &[send4.clone(), late], m(), &BudgetParams::default());
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert!(r.findings[0].message.contains("while 3 frames are queued"));
    // A card that never receives may let its queue overflow.
    let idle = prog(&cfg, "halt\n");
    let r = run_ring(&cfg, &[send4, idle], m(), &BudgetParams::default());
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

#[test]
fn recv_with_nothing_sent_is_found() {
    let cfg = small();
    let progs = vec![
        prog(&cfg, "halt\n"),
        prog(&cfg, "wait 5000\nrecv b0:0\nhalt\n"),
    ];
    let r = run_ring(
        &cfg,
        &progs,
        vec![Machine::new(&cfg); 2],
        &BudgetParams::default(),
    );
    assert_eq!(r.results[1].status, Status::Link);
    assert_eq!(r.results[1].pc, 1);
    assert_eq!(r.findings.len(), 1);
}

#[test]
fn two_card_mlp_matches_the_arithmetic() {
    let cfg = small();
    for batches in [1, 4] {
        let d = mlp2(&cfg, batches, 3).unwrap();
        let r = run_ring(&cfg, &d.progs, d.machines(&cfg), &BudgetParams::default());
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert!(d.mismatches(&r).is_empty(), "{:?}", d.mismatches(&r));
        for res in &r.results {
            assert_eq!(res.status, Status::Ok);
            assert_eq!(res.cycles, res.predicted_cycles);
        }
    }
    assert!(mlp2(&TileConfig::preset("ulx3s-85f").unwrap(), 1, 0)
        .unwrap_err()
        .contains("4 lanes"));
}

#[test]
fn bad_demo_parameters_name_themselves() {
    let cfg = small();
    assert!(allgather(&cfg, 1, 4, 0).unwrap_err().contains("cards = 1"));
    assert!(allgather(&cfg, 4, 0, 0).unwrap_err().contains("vlen = 0"));
    assert!(allgather(&cfg, 4, 1000, 0)
        .unwrap_err()
        .contains("vlen = 1000"));
    assert!(mlp2(&cfg, 0, 0).unwrap_err().contains("batches = 0"));
}

#[test]
fn bank_read_stages_delay_the_posts_and_the_demos_still_hold() {
    // A send reads a bank: with b = 1 every post is one cycle later (t + j*T + 2 + P + 1);
    // the recv does not move.
    let c0 = small();
    let mut c1 = small();
    c1.bank_read_stages = 1;
    let (tt, p) = (c0.link_frame_cycles(), c0.link_frame_words() as u64);
    let progs = |cfg: &TileConfig| {
        vec![
            prog(cfg, "vlen 40\nsend b0:0\nhalt\n"),
            prog(cfg, "wait 2000\nvlen 40\nrecv b1:0\nhalt\n"),
        ]
    };
    let m = || {
        let mut ms = vec![Machine::new(&c0); 2];
        for i in 0..40u16 {
            ms[0]
                .word_mut(VAddr { bank: 0, word: i })
                .fill(i as i8 - 20);
        }
        ms
    };
    let r0 = run_ring(&c0, &progs(&c0), m(), &BudgetParams::default());
    let r1 = run_ring(&c1, &progs(&c1), m(), &BudgetParams::default());
    assert_eq!(r0.posts[0], [1 + 2 + p, 1 + tt + 2 + p]);
    assert_eq!(r1.posts[0], [1 + 2 + p + 1, 1 + tt + 2 + p + 1]);
    assert!(r0.findings.is_empty() && r1.findings.is_empty());
    // The sender's run ends with its last post, the receiver's when it did.
    assert_eq!(r1.results[0].cycles, r0.results[0].cycles + 1);
    assert_eq!(r1.results[1].cycles, r0.results[1].cycles);
    assert_eq!(r1.machines[1].banks[1], r0.machines[1].banks[1]);
    assert_eq!(r1.machines[1].word(VAddr { bank: 1, word: 39 }), &[19; 4]);
    // The demos, generated for b = 1, run as modelled.
    let d = allgather(&c1, 3, 33, 5).unwrap();
    let r = run_ring(&c1, &d.progs, d.machines(&c1), &BudgetParams::default());
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert!(d.mismatches(&r).is_empty(), "{:?}", d.mismatches(&r));
    for batches in [1, 3] {
        let d = mlp2(&c1, batches, 3).unwrap();
        let r = run_ring(&c1, &d.progs, d.machines(&c1), &BudgetParams::default());
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert!(d.mismatches(&r).is_empty(), "{:?}", d.mismatches(&r));
        for res in &r.results {
            assert_eq!(res.status, Status::Ok);
            assert_eq!(res.cycles, res.predicted_cycles);
        }
        // The b = 0 MLP does not hold with b = 1: its rq.runs follow their mxu.runs at
        // the b = 0 spacing.
        let d0 = mlp2(&c0, batches, 3).unwrap();
        assert_ne!(d0.sources, d.sources);
        assert!(d0.progs.iter().any(|p| check(&c1, p).is_err()));
    }
}
