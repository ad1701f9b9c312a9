//! The link (`hdl/src/link_*.rs`, `hdl/src/async_fifo.rs`) in Verilator, in two clock
//! domains, against the golden model (`minilpu_model::link`), with faults on the wire
//! (`testbench/src/link_sim.rs`). Fixed seeds throughout.
//!
//! Every run is checked three ways: the TX lane bits equal the model's stream for the
//! slots the TX filled; the RTL receiver delivers exactly the frames (and ends with
//! exactly the counters) of the golden receiver fed with the same lane inputs; and
//! every delivered frame equals the frame that was sent with that sequence number.
//!
//! Figures (efficiency, hop latency, simulation speed) are printed; run with
//! `cargo test --release -p minilpu-testbench --test link -- --nocapture`, and the
//! 100,000-frame BER run with `... -- --ignored --nocapture`.

use minilpu_model::link::frame::Frame;
use minilpu_model::link::tx::lane_stream;
use minilpu_model::link::{LinkConfig, TX_START_CYCLES};
use minilpu_testbench::link_sim::*;
use std::collections::BTreeSet;

fn full_load(frames: usize, seed: u64) -> Traffic {
    Traffic {
        frames,
        gap_max: 0,
        seed,
    }
}

/// Slot contents of a run as the model takes them.
fn model_slots(run: &LinkRun) -> Vec<Option<Frame>> {
    run.slots
        .iter()
        .map(|s| s.map(|i| run.sent[i].clone()))
        .collect()
}

/// TX lanes equal the model's stream for every decided slot.
fn check_tx_bits(run: &LinkRun) {
    let cfg = &run.cfg;
    let want = lane_stream(cfg, &model_slots(run)).bits;
    let last = run.slots.len() as u64 - 1;
    let end = 8 * (cfg.slot_first_column(last) + cfg.frame_columns() as u64) as usize;
    let n = end.min(run.tx_bits.len());
    assert!(n > 8 * cfg.superframe_columns(), "too short a recording");
    if let Some(k) = (0..n).find(|&k| run.tx_bits[k] != want[k]) {
        panic!(
            "lanes {}: TX bit {k} (column {}, TX cycle {}) is {:04b}, model {:04b}",
            cfg.lanes,
            k / 8,
            k as u64 + TX_START_CYCLES,
            run.tx_bits[k],
            want[k]
        );
    }
}

/// The RTL receiver did what the golden receiver did, and delivered only true frames.
fn check_rx(run: &LinkRun) {
    assert_eq!(run.counters, run.model_counters, "RTL vs model counters");
    assert_eq!(run.delivered.len(), run.model.len(), "deliveries");
    for (k, (r, m)) in run.delivered.iter().zip(&run.model).enumerate() {
        assert_eq!(r.frame, m.frame, "delivery {k}");
    }
    check_integrity(run);
}

/// Every delivered frame is the frame sent with that sequence number.
fn check_integrity(run: &LinkRun) {
    for (d, i) in run.delivered.iter().zip(run.delivered_indices()) {
        let sent = &run.sent[i];
        assert_eq!(d.frame.tag, sent.tag, "tag of frame {i}");
        assert!(d.frame.payload == sent.payload, "payload of frame {i}");
    }
    assert_eq!(run.counters.frames as usize, run.delivered.len());
}

fn stats(xs: &[f64]) -> (f64, f64, f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (mean, var.sqrt(), min, max)
}

fn report(name: &str, run: &LinkRun) {
    let (mean, sd, min, max) = stats(&run.latencies());
    println!(
        "{name}: lanes {} rx_period {} | sent {} delivered {} | counters {:?} | hop latency \
         (RX cycles, first bit on the wire -> valid) mean {mean:.2} sd {sd:.2} min {min:.2} max \
         {max:.2} | {} TX cycles in {:.2?} = {:.2} M cycles/s",
        run.cfg.lanes,
        run.clocks.rx_period,
        run.sent.len(),
        run.delivered.len(),
        run.counters,
        run.tx_cycles,
        run.wall,
        run.cycles_per_second() / 1e6
    );
}

/// Slots whose bits the wire flipped (ALIGN columns excluded).
fn corrupted_slots(run: &LinkRun) -> BTreeSet<u64> {
    let cfg = &run.cfg;
    let (s, f, n) = (
        cfg.superframe_columns() as u64,
        cfg.frame_columns() as u64,
        cfg.frames_per_superframe as u64,
    );
    run.flips
        .iter()
        .filter(|(c, _)| *c >= TX_START_CYCLES)
        .filter_map(|(c, _)| {
            let col = (c - TX_START_CYCLES) / 8;
            let k = col % s;
            (k >= 2).then(|| (col / s) * n + (k - 2) / f)
        })
        .collect()
}

