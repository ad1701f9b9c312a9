//! The ring in one Verilator simulation (`RingSim`) against the golden ring model
//! (`minilpu_model::ring`): bank contents, status, pc and cycle counts per card, link
//! counters; with clocks +-300 ppm apart and with faults on the wires.

use minilpu_model::isa::Status;
use minilpu_model::link::budget::BudgetParams;
use minilpu_model::ring::demos::{allgather, mlp2, RingDemo};
use minilpu_model::ring::{run_ring, RingRun as ModelRun};
use minilpu_model::TileConfig;
use minilpu_testbench::link_sim::{Slip, Stuck};
use minilpu_testbench::ring_sim::{CardLoad, RingOptions, RingRun, RingSim};

fn small() -> TileConfig {
    TileConfig::preset("sim-small").unwrap()
}

/// Every expected region of `d`, per card, as dumps.
fn loads(d: &RingDemo, n: usize) -> Vec<CardLoad> {
    (0..n)
        .map(|c| CardLoad {
            program: d.progs[c].iter().map(|i| i.encode()).collect(),
            image: d.images[c].clone(),
            dumps: d
                .expect
                .iter()
                .filter(|e| e.0 == c)
                .map(|e| (e.1, e.2.len()))
                .collect(),
        })
        .collect()
}

fn model(cfg: &TileConfig, d: &RingDemo) -> ModelRun {
    let r = run_ring(cfg, &d.progs, d.machines(cfg), &BudgetParams::default());
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert!(d.mismatches(&r).is_empty());
    r
}

/// RTL == model: status, pc, cycles, and every dumped word.
fn assert_same(d: &RingDemo, m: &ModelRun, rtl: &RingRun) {
    for (c, card) in rtl.cards.iter().enumerate() {
        let res = &m.results[c];
        assert_eq!(
            (card.status, card.pc, card.cycles),
            (res.status, res.pc, res.cycles),
            "card {c}"
        );
        for (k, e) in d.expect.iter().filter(|e| e.0 == c).enumerate() {
            assert_eq!(card.dumps[k], e.2, "card {c} region at {}", e.1);
            for (i, w) in card.dumps[k].iter().enumerate() {
                assert_eq!(w.as_slice(), m.machines[c].word(e.1.offset(i)));
            }
        }
    }
}

#[test]
fn four_card_allgather_matches_the_model_at_plus_minus_300_ppm() {
    let cfg = small();
    let d = allgather(&cfg, 4, 40, 11).unwrap();
    let m = model(&cfg, &d);
    let sim = RingSim::build(&cfg, 4).expect("verilated ring");
    let rtl = sim
        .run(&loads(&d, 4), &RingOptions::new(4).with_ppm(300.0))
        .unwrap();
    assert_same(&d, &m, &rtl);
    // 3 steps of 2 frames per link, every one delivered, no errors.
    for (i, l) in rtl.links.iter().enumerate() {
        assert_eq!((l.frames_sent, l.frames_delivered), (6, 6), "link {i}");
        assert_eq!((l.crc_errors, l.undetected_errors), (0, 0), "link {i}");
        assert_eq!(l.hop_latency.len(), 6);
        let f = cfg.link_config().frame_columns() as f64 * 8.0;
        let lanes = cfg.link_lanes as f64;
        for &h in &l.hop_latency {
            // docs/link.md: 8F + L + 4 < latency <= 8F + L + 5 (+-300 ppm over a frame).
            assert!(h > f + lanes + 3.5 && h < f + lanes + 5.5, "link {i}: {h}");
        }
    }
    for c in &rtl.cards {
        // TX frames, RX frames; no CRC error, no loss of alignment, nothing missing.
        assert_eq!(c.counters, [6, 6, 0, 0, 0, 0]);
        assert_eq!(c.link_status & 3, 1, "locked, no fault");
    }
    eprintln!(
        "4-card ring: {} card-cycles in {:.2} s = {:.2} M card-cycles/s",
        rtl.card_cycles,
        rtl.wall.as_secs_f64(),
        rtl.card_cycles as f64 / rtl.wall.as_secs_f64() / 1e6
    );
}

#[test]
fn two_card_pipelined_mlp_matches_the_model() {
    let cfg = small();
    let d = mlp2(&cfg, 3, 5).unwrap();
    let m = model(&cfg, &d);
    let rtl = RingSim::build(&cfg, 2)
        .unwrap()
        .run(&loads(&d, 2), &RingOptions::new(2).with_ppm(-200.0))
        .unwrap();
    assert_same(&d, &m, &rtl);
    assert!(rtl.cards.iter().all(|c| c.status == Status::Ok));
}

