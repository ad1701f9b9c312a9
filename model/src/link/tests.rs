//! Framing, CRC, striping and the receiver model on clean and damaged streams.

use super::crc::{crc16, crc16_update, CRC16_CHECK};
use super::frame::{decode, encode, Frame};
use super::rx::{AlignState, Receiver};
use super::tx::{columns, lane_stream};
use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random_frame(rng: &mut ChaCha8Rng) -> Frame {
    let mut payload = [0u8; PAYLOAD_BYTES];
    rng.fill(&mut payload[..]);
    Frame {
        tag: rng.gen_range(0..128),
        payload,
    }
}

/// Slots for `superframes` superframes: training idle, then data with probability `p`.
fn slots(cfg: &LinkConfig, superframes: usize, p: f64, seed: u64) -> Vec<Option<Frame>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..superframes * cfg.frames_per_superframe)
        .map(|i| {
            (cfg.slot_allows_data(i as u64) && rng.gen_bool(p)).then(|| random_frame(&mut rng))
        })
        .collect()
}

/// Delay lane `l` by `delays[l]` bits (zeros shifted in first, the stream lengthened
/// by the largest delay).
fn skew(bits: &[u8], delays: &[usize]) -> Vec<u8> {
    let longest = delays.iter().max().copied().unwrap_or(0);
    (0..bits.len() + longest)
        .map(|n| {
            let mut v = 0;
            for (l, &d) in delays.iter().enumerate() {
                if n >= d && n - d < bits.len() {
                    v |= bits[n - d] & (1 << l);
                }
            }
            v
        })
        .collect()
}

/// Run a fresh receiver over `input` and 64 more idle bit times (the last column
/// leaves the aligner a few edges after its last bit).
fn receive(cfg: &LinkConfig, input: &[u8]) -> (Receiver, Vec<super::rx::Timed>) {
    let mut rx = Receiver::new(cfg);
    let mut got = rx.run(input);
    got.extend(rx.run(&[0; 64]));
    (rx, got)
}

fn data(slots: &[Option<Frame>]) -> Vec<&Frame> {
    slots.iter().flatten().collect()
}

#[test]
fn crc16_check_value() {
    assert_eq!(crc16(b"123456789"), CRC16_CHECK);
    assert_eq!(CRC16_CHECK, 0x29B1);
    assert_eq!(crc16(&[]), 0xFFFF);
    // One byte by hand: 0x00 from 0xFFFF.
    assert_eq!(crc16_update(0xFFFF, 0x00), 0xE1F0);
}

#[test]
fn frame_roundtrip_and_residue() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let f = random_frame(&mut rng);
    let b = encode(Some(&f), 77);
    assert_eq!(b[0], KIND_DATA | f.tag);
    assert_eq!(b[1], 77);
    assert_eq!(crc16(&b), 0, "a good frame leaves a zero register");
    let d = decode(&b);
    assert!(d.crc_ok);
    assert_eq!((d.kind, d.seq, d.payload), (b[0], 77, f.payload));
    let idle = encode(None, 5);
    assert_eq!(idle[0], 0);
    assert!(idle[2..130].iter().all(|&x| x == 0));
    assert!(decode(&idle).crc_ok);
}

#[test]
fn every_single_double_and_odd_error_is_detected() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let good = encode(Some(&random_frame(&mut rng)), 3);
    let flip = |b: &mut [u8; FRAME_BYTES], i: usize| b[i / 8] ^= 0x80 >> (i % 8);
    let bits = 8 * FRAME_BYTES;
    for i in 0..bits {
        let mut b = good;
        flip(&mut b, i);
        assert!(!decode(&b).crc_ok, "single error at bit {i}");
    }
    for i in 0..bits {
        for j in (i + 1..bits).step_by(7) {
            let mut b = good;
            flip(&mut b, i);
            flip(&mut b, j);
            assert!(!decode(&b).crc_ok, "double error at bits {i}, {j}");
        }
    }
    for _ in 0..20_000 {
        let mut b = good;
        let k = 2 * rng.gen_range(1..8) + 1;
        let mut picked = std::collections::BTreeSet::new();
        while picked.len() < k {
            picked.insert(rng.gen_range(0..bits));
        }
        for &i in &picked {
            flip(&mut b, i);
        }
        assert!(!decode(&b).crc_ok, "odd error pattern {picked:?}");
    }
    // Every burst of up to 16 bits.
    for start in 0..bits - 16 {
        for len in 1..=16 {
            let mut b = good;
            flip(&mut b, start);
            if len > 1 {
                flip(&mut b, start + len - 1);
            }
            if len > 2 {
                for i in start + 1..start + len - 1 {
                    if rng.gen_bool(0.5) {
                        flip(&mut b, i);
                    }
                }
            }
            assert!(!decode(&b).crc_ok, "burst at {start} len {len}");
        }
    }
}