#[test]
fn tx_lanes_and_rx_deliveries_match_the_model_on_every_lane_count() {
    for lanes in 1..=4 {
        let cfg = LinkConfig::new(lanes);
        let traffic = Traffic {
            frames: 40,
            gap_max: 700,
            seed: 100 + lanes as u64,
        };
        let run = run_link(
            &cfg,
            &traffic,
            &Faults::default(),
            &Clocks::ppm(0.0),
            &RunOptions::checked(&cfg),
        )
        .unwrap();
        assert!(run.slots.iter().any(Option::is_none) && run.slots.iter().any(Option::is_some));
        check_tx_bits(&run);
        check_rx(&run);
        assert_eq!(run.delivered.len(), 40);
        assert_eq!(run.tx_frames, 40);
        assert!(run.locked);
        report(&format!("gaps, lanes {lanes}"), &run);
    }
}

#[test]
fn wider_words_and_other_superframes() {
    // 16-byte words (the 16x16 tile's) with the transmitter's stage 2a: on 3 lanes, and
    // on 4, where the last lane's byte reaches stage 3 in the column's cycle 6.
    for lanes in [3, 4] {
        let mut cfg = LinkConfig::new(lanes);
        cfg.word_bytes = 16;
        cfg.frames_per_superframe = 3;
        cfg.training_superframes = 1;
        let run = run_link(
            &cfg,
            &full_load(30, 7),
            &Faults::default(),
            &Clocks::ppm(-120.0),
            &RunOptions::checked(&cfg),
        )
        .unwrap();
        check_tx_bits(&run);
        check_rx(&run);
        assert_eq!(run.delivered.len(), 30, "{lanes} lanes");
    }
    let mut cfg = LinkConfig::new(2);
    cfg.word_bytes = 1;
    cfg.training_superframes = 0;
    let run = run_link(
        &cfg,
        &full_load(20, 8),
        &Faults::default(),
        &Clocks::ppm(50.0),
        &RunOptions::checked(&cfg),
    )
    .unwrap();
    check_tx_bits(&run);
    check_rx(&run);
    // With no training the receiver locks on the first two ALIGN words: the data
    // frames of the first superframe pass before it does.
    let early = run.slots[..cfg.frames_per_superframe]
        .iter()
        .flatten()
        .count();
    assert!(early > 0);
    assert_eq!(run.counters.missing as usize, early);
    assert_eq!(run.delivered.len(), 20 - early);
}

#[test]
fn full_load_at_plus_and_minus_300_ppm_loses_nothing() {
    for lanes in [4, 1] {
        let cfg = LinkConfig::new(lanes);
        let frames = if lanes == 4 { 3000 } else { 600 };
        for ppm in [300.0, -300.0] {
            let run = run_link(
                &cfg,
                &full_load(frames, 11),
                &Faults::default(),
                &Clocks::ppm(ppm),
                &RunOptions::checked(&cfg),
            )
            .unwrap();
            check_tx_bits(&run);
            check_rx(&run);
            let c = run.counters;
            assert_eq!(
                (
                    c.frames as usize,
                    c.crc_errors,
                    c.align_lost,
                    c.overflows,
                    c.missing
                ),
                (frames, 0, 0, 0, 0),
                "lanes {lanes} {ppm} ppm"
            );
            // Full load: every slot from the first data superframe to the last frame
            // carries data, so the wire efficiency is the formula's.
            let first = cfg.training_superframes * cfg.frames_per_superframe;
            let data = &run.slots[first..first + frames];
            assert!(
                data.iter().all(Option::is_some),
                "a slot went idle at full load"
            );
            let n = cfg.frames_per_superframe as u64;
            let superframes = frames as u64 / n;
            let payload_bits = (superframes * n * 1024) as f64;
            let wire_bits = (superframes * cfg.superframe_bits() * lanes as u64) as f64;
            let eff = payload_bits / wire_bits;
            assert!((eff - cfg.efficiency()).abs() < 1e-12 && eff >= 0.95);
            println!(
                "lanes {lanes} {ppm:+} ppm: payload efficiency {:.4} ({} superframes at full load)",
                eff, superframes
            );
            report(&format!("full load {ppm:+} ppm"), &run);
            let (_, _, min, max) = stats(&run.latencies());
            assert!(max - min <= 3.0, "latency jitter {min}..{max}");
        }
    }
}

