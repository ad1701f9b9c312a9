//! Smoke test of `send` / `recv` between two cards (`minilpu_hdl::Ring` of 2 `Card`s,
//! sim-small) in Verilator: two clock domains (card 1's oscillator 300 ppm slow), the
//! lanes wired straight across (sampled at the next forwarded edge), each card driven
//! through its host bus. Checks data, status, pc and cycle counts against the timing
//! table of `docs/isa.md`, the LINK stop of a `recv` with nothing to receive, the link
//! fault of an overflowing queue and `LINK_FLUSH`.
//!
//! Run with `cargo test --release -p minilpu-testbench --test card_smoke -- --nocapture`
//! for the figures (build time, simulation speed).

use minilpu_model::isa::{Instr, Status};
use minilpu_model::link::TX_START_CYCLES;
use minilpu_model::TileConfig;
use minilpu_testbench::link_sim::SplitMix64;
use minilpu_testbench::tile_sim::reg;
use minilpu_testbench::verilated::{BuildOptions, PortId, VerilatedModel};
use std::time::Instant;

/// Link registers of the host port (`hdl/src/host_port.rs`).
const LINK_STATUS: u16 = 0x008;
const TX_FRAMES: u16 = 0x009;
const RX_FRAMES: u16 = 0x00A;
const CRC_ERRORS: u16 = 0x00B;
const CMD_LINK_FLUSH: u32 = 3;

/// Time units per card-0 clock period.
const PERIOD: u64 = 1_000_000;

struct CardPorts {
    clk: PortId,
    we: PortId,
    re: PortId,
    addr: PortId,
    wdata: PortId,
    rdata: PortId,
    busy: PortId,
    link_up: PortId,
    tx_lanes: PortId,
    rx_lanes: PortId,
}

/// A verilated ring of cards with per-card clocks, stepped edge by edge in time order.
struct RingSim {
    m: VerilatedModel,
    cards: Vec<CardPorts>,
    period: Vec<u64>,
    next: Vec<u64>,
    edges: Vec<u64>,
    /// Clocks from a host load's `CMD = 2` to the word in the staging buffer.
    load_cycles: u64,
}

impl RingSim {
    fn build(cfg: &TileConfig, n: usize, ppm: &[f64]) -> Self {
        let t0 = Instant::now();
        let verilog = minilpu_hdl::ring_verilog(cfg, n).unwrap();
        let opts = BuildOptions {
            extra_args: vec!["-Wno-WIDTH".into(), "-Wno-UNOPTFLAT".into()],
            ..Default::default()
        };
        let m = VerilatedModel::build(&verilog, minilpu_hdl::TOP_MODULE, &opts).unwrap();
        println!(
            "ring of {n} ({}): verilated and loaded in {:.1} s",
            cfg.name,
            t0.elapsed().as_secs_f64()
        );
        let port = |name: &str, i: usize| m.port(&format!("{name}${i}")).unwrap();
        let cards = (0..n)
            .map(|i| CardPorts {
                clk: port("clk", i),
                we: port("bus_we", i),
                re: port("bus_re", i),
                addr: port("bus_addr", i),
                wdata: port("bus_wdata", i),
                rdata: port("bus_rdata", i),
                busy: port("busy", i),
                link_up: port("link_up", i),
                tx_lanes: port("tx_lanes", i),
                rx_lanes: port("rx_lanes", i),
            })
            .collect();
        let period: Vec<u64> = ppm
            .iter()
            .map(|p| (PERIOD as f64 * (1.0 + p * 1e-6)).round() as u64)
            .collect();
        let next = (0..n).map(|i| period[i] + 137_000 * i as u64).collect();
        RingSim {
            m,
            cards,
            period,
            next,
            edges: vec![0; n],
            load_cycles: cfg.host_load_cycles(),
        }
    }

    /// The next clock edge of any card, in time order; returns the card.
    fn edge(&mut self) -> usize {
        let n = self.cards.len();
        let i = (0..n).min_by_key(|&i| self.next[i]).unwrap();
        let c = &self.cards[i];
        self.m.set_u64(c.clk, 1);
        self.m.eval();
        // The wire east: card i's lanes, sampled at card i's next (forwarded) edge.
        let lanes = self.m.get_u64(c.tx_lanes);
        self.m.set_u64(self.cards[(i + 1) % n].rx_lanes, lanes);
        self.m.set_u64(self.cards[i].clk, 0);
        self.m.eval();
        self.next[i] += self.period[i];
        self.edges[i] += 1;
        i
    }