#[test]
fn sizes_and_efficiency() {
    for lanes in 1..=4 {
        let c = LinkConfig::new(lanes);
        c.validate().unwrap();
        assert_eq!(c.frame_columns() * lanes, FRAME_BYTES);
        assert_eq!(c.superframe_columns(), 2 + 8 * 132 / lanes);
        let e = c.efficiency();
        assert!(
            (e - 1024.0 / (2.0 * lanes as f64 + 1056.0)).abs() < 1e-12,
            "{e}"
        );
        assert!(e >= 0.95, "lanes {lanes}: {e}");
    }
    assert!((LinkConfig::new(4).efficiency() - 1024.0 / 1064.0).abs() < 1e-12);
    let mut bad = LinkConfig::new(5);
    assert!(bad.validate().is_err());
    bad.lanes = 2;
    bad.word_bytes = 3;
    assert!(bad.validate().is_err());
}

#[test]
fn align_pattern_differs_from_its_shifts() {
    // The receiver tolerates one wrong bit per lane in a locked ALIGN word, so a slip of
    // up to 8 bits must change at least 2 bits of the 16 whatever the neighbours are;
    // it changes at least 4.
    let p = ALIGN_PATTERN as u32;
    for s in 1..=8 {
        let keep = (1u32 << (16 - s)) - 1;
        let late = ((p >> s) ^ p) & keep;
        let early = ((p << s) ^ p) & (keep << s) & 0xFFFF;
        assert!(
            late.count_ones() >= 2 && early.count_ones() >= 2,
            "shift {s}"
        );
    }
}

#[test]
fn stream_layout_is_as_documented() {
    for lanes in 1..=4 {
        let cfg = LinkConfig::new(lanes);
        let s = slots(&cfg, 6, 0.7, lanes as u64);
        let cols = columns(&cfg, &s);
        assert_eq!(cols.len(), 6 * cfg.superframe_columns());
        let mut seq = 0u8;
        for (i, slot) in s.iter().enumerate() {
            let first = cfg.slot_first_column(i as u64) as usize;
            let bytes = encode(slot.as_ref(), seq);
            seq = seq.wrapping_add(slot.is_some() as u8);
            for (k, &b) in bytes.iter().enumerate() {
                assert_eq!(cols[first + k / lanes][k % lanes], b, "slot {i} byte {k}");
            }
        }
        let stream = lane_stream(&cfg, &s);
        for sf in 0..6 {
            let n = sf * cfg.superframe_bits() as usize;
            for l in 0..lanes {
                let word =
                    (0..16).fold(0u16, |w, k| w << 1 | ((stream.bits[n + k] >> l) & 1) as u16);
                assert_eq!(
                    word, ALIGN_PATTERN,
                    "lanes {lanes} superframe {sf} lane {l}"
                );
            }
            assert!(stream.bits.iter().all(|b| b >> lanes == 0));
        }
    }
}

#[test]
#[should_panic(expected = "training superframe")]
fn training_slots_cannot_carry_data() {
    let cfg = LinkConfig::new(2);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    columns(&cfg, &[Some(random_frame(&mut rng))]);
}

#[test]
fn receiver_delivers_every_frame_of_a_clean_skewed_stream() {
    for lanes in 1..=4 {
        let cfg = LinkConfig::new(lanes);
        let s = slots(&cfg, 10, 0.8, 10 + lanes as u64);
        let stream = lane_stream(&cfg, &s);
        for delays in [[0, 0, 0, 0], [31, 0, 17, 5], [3, 9, 0, 30]] {
            let input = skew(&stream.bits, &delays[..lanes]);
            let (rx, got) = receive(&cfg, &input);
            assert_eq!(rx.aligner.state(), AlignState::Locked);
            let want = data(&s);
            // Frames still in the skew delay at the end are cut off.
            assert!(
                got.len() + 1 >= want.len(),
                "{} of {}",
                got.len(),
                want.len()
            );
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.frame.payload, w.payload);
                assert_eq!(g.frame.tag, w.tag);
            }
            let c = rx.framer.counters;
            assert_eq!((c.crc_errors, c.align_lost, c.missing), (0, 0, 0));
            let max = *delays[..lanes].iter().max().unwrap() as u32;
            let d = rx.aligner.delays();
            for l in 0..lanes {
                assert_eq!(d[l], max - delays[l] as u32, "lanes {lanes} {delays:?}");
            }
        }
    }
}

#[test]
fn flipped_bits_are_counted_and_never_delivered() {
    let cfg = LinkConfig::new(3);
    let s = slots(&cfg, 8, 1.0, 21);
    let mut stream = lane_stream(&cfg, &s).bits;
    // One flip in each of three data frames (slots 40, 41, 50), one in an ALIGN word.
    let mut hit = Vec::new();
    for (slot, byte, lane) in [(40u64, 0usize, 0usize), (41, 70, 1), (50, 131, 2)] {
        let bit = 8 * cfg.slot_first_column(slot) as usize + 8 * (byte / 3) + 3;
        stream[bit] ^= 1 << lane;
        hit.push(slot);
    }
    stream[6 * cfg.superframe_bits() as usize + 4] ^= 1;
    let (rx, got) = receive(&cfg, &stream);
    let c = rx.framer.counters;
    assert_eq!(c.crc_errors, 3);
    assert_eq!(c.align_lost, 0);
    assert_eq!(c.missing, 3);
    let sent = data(&s);
    assert_eq!(got.len(), sent.len() - 3);
    for g in &got {
        assert_eq!(g.frame.payload, sent[g.frame.seq as usize].payload);
    }
}