fn ber_run(frames: usize, record: bool) -> LinkRun {
    let cfg = LinkConfig::new(4);
    let faults = Faults {
        ber: 1e-4,
        seed: 2024,
        ..Default::default()
    };
    let mut opts = RunOptions::checked(&cfg);
    opts.record_tx = record;
    opts.record_rx = false;
    run_link(
        &cfg,
        &full_load(frames, 12),
        &faults,
        &Clocks::ppm(300.0),
        &opts,
    )
    .unwrap()
}

fn check_ber(run: &LinkRun) {
    check_rx(run);
    let cfg = &run.cfg;
    let bad = corrupted_slots(run);
    let slot_of = run.slot_of_sent();
    let delivered: BTreeSet<usize> = run.delivered_indices().into_iter().collect();
    let c = run.counters;
    assert_eq!(c.align_lost, 0, "BER 1e-4 must not drop lock");
    assert_eq!(c.overflows, 0);
    let first_data = (cfg.training_superframes * cfg.frames_per_superframe) as u64;
    let mut corrupted_data = 0;
    for (i, &s) in slot_of.iter().enumerate() {
        if bad.contains(&s) {
            corrupted_data += 1;
            assert!(
                !delivered.contains(&i),
                "corrupted frame {i} (slot {s}) delivered"
            );
        } else {
            assert!(
                delivered.contains(&i),
                "clean frame {i} (slot {s}) not delivered"
            );
        }
    }
    // Every corrupted slot the receiver saw is counted: all data slots, and the idle
    // slots after the receiver locked (some training slots pass before the lock).
    let corrupted_after = bad.iter().filter(|&&s| s >= first_data).count() as u32;
    assert!(c.crc_errors >= corrupted_after && c.crc_errors as usize <= bad.len());
    assert_eq!(c.frames + corrupted_data, run.sent.len() as u32);
    assert_eq!(c.missing, corrupted_data - trailing_losses(run));
    println!(
        "BER 1e-4: {} frames, {} bits flipped, {} frames corrupted ({} data), {} CRC errors \
         counted, {} delivered, 0 undetected",
        run.sent.len(),
        run.flips.len(),
        bad.len(),
        corrupted_data,
        c.crc_errors,
        c.frames
    );
}

/// Corrupted frames after the last delivered one (not yet seen as a sequence gap).
fn trailing_losses(run: &LinkRun) -> u32 {
    let last = run.delivered_indices().last().copied().unwrap_or(0);
    (run.sent.len() - 1 - last) as u32
}

#[test]
fn ber_1e_4_never_delivers_a_corrupted_frame() {
    let run = ber_run(8000, true);
    check_tx_bits(&run);
    check_ber(&run);
    report("BER 1e-4", &run);
}

/// The 100,000-frame run (about a minute in release mode).
#[test]
#[ignore]
fn ber_1e_4_over_100k_frames() {
    let run = ber_run(100_000, false);
    check_ber(&run);
    report("BER 1e-4, 100k frames", &run);
}

#[test]
fn lane_skew_up_to_31_bits_is_removed() {
    let cfg = LinkConfig::new(4);
    for skew in [[0, 31, 7, 19], [31, 0, 30, 1], [12, 12, 12, 12]] {
        let faults = Faults {
            skew,
            ..Default::default()
        };
        let run = run_link(
            &cfg,
            &full_load(60, 13),
            &faults,
            &Clocks::ppm(-300.0),
            &RunOptions::checked(&cfg),
        )
        .unwrap();
        check_rx(&run);
        assert_eq!(run.delivered.len(), 60, "skew {skew:?}");
        assert_eq!(run.counters.crc_errors, 0);
    }
}

#[test]
fn a_slipped_bit_is_detected_and_the_link_relocks() {
    let cfg = LinkConfig::new(4);
    let at = cfg.slot_start_cycle(60) + 333;
    for delta in [1, -1] {
        let faults = Faults {
            skew: [2, 2, 2, 2],
            slips: vec![Slip {
                lane: 2,
                at_cycle: at,
                delta,
            }],
            ..Default::default()
        };
        let run = run_link(
            &cfg,
            &full_load(200, 14),
            &faults,
            &Clocks::ppm(300.0),
            &RunOptions::checked(&cfg),
        )
        .unwrap();
        check_rx(&run);
        let c = run.counters;
        assert_eq!(c.align_lost, 1, "slip {delta}");
        assert!(c.crc_errors >= 1);
        assert!(run.locked, "relocked");
        assert_eq!(
            run.delivered_indices().last().copied(),
            Some(199),
            "frames flow again"
        );
        assert_eq!(c.frames + c.missing, 200);
        println!("slip {delta:+}: {c:?}");
    }
}