    /// Run until card `i` has had one more clock edge.
    fn tick(&mut self, i: usize) {
        while self.edge() != i {}
    }

    fn bus_write(&mut self, i: usize, addr: u16, value: u32) {
        let c = &self.cards[i];
        let (we, a, d) = (c.we, c.addr, c.wdata);
        self.m.set_u64(we, 1);
        self.m.set_u64(a, addr as u64);
        self.m.set_u64(d, value as u64);
        self.tick(i);
        self.m.set_u64(we, 0);
    }

    fn bus_read(&mut self, i: usize, addr: u16) -> u32 {
        let c = &self.cards[i];
        let (re, a, d) = (c.re, c.addr, c.rdata);
        self.m.set_u64(re, 1);
        self.m.set_u64(a, addr as u64);
        self.tick(i);
        self.m.set_u64(re, 0);
        self.m.eval();
        self.m.get_u64(d) as u32
    }

    fn store(&mut self, i: usize, space: u32, bank: u8, word: usize, bytes: &[u8]) {
        self.bus_write(i, reg::SEL, space << 30 | (bank as u32) << 24 | word as u32);
        for (k, chunk) in bytes.chunks(4).enumerate() {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            self.bus_write(i, reg::BUF + k as u16, u32::from_le_bytes(w));
        }
        self.bus_write(i, reg::CMD, 1);
    }

    fn load(&mut self, i: usize, bank: u8, word: usize, n: usize) -> Vec<u8> {
        self.bus_write(i, reg::SEL, (bank as u32) << 24 | word as u32);
        self.bus_write(i, reg::CMD, 2);
        for _ in 0..self.load_cycles {
            self.tick(i);
        }
        let mut out = Vec::new();
        for k in 0..n.div_ceil(4) {
            out.extend(self.bus_read(i, reg::BUF + k as u16).to_le_bytes());
        }
        out.truncate(n);
        out
    }

    fn load_program(&mut self, i: usize, prog: &[Instr]) {
        for (pc, ins) in prog.iter().enumerate() {
            self.store(i, 1, 0, pc, &ins.encode().to_le_bytes());
        }
    }

    fn busy(&self, i: usize) -> bool {
        self.m.get_u64(self.cards[i].busy) != 0
    }

    /// Run until every receiver is locked and every transmitter is past its training
    /// superframes (whose slots never carry data).
    fn wait_link_up(&mut self, cfg: &TileConfig) {
        let link = cfg.link_config();
        let trained = TX_START_CYCLES + link.training_superframes as u64 * link.superframe_bits();
        let n = self.cards.len();
        let mut k = 0u64;
        let t0 = Instant::now();
        while (0..n).any(|i| self.m.get_u64(self.cards[i].link_up) == 0 || self.edges[i] < trained)
        {
            self.edge();
            k += 1;
            assert!(k < 200_000, "link did not come up");
        }
        let wall = t0.elapsed().as_secs_f64();
        println!(
            "link up and trained after {:?} card cycles ({:.0} card cycles/s)",
            self.edges,
            self.edges.iter().sum::<u64>() as f64 / wall
        );
    }

    /// Run edges until `pred` holds (at most `max` edges).
    fn run_until(&mut self, max: u64, mut pred: impl FnMut(&mut Self) -> bool) {
        let mut k = 0u64;
        while !pred(self) {
            self.edge();
            k += 1;
            assert!(k < max, "timed out");
        }
    }

    /// (status, pc, cycles) of card `i`.
    fn status(&mut self, i: usize) -> (Status, u16, u32) {
        let s = self.bus_read(i, reg::STATUS);
        let cycles = self.bus_read(i, reg::CYCLES);
        (
            Status::from_code(((s >> 2) & 7) as u8).unwrap(),
            (s >> 16) as u16,
            cycles,
        )
    }

    /// (locked, fault, avail, eseq) from LINK_STATUS.
    fn link_status(&mut self, i: usize) -> (bool, bool, u32, u32) {
        let s = self.bus_read(i, LINK_STATUS);
        (s & 1 != 0, s & 2 != 0, (s >> 2) & 7, (s >> 8) & 0xFF)
    }
}

fn asm(cfg: &TileConfig, src: &str) -> Vec<Instr> {
    minilpu_model::asm::assemble(src, "card_smoke.s", Some(cfg))
        .unwrap_or_else(|e| panic!("{e}"))
        .instrs
}

fn random_words(cfg: &TileConfig, words: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = SplitMix64::new(seed);
    (0..words)
        .map(|_| (0..cfg.lanes).map(|_| rng.next_u64() as u8).collect())
        .collect()
}