#[test]
fn a_recv_before_its_frame_stops_with_link_and_the_model_says_so() {
    let cfg = small();
    let src = [
        "vlen 8\nwait 100\nsend b0:0\nhalt\n",
        "vlen 8\nrecv b1:0\nhalt\n",
    ];
    let progs: Vec<Vec<_>> = src
        .iter()
        .map(|s| {
            minilpu_model::asm::assemble(s, "t.s", Some(&cfg))
                .unwrap()
                .instrs
        })
        .collect();
    let m = run_ring(
        &cfg,
        &progs,
        vec![minilpu_model::exec::Machine::new(&cfg); 2],
        &BudgetParams::default(),
    );
    assert_eq!(m.results[1].status, Status::Link);
    let loads: Vec<CardLoad> = progs
        .iter()
        .map(|p| CardLoad {
            program: p.iter().map(|i| i.encode()).collect(),
            ..Default::default()
        })
        .collect();
    let rtl = RingSim::build(&cfg, 2)
        .unwrap()
        .run(&loads, &RingOptions::new(2))
        .unwrap();
    let c = &rtl.cards[1];
    assert_eq!(
        (c.status, c.pc, c.cycles),
        (Status::Link, 1, m.results[1].cycles)
    );
    assert_eq!(rtl.cards[0].status, Status::Ok);
    // The frame still arrives later and waits in the queue.
    assert_eq!(rtl.links[0].frames_delivered, 1);
    assert_eq!((rtl.cards[1].link_status >> 2) & 7, 1, "one frame queued");
}

#[test]
fn faults_on_the_wire_never_deliver_a_corrupted_vector() {
    let cfg = small();
    let d = allgather(&cfg, 4, 64, 3).unwrap();
    let m = model(&cfg, &d);
    // BER 2e-3 on every link: about 1 frame in 2 is hit.
    let mut opts = RingOptions::new(4).with_ppm(300.0);
    for (i, f) in opts.faults.iter_mut().enumerate() {
        f.ber = 2e-3;
        f.seed = 100 + i as u64;
    }
    let rtl = RingSim::build(&cfg, 4)
        .unwrap()
        .run(&loads(&d, 4), &opts)
        .unwrap();
    let mut stopped = 0;
    for (c, card) in rtl.cards.iter().enumerate() {
        match card.status {
            // A card that finished has exactly the model's data.
            Status::Ok => {
                for (k, e) in d.expect.iter().filter(|e| e.0 == c).enumerate() {
                    assert_eq!(card.dumps[k], e.2, "card {c}");
                }
                assert_eq!(card.cycles, m.results[c].cycles);
            }
            Status::Link => stopped += 1,
            s => panic!("card {c}: {s:?}"),
        }
    }
    assert!(stopped > 0, "at BER 2e-3 some frame is lost");
    for (i, l) in rtl.links.iter().enumerate() {
        assert_eq!(l.undetected_errors, 0, "link {i}");
        assert!(l.bit_flips > 0);
        // Every frame the receiver dropped was counted (its golden twin counts the
        // same), and every data frame sent was delivered or dropped.
        assert_eq!(
            rtl.cards[(i + 1) % 4].counters[2] as u64,
            l.crc_errors,
            "link {i}"
        );
        assert!(l.frames_delivered <= l.frames_sent);
        assert!(
            l.crc_errors >= l.frames_sent - l.frames_delivered,
            "link {i}"
        );
    }
    // A stuck lane: the link goes down, the east card stops with LINK.
    let mut opts = RingOptions::new(4);
    opts.faults[1].stuck = Some(Stuck {
        lane: 2,
        value: true,
        // Shortly after the start (training ends at 5 superframes = 10,640 cycles).
        from_cycle: 11_500,
    });
    let rtl = RingSim::build(&cfg, 4)
        .unwrap()
        .run(&loads(&d, 4), &opts)
        .unwrap();
    assert_eq!(rtl.cards[2].status, Status::Link);
    assert!(rtl.cards[2].counters[2] >= 1, "CRC errors counted");
    assert_eq!(rtl.links[1].undetected_errors, 0);
    // A slipped bit on link 2 during the run: card 3 loses frames (CRC errors, then a
    // loss of alignment) and stops with LINK; nothing corrupted is delivered.
    let mut opts = RingOptions::new(4);
    opts.faults[2].slips = vec![Slip {
        lane: 1,
        at_cycle: 11_500,
        delta: 1,
    }];
    let rtl = RingSim::build(&cfg, 4)
        .unwrap()
        .run(&loads(&d, 4), &opts)
        .unwrap();
    assert_eq!(rtl.cards[3].status, Status::Link);
    assert!(rtl.cards[3].counters[2] >= 1, "CRC errors counted");
    assert!(rtl.links.iter().all(|l| l.undetected_errors == 0));
}