#[test]
fn a_stuck_lane_is_detected() {
    let cfg = LinkConfig::new(3);
    for value in [false, true] {
        let faults = Faults {
            stuck: Some(Stuck {
                lane: 1,
                value,
                from_cycle: cfg.slot_start_cycle(50) + 100,
            }),
            ..Default::default()
        };
        let run = run_link(
            &cfg,
            &full_load(120, 15),
            &faults,
            &Clocks::ppm(0.0),
            &RunOptions::checked(&cfg),
        )
        .unwrap();
        check_rx(&run);
        let c = run.counters;
        assert_eq!(c.align_lost, 1, "stuck at {value}");
        assert!(c.crc_errors >= 1);
        assert!(!run.locked);
        println!("stuck at {}: {c:?}", value as u8);
    }
}

/// TX cycle in which bit `k` (0..16, in wire order) of superframe `s`'s ALIGN word is
/// sent.
fn align_bit_cycle(cfg: &LinkConfig, s: u64, k: u64) -> u64 {
    TX_START_CYCLES + 8 * s * cfg.superframe_columns() as u64 + k
}

/// A run of `frames` frames on four skewed lanes with `flips_at` on the wire.
fn run_with_flips(cfg: &LinkConfig, frames: usize, flips_at: Vec<(u64, usize)>) -> LinkRun {
    let faults = Faults {
        skew: [3, 0, 9, 5],
        flips_at,
        ..Default::default()
    };
    let run = run_link(
        cfg,
        &full_load(frames, 17),
        &faults,
        &Clocks::ppm(100.0),
        &RunOptions::checked(cfg),
    )
    .unwrap();
    check_rx(&run);
    run
}

#[test]
fn align_word_errors_count_at_every_bit_position() {
    // The receiver's ALIGN check (`LinkAlign`: exact in CHECK, at most one wrong bit
    // per lane when locked) must see a wrong bit wherever it falls in the word.
    let cfg = LinkConfig::new(4);
    let first_data = cfg.training_superframes as u64;
    // One wrong bit in each of 32 ALIGN words in a row, at every position twice in a
    // row and on every lane in turn: lock holds and nothing is lost.
    let flips = (0..32)
        .map(|j| {
            (
                align_bit_cycle(&cfg, first_data + 1 + j, j / 2),
                j as usize / 2 % 4,
            )
        })
        .collect();
    let run = run_with_flips(&cfg, 8 * 34, flips);
    assert_eq!(run.flips.len(), 32);
    assert_eq!(run.counters.align_lost, 0);
    assert_eq!(run.delivered.len(), 8 * 34);
    for k in 0..16 {
        // Two wrong bits (at `k` and 8 further on) in two ALIGN words in a row on one
        // lane: lock is lost once, and the link relocks.
        let lane = k as usize % 4;
        let flips = [first_data + 1, first_data + 2]
            .iter()
            .flat_map(|&s| [k, (k + 8) % 16].map(|b| (align_bit_cycle(&cfg, s, b), lane)))
            .collect();
        let run = run_with_flips(&cfg, 8 * 6, flips);
        assert_eq!(run.counters.align_lost, 1, "bits {k} and {}", (k + 8) % 16);
        assert!(run.locked, "relocked after bits {k} and {}", (k + 8) % 16);
    }
    // One wrong bit in the ALIGN word that CHECK examines: no lock there, so the first
    // data superframe's frames are lost (before the check, every frame is delivered).
    let cfg = LinkConfig {
        training_superframes: 2,
        ..LinkConfig::new(4)
    };
    for k in 0..16 {
        let run = run_with_flips(&cfg, 8 * 3, vec![(align_bit_cycle(&cfg, 1, k), 2)]);
        assert_eq!(run.delivered.len(), 8 * 2, "a wrong bit {k} in CHECK");
    }
    assert_eq!(run_with_flips(&cfg, 8 * 3, vec![]).delivered.len(), 8 * 3);
}