/// Two cards, link up, card 0's bank 0 words 0..len written with random bytes.
fn setup(len: usize, seed: u64) -> (TileConfig, RingSim, Vec<Vec<u8>>) {
    setup_cfg(TileConfig::preset("sim-small").unwrap(), len, seed)
}

/// [`setup`] for `cfg`.
fn setup_cfg(cfg: TileConfig, len: usize, seed: u64) -> (TileConfig, RingSim, Vec<Vec<u8>>) {
    let mut r = RingSim::build(&cfg, 2, &[0.0, 300.0]);
    r.wait_link_up(&cfg);
    let data = random_words(&cfg, len, seed);
    for (w, bytes) in data.iter().enumerate() {
        r.store(0, 0, 0, w, bytes);
    }
    (cfg, r, data)
}

/// Start both cards (card 1 one bus write after card 0) and run until both are idle.
fn run_both(r: &mut RingSim) {
    r.bus_write(0, reg::CTRL, 1);
    r.bus_write(1, reg::CTRL, 1);
    r.run_until(100_000, |r| !r.busy(0) && !r.busy(1));
}

#[test]
fn send_and_recv_move_a_vector_between_two_cards() {
    let (cfg, mut r, data) = setup(40, 1);
    let p = cfg.link_frame_words() as u32;
    let t = cfg.link_frame_cycles() as u32;
    r.load_program(0, &asm(&cfg, "vlen 40\nsend b0:0\nhalt\n"));
    r.load_program(1, &asm(&cfg, "vlen 40\nwait 1500\nrecv b1:0\nhalt\n"));
    let t0 = Instant::now();
    let e0 = r.edges.clone();
    run_both(&mut r);
    let wall = t0.elapsed().as_secs_f64();
    let cycles = (r.edges[0] - e0[0]) + (r.edges[1] - e0[1]);
    println!(
        "run: {cycles} card cycles in {wall:.3} s ({:.0} card cycles/s)",
        cycles as f64 / wall
    );
    // send at 1, 2 frames (P = 32): last post at 1 + T + P + 2.
    let (s0, pc0, c0) = r.status(0);
    assert_eq!((s0, pc0), (Status::Ok, 2));
    assert_eq!(c0, 1 + (1 + t + p + 2), "card 0 cycles");
    // recv at 1 + 1 + 1500 = 1502; last write at 1502 + T + P_1 + 2, P_1 = 40 - 32.
    let (s1, pc1, c1) = r.status(1);
    assert_eq!((s1, pc1), (Status::Ok, 3));
    assert_eq!(c1, 1 + (1502 + t + (40 - p) + 2), "card 1 cycles");
    println!("card 0: {c0} cycles, card 1: {c1} cycles");
    for (w, want) in data.iter().enumerate() {
        assert_eq!(&r.load(1, 1, w, cfg.lanes), want, "card 1 bank 1 word {w}");
    }
    // The word after the vector is untouched.
    assert_eq!(r.load(1, 1, 40, cfg.lanes), vec![0; cfg.lanes]);
    assert_eq!(r.link_status(1), (true, false, 0, 2));
    assert_eq!(r.bus_read(0, TX_FRAMES), 2);
    assert_eq!(r.bus_read(1, RX_FRAMES), 2);
    assert_eq!(r.bus_read(1, CRC_ERRORS), 0);
}

/// Frames of a single word (`vlen = P + 1`, then `vlen 1`): the receiver takes each
/// frame off its queue in the frame's first read cycle, so the second `recv` gets the
/// second vector, not a stale frame, and the queue ends empty.
#[test]
fn one_word_frames_leave_the_queue() {
    let (cfg, mut r, data) = setup(40, 3);
    let p = cfg.link_frame_words();
    let t = cfg.link_frame_cycles();
    let n = p + 1;
    r.load_program(
        0,
        &asm(
            &cfg,
            &format!(
                "vlen {n}\nsend b0:0\nwait {}\nvlen 1\nsend b0:{n}\nhalt\n",
                2 * t
            ),
        ),
    );
    r.load_program(
        1,
        &asm(
            &cfg,
            &format!(
                "wait 1500\nvlen {n}\nrecv b1:0\nwait {}\nvlen 1\nrecv b1:{n}\nhalt\n",
                2 * t
            ),
        ),
    );
    run_both(&mut r);
    assert_eq!(r.status(0).0, Status::Ok);
    assert_eq!(r.status(1).0, Status::Ok);
    for (w, want) in data.iter().enumerate().take(n + 1) {
        assert_eq!(&r.load(1, 1, w, cfg.lanes), want, "card 1 bank 1 word {w}");
    }
    assert_eq!(r.link_status(1), (true, false, 0, 3));
}