#[test]
fn a_slipped_bit_drops_lock_and_the_receiver_relocks() {
    let cfg = LinkConfig::new(4);
    let s = slots(&cfg, 14, 1.0, 31);
    let stream = lane_stream(&cfg, &s).bits;
    // Lane 2 loses one bit in the middle of superframe 6.
    let at = 6 * cfg.superframe_bits() as usize + 1000;
    let input: Vec<u8> = (0..stream.len())
        .map(|n| {
            let mut v = stream[n] & !4;
            let src = if n >= at { n + 1 } else { n };
            if src < stream.len() {
                v |= stream[src] & 4;
            }
            v
        })
        .collect();
    let (rx, got) = receive(&cfg, &input);
    let c = rx.framer.counters;
    assert_eq!(c.align_lost, 1);
    assert!(c.crc_errors >= 1);
    assert_eq!(rx.aligner.state(), AlignState::Locked, "relocked");
    let sent = data(&s);
    assert!(sent.len() < 256);
    for g in &got {
        assert_eq!(g.frame.payload, sent[g.frame.seq as usize].payload);
    }
    let last = got.last().unwrap().frame.seq as usize;
    assert_eq!(last, sent.len() - 1, "frames flow again after the relock");
    assert_eq!(c.frames + c.missing, sent.len() as u32);
}

#[test]
fn a_stuck_lane_drops_lock_for_good() {
    let cfg = LinkConfig::new(2);
    let s = slots(&cfg, 10, 1.0, 41);
    let mut stream = lane_stream(&cfg, &s).bits;
    let at = 6 * cfg.superframe_bits() as usize + 77;
    for b in &mut stream[at..] {
        *b &= !2;
    }
    let (rx, got) = receive(&cfg, &stream);
    let c = rx.framer.counters;
    assert_eq!(c.align_lost, 1);
    assert!(c.crc_errors >= 1);
    assert_ne!(rx.aligner.state(), AlignState::Locked);
    let sent = data(&s);
    for g in &got {
        assert_eq!(g.frame.payload, sent[g.frame.seq as usize].payload);
    }
}

#[test]
fn receiver_started_mid_stream_locks_on_the_next_align_words() {
    let cfg = LinkConfig::new(1);
    let s = slots(&cfg, 9, 1.0, 51);
    let stream = lane_stream(&cfg, &s).bits;
    let start = 5 * cfg.superframe_bits() as usize + 12_345 % cfg.superframe_bits() as usize;
    let (rx, got) = receive(&cfg, &stream[start..]);
    assert_eq!(rx.aligner.state(), AlignState::Locked);
    // Locked after two ALIGN words: superframes 7 and 8 deliver.
    assert_eq!(got.len(), 2 * cfg.frames_per_superframe);
    assert_eq!(rx.framer.counters.crc_errors, 0);
}

#[test]
fn counters_wrap_at_counter_bits() {
    // One lane: a frame is 132 columns of one byte. Frames 0, 255, 510 (mod 256), ...:
    // each delivered frame after the first adds a gap of 254 to `missing`, which passes
    // 2^16 after 259 frames; `align_lost` events wrap the same way.
    for bits in [16, 17, 32] {
        let mut cfg = LinkConfig::new(1);
        cfg.counter_bits = bits;
        cfg.validate().unwrap();
        let mask = cfg.counter_mask();
        assert_eq!(mask as u64, (1u64 << bits) - 1);
        let mut fr = super::rx::Framer::new(&cfg);
        let f = Frame {
            tag: 3,
            payload: [0x5A; PAYLOAD_BYTES],
        };
        let (mut seq, mut frames, mut missing) = (0u8, 0u64, 0u64);
        for k in 0..300u64 {
            for (i, &b) in encode(Some(&f), seq).iter().enumerate() {
                let mut bytes = [0u8; MAX_LANES];
                bytes[0] = b;
                fr.push(&super::rx::Entry::Column { bytes, sof: i == 0 });
            }
            frames += 1;
            if k > 0 {
                missing += 254;
            }
            seq = seq.wrapping_add(255);
        }
        let c = fr.counters;
        assert_eq!(c.frames as u64, frames & mask as u64, "{bits} bits");
        assert_eq!(c.missing as u64, missing & mask as u64, "{bits} bits");
        assert!(missing > 1 << 16, "the test must pass 2^16");
        for _ in 0..(1u64 << 16) + 5 {
            fr.push(&super::rx::Entry::AlignLost);
        }
        assert_eq!(
            fr.counters.align_lost as u64,
            ((1u64 << 16) + 5) & mask as u64
        );
    }
    let mut bad = LinkConfig::new(1);
    for b in [15, 33] {
        bad.counter_bits = b;
        let e = bad.validate().unwrap_err().to_string();
        assert!(
            e.contains("counter_bits") && e.contains(&b.to_string()),
            "{e}"
        );
    }
}