#[test]
fn a_wrong_bit_in_the_hunted_align_word_is_not_a_match() {
    // HUNT takes only an exact ALIGN word (`LinkAlign`'s `m[l]`): one wrong bit on one
    // lane in the first superframe's ALIGN word, wherever it falls, leaves that lane
    // unfound, and the lanes are aligned on the next superframe's word. With one
    // training superframe the check then falls on the first data superframe, whose
    // frames are lost; a match that ignored the wrong bit would deliver them.
    let cfg = LinkConfig {
        training_superframes: 1,
        ..LinkConfig::new(4)
    };
    assert_eq!(run_with_flips(&cfg, 8 * 3, vec![]).delivered.len(), 8 * 3);
    for k in 0..16 {
        let lane = k as usize % 4;
        let run = run_with_flips(&cfg, 8 * 3, vec![(align_bit_cycle(&cfg, 0, k), lane)]);
        assert_eq!(run.flips.len(), 1, "bit {k}");
        assert_eq!(
            run.delivered.len(),
            8 * 2,
            "a wrong bit {k} on lane {lane} in the hunted ALIGN word"
        );
        assert!(run.locked, "bit {k}: locked on the next ALIGN word");
    }
}

#[test]
fn clock_drift_beyond_tolerance_is_reported_not_delivered() {
    // The receiver needs lanes + 1 = 5 of its cycles per column; the wire brings one per
    // 8 TX cycles. An RX clock at 0.55x the TX clock is far beyond the tolerance
    // ((lanes + 1) / 8 = 0.625): the FIFO overflows. Both word widths: the wide
    // buffers' framer paces its bytes by a flag of its own (`LinkRxFrame`'s `ubnz`).
    for word_bytes in [4, 16] {
        let cfg = LinkConfig {
            word_bytes,
            ..LinkConfig::new(4)
        };
        let clocks = Clocks {
            rx_period: TX_PERIOD * 100 / 55,
            rx_phase: 123_456,
        };
        let opts = RunOptions {
            record_rx: false,
            ..RunOptions::checked(&cfg)
        };
        let run = run_link(&cfg, &full_load(80, 16), &Faults::default(), &clocks, &opts).unwrap();
        check_integrity(&run);
        let c = run.counters;
        assert!(c.overflows > 0, "{c:?}");
        assert!(c.frames < 80);
        // A lost column aborts its frame (the next entry carries `ovf`): no frame is
        // ever assembled from the wrong bytes, so no CRC check fails.
        assert_eq!(c.crc_errors, 0, "{word_bytes}-byte words: {c:?}");
        println!("RX clock 0.55x, {word_bytes}-byte words: {c:?}");
        // Just inside the tolerance nothing is lost.
        let clocks = Clocks {
            rx_period: TX_PERIOD * 100 / 66,
            rx_phase: 0,
        };
        let run = run_link(&cfg, &full_load(80, 16), &Faults::default(), &clocks, &opts).unwrap();
        check_rx(&run);
        assert_eq!(run.counters.frames, 80, "{word_bytes}-byte words");
        assert_eq!(run.counters.overflows, 0);
    }
}

#[test]
fn link_verilog_lints_clean() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/link");
    std::fs::create_dir_all(&dir).unwrap();
    for lanes in [1, 4] {
        let path = dir.join(format!("link_pair_{lanes}.v"));
        let v = minilpu_hdl::link_pair_verilog(&LinkConfig::new(lanes)).unwrap();
        std::fs::write(&path, v).unwrap();
        let r = minilpu_synth::verilator_lint(&path, minilpu_hdl::TOP_MODULE).unwrap();
        assert!(r.is_clean(), "{r:?}");
    }
}

#[test]
fn card_and_ring_verilog_lint_clean() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/link");
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = minilpu_model::TileConfig::preset("sim-small").unwrap();
    let card = dir.join("card_sim-small.v");
    std::fs::write(&card, minilpu_hdl::card_verilog(&cfg).unwrap()).unwrap();
    let ring = dir.join("ring_sim-small_3.v");
    std::fs::write(&ring, minilpu_hdl::ring_verilog(&cfg, 3).unwrap()).unwrap();
    for path in [card, ring] {
        let r = minilpu_synth::verilator_lint(&path, minilpu_hdl::TOP_MODULE).unwrap();
        assert!(r.is_clean(), "{}: {r:?}", path.display());
    }
    assert!(minilpu_hdl::ring_verilog(&cfg, 9).is_err());
}