#[test]
fn recv_without_data_stops_with_link() {
    let (cfg, mut r, _) = setup(0, 2);
    r.load_program(1, &asm(&cfg, "vlen 40\nrecv b1:0\nhalt\n"));
    r.bus_write(1, reg::CTRL, 1);
    r.run_until(10_000, |r| !r.busy(1));
    // recv issues at 1 and finds no frame at 2: nothing issues in cycle 2.
    assert_eq!(r.status(1), (Status::Link, 1, 3));
    assert_eq!(r.load(1, 1, 0, cfg.lanes), vec![0; cfg.lanes]);
    // A second frame missing after halt: the first frame is there, the second is not.
    r.load_program(0, &asm(&cfg, "vlen 32\nsend b0:0\nhalt\n"));
    r.load_program(1, &asm(&cfg, "vlen 40\nwait 1000\nrecv b1:0\nhalt\n"));
    run_both(&mut r);
    let t = cfg.link_frame_cycles() as u32;
    // recv at 1002, frame 1 due at 1002 + T + 1 (after halt at 1003).
    assert_eq!(r.status(1), (Status::Link, 2, 1002 + t + 2));
    assert_eq!(r.status(0).0, Status::Ok);
}

#[test]
fn overflow_sets_the_link_fault_and_link_flush_clears_it() {
    let (cfg, mut r, data) = setup(128, 3);
    // Four frames to an idle card: the fourth arrives while three wait.
    r.load_program(0, &asm(&cfg, "vlen 128\nsend b0:0\nhalt\n"));
    r.bus_write(0, reg::CTRL, 1);
    r.run_until(20_000, |r| {
        r.m.get_u64(r.cards[1].link_up) != 0 && !r.busy(0)
    });
    r.run_until(5_000, |r| r.link_status(1).2 == 4);
    assert_eq!(r.link_status(1), (true, true, 4, 4));
    // The fault stops nothing by itself: a program that only computes runs; the next
    // recv fails its first frame check (recv at 1, check at 2) with LINK.
    r.load_program(1, &asm(&cfg, "vlen 4\nv.copy b1:0, b0:0\nhalt\n"));
    r.bus_write(1, reg::CTRL, 1);
    r.run_until(1_000, |r| !r.busy(1));
    assert_eq!(r.status(1).0, Status::Ok);
    r.load_program(1, &asm(&cfg, "vlen 40\nrecv b1:0\nhalt\n"));
    r.bus_write(1, reg::CTRL, 1);
    r.run_until(1_000, |r| !r.busy(1));
    assert_eq!(r.status(1), (Status::Link, 1, 3));
    // LINK_FLUSH: empty queue, no fault, the sequence number keeps counting.
    r.bus_write(1, reg::CMD, CMD_LINK_FLUSH);
    r.tick(1);
    assert_eq!(r.link_status(1), (true, false, 0, 4));
    // And the link works again.
    r.load_program(0, &asm(&cfg, "vlen 40\nsend b0:0\nhalt\n"));
    r.load_program(1, &asm(&cfg, "vlen 40\nwait 1500\nrecv b1:0\nhalt\n"));
    run_both(&mut r);
    assert_eq!(r.status(1).0, Status::Ok);
    for (w, want) in data.iter().take(40).enumerate() {
        assert_eq!(&r.load(1, 1, w, cfg.lanes), want, "card 1 bank 1 word {w}");
    }
    assert_eq!(r.link_status(1), (true, false, 0, 6));
}

/// The bank port cycles of `send` (read `t+1+i`) and `recv` (write `t+3+i`), pinned by
/// a `v.copy` that writes (reads) the same words a cycle earlier, in the same cycle or a
/// cycle later (`v.copy` writes word `i` at `t+5+i`).
/// Such programs fail the checker (a same-cycle read and write of a word is a hazard),
/// and the hardware does not define what the colliding read returns; the simulated
/// banks mark it by returning the old word inverted (`SramBank::collision_free`), which
/// is what pins "the same cycle" here.
#[test]
fn send_reads_and_recv_writes_in_the_documented_cycles() {
    let (cfg, mut r, old) = setup(40, 4);
    let new = random_words(&cfg, 40, 5);
    let inverted: Vec<Vec<u8>> = old.iter().map(|w| w.iter().map(|b| !b).collect()).collect();
    // (gap, what card 0 sends, what card 1's v.copy reads of words 0..32: the zeros stored
    // before, the same inverted, or the received words)
    let zeros = vec![0u8; cfg.lanes];
    let ones = vec![0xffu8; cfg.lanes];
    let cases = [
        ("", &old, Some(&zeros)),
        ("nop\n", &old, Some(&ones)),
        ("nop\nnop\n", &inverted, None),
        ("nop\nnop\nnop\n", &new, None),
    ];
    for (gap, sent, copied) in cases {
        for (w, bytes) in old.iter().enumerate() {
            r.store(0, 0, 0, w, bytes);
        }
        for (w, bytes) in new.iter().enumerate() {
            r.store(0, 0, 1, w, bytes);
        }
        for w in 0..40 {
            r.store(1, 0, 1, w, &vec![0; cfg.lanes]);
        }
        // v.copy at 1 writes word k at 6 + k; send at 3 (4, 5, 6 with the nops) reads it
        // at 4 + k (5 + k, 6 + k, 7 + k).
        let p0 = format!("vlen 40\nv.copy b0:0, b1:0\nnop\n{gap}send b0:0\nhalt\n");
        // recv at 1502 writes word k < 32 at 1505 + k; v.copy at 1503 (1504, 1505, 1506)
        // reads it at 1504 + k (1505 + k, 1506 + k, 1507 + k); words 32.. come a frame
        // later.
        let p1 = format!("vlen 40\nwait 1500\nrecv b1:0\n{gap}v.copy b2:0, b1:0\nhalt\n");
        r.load_program(0, &asm(&cfg, &p0));
        r.load_program(1, &asm(&cfg, &p1));
        run_both(&mut r);
        assert_eq!(r.status(0).0, Status::Ok);
        assert_eq!(r.status(1).0, Status::Ok);
        for w in 0..40 {
            // Frame 1 (words 32..) is read long after the v.copy.
            let received = if w < 32 { &sent[w] } else { &new[w] };
            assert_eq!(
                &r.load(1, 1, w, cfg.lanes),
                received,
                "gap {gap:?}: received word {w}"
            );
            // With one nop, card 1's v.copy reads words 0..32 in the cycle the recv
            // writes them: the zeros stored before, inverted.
            let want = match copied {
                Some(x) if w < 32 => x.clone(),
                None if w < 32 => received.clone(),
                _ => zeros.clone(),
            };
            assert_eq!(
                r.load(1, 2, w, cfg.lanes),
                want,
                "gap {gap:?}: copied word {w}"
            );
        }
    }
}

/// 16-lane tiles (`P` = 8 words per frame, so 40 words are 5 frames) on a 2-lane link
/// (`T` = 530): the recv waits out the link budget (`minilpu_model::link::budget`).
#[test]
fn sixteen_lane_cards_on_a_two_lane_link() {
    let mut cfg = TileConfig::preset("sim-small").unwrap();
    cfg.name = "sim-small-16".into();
    cfg.lanes = 16;
    cfg.rows = 16;
    cfg.bank_width = 128;
    cfg.array_dsp_mults = 64;
    cfg.link_lanes = 2;
    cfg.validate().unwrap();
    let (p, t) = (
        cfg.link_frame_words() as u32,
        cfg.link_frame_cycles() as u32,
    );
    assert_eq!((p, t), (8, 530));
    let budget =
        minilpu_model::link::budget::budget(&cfg.link_config(), p as u64, &Default::default())
            as u32;
    let (cfg, mut r, data) = setup_cfg(cfg, 40, 6);
    // vlen at 0, wait at 1 (1 + w cycles), recv at 2 + w: its first check, 3 + w, must
    // be at least 1 + budget (send issued at 1).
    let w = budget - 2;
    r.load_program(0, &asm(&cfg, "vlen 40\nsend b0:0\nhalt\n"));
    r.load_program(
        1,
        &asm(&cfg, &format!("vlen 40\nwait {w}\nrecv b2:0\nhalt\n")),
    );
    run_both(&mut r);
    let (tr, n) = (2 + w, 5);
    assert_eq!(r.status(0), (Status::Ok, 2, 1 + (1 + (n - 1) * t + p + 2)));
    assert_eq!(r.status(1), (Status::Ok, 3, 1 + (tr + (n - 1) * t + p + 2)));
    for (i, want) in data.iter().enumerate() {
        assert_eq!(&r.load(1, 2, i, cfg.lanes), want, "card 1 bank 2 word {i}");
    }
    assert_eq!(r.link_status(1), (true, false, 0, 5));
    println!("budget {budget}: card 1 recv at {tr}");
}
