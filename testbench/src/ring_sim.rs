//! `RingSim`: `n` cards (`minilpu_hdl::Ring`: tile + link transmitter + receiver each)
//! in **one** Verilator model, every card on its own clock, the wires between them in
//! the testbench (with the faults of [`crate::link_sim::Faults`]), and a host per card
//! driving its bus (`docs/ring.md`).
//!
//! **Clocks.** Card `i`'s period is `TX_PERIOD * (1 + ppm_i / 1e6)` time units with its
//! own phase; the loop takes the next rising edge in time order. Before card `i`'s edge
//! the wire from card `i` to card `i + 1` is stepped (the east card's front end samples,
//! on card `i`'s forwarded clock, what card `i` put on its lanes after its previous
//! edge, delayed and damaged by the wire) and card `i`'s bus inputs are set; after the
//! edge its outputs are read and the clock is lowered again.
//!
//! **Checks and measurements** per link (card `i` -> card `i + 1`): every data frame the
//! transmitter decides (time of its first bit on the lanes, sequence number), every
//! frame the receiver delivers (time, sequence number); two golden receivers
//! (`minilpu_model::link::rx::Receiver`) stepped with the lane bits before the wire
//! (the truth: what was sent) and after it (what the RTL receiver sees). The RTL must
//! deliver exactly the frames its golden twin delivers; a twin delivery whose payload
//! differs from the frame sent with that sequence number is an **undetected error**.

use crate::link_sim::{Faults, Wire, TX_PERIOD};
use crate::tile_sim::{reg, SimError};
use crate::verilated::{BuildOptions, PortId, VerilatedModel};
use minilpu_model::isa::{Status, VAddr};
use minilpu_model::link::rx::Receiver;
use minilpu_model::link::{LinkConfig, PAYLOAD_BYTES};
use minilpu_model::TileConfig;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Link registers of the host port (`hdl/src/host_port.rs`).
pub mod link_reg {
    /// bit 0 locked, bit 1 fault, bits 4..2 queued frames, bits 15..8 next sequence.
    pub const STATUS: u16 = 0x008;
    /// First of the six counters: TX frames, RX frames, CRC errors, lost alignments,
    /// overflows, missing frames.
    pub const COUNTERS: u16 = 0x009;
}

const SIM_ARGS: [&str; 2] = ["-Wno-WIDTH", "-Wno-UNOPTFLAT"];

/// What one card is given.
#[derive(Clone, Debug, Default)]
pub struct CardLoad {
    /// Instruction words from pc 0.
    pub program: Vec<u64>,
    /// Bank words written before the start.
    pub image: Vec<(VAddr, Vec<i8>)>,
    /// Bank regions read back after the run: (first word, words).
    pub dumps: Vec<(VAddr, usize)>,
}

/// How the ring is run.
#[derive(Clone, Debug)]
pub struct RingOptions {
    /// Clock offset of each card (ppm; positive = slower).
    pub ppm: Vec<f64>,
    /// Faults of each link's wire (link `i`: card `i` -> card `i + 1`).
    pub faults: Vec<Faults>,
    /// Give up after this many cycles of the slowest card once started.
    pub max_cycles: u64,
    /// Print progress to stderr every this many card-cycles (0: never).
    pub progress_every: u64,
}

impl RingOptions {
    /// `n` cards on nominal clocks, clean wires.
    pub fn new(n: usize) -> Self {
        RingOptions {
            ppm: vec![0.0; n],
            faults: vec![Faults::default(); n],
            max_cycles: 50_000_000,
            progress_every: 0,
        }
    }

    /// Alternate `+x` and `-x` ppm around the ring (`x = 0` for all nominal).
    pub fn with_ppm(mut self, x: f64) -> Self {
        for (i, p) in self.ppm.iter_mut().enumerate() {
            *p = if i % 2 == 0 { x } else { -x };
        }
        self
    }
}

/// What the host reads back from one card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardResult {
    /// Status of the run.
    pub status: Status,
    /// pc of the halt or of the error.
    pub pc: usize,
    /// The tile's cycle counter.
    pub cycles: u64,
    /// LINK_STATUS register.
    pub link_status: u32,
    /// TX frames, RX frames, CRC errors, lost alignments, overflows, missing frames.
    pub counters: [u32; 6],
    /// The dumped regions, word by word.
    pub dumps: Vec<Vec<Vec<i8>>>,
}

/// What one link did.
#[derive(Clone, Debug, Default)]
pub struct LinkStats {
    /// Data frames the transmitter put on the wire.
    pub frames_sent: u64,
    /// Frames the RTL receiver delivered.
    pub frames_delivered: u64,
    /// Frames its golden twin dropped for a bad CRC (data or idle).
    pub crc_errors: u64,
    /// Delivered frames whose payload differs from the frame sent.
    pub undetected_errors: u64,
    /// Bits the wire flipped.
    pub bit_flips: u64,
    /// Hop latency of every delivered frame, receiver cycles (first bit on the lanes
    /// to the receiver edge after which `valid` is high).
    pub hop_latency: Vec<f64>,
    /// Payload bits over wire bits from the first data frame's first bit to the last
    /// data frame's last bit (everything on the wire in between counted).
    pub payload_efficiency: f64,
}

/// The outcome of [`RingSim::run`].
#[derive(Clone, Debug)]
pub struct RingRun {
    /// Per card.
    pub cards: Vec<CardResult>,
    /// Per link (card `i` -> card `i + 1`).
    pub links: Vec<LinkStats>,
    /// Clock edges simulated, summed over the cards.
    pub card_cycles: u64,
    /// Wall time of the simulation loop.
    pub wall: Duration,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Write(u16, u32),
    Read(u16),
    Idle,
}

struct Ports {
    clk: Vec<PortId>,
    we: Vec<PortId>,
    re: Vec<PortId>,
    addr: Vec<PortId>,
    wdata: Vec<PortId>,
    rdata: Vec<PortId>,
    busy: Vec<PortId>,
    link_up: Vec<PortId>,
    tx_stat: Vec<PortId>,
    rx_stat: Vec<PortId>,
    tx_lanes: Vec<PortId>,
    rx_lanes: Vec<PortId>,
}

/// Per-link bookkeeping while running.
struct LinkTrack {
    wire: Wire,
    truth: Receiver,
    seen: Receiver,
    last_tx: u8,
    /// (first-bit time, seq) of data frames sent, not yet matched.
    pending: VecDeque<(u64, u8)>,
    first_start: Option<u64>,
    last_start: u64,
    sent: u64,
    rtl_seqs: Vec<u8>,
    truth_frames: Vec<(u8, [u8; PAYLOAD_BYTES])>,
    seen_frames: Vec<(u8, [u8; PAYLOAD_BYTES])>,
    hop: Vec<f64>,
}

/// The ring in Verilator.
pub struct RingSim {
    model: VerilatedModel,
    cfg: TileConfig,
    link: LinkConfig,
    n: usize,
    p: Ports,
}

impl RingSim {
    /// Emit, verilate (cached) and load a ring of `n` cards of `cfg`.
    pub fn build(cfg: &TileConfig, n: usize) -> Result<Self, SimError> {
        let verilog = minilpu_hdl::ring::ring_verilog(cfg, n)?;
        let opts = BuildOptions {
            extra_args: SIM_ARGS.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let model = VerilatedModel::build(&verilog, minilpu_hdl::TOP_MODULE, &opts)?;
        let v = |name: &str| -> Result<Vec<PortId>, SimError> {
            (0..n)
                .map(|i| Ok(model.port(&format!("{name}${i}"))?))
                .collect()
        };
        let p = Ports {
            clk: v("clk")?,
            we: v("bus_we")?,
            re: v("bus_re")?,
            addr: v("bus_addr")?,
            wdata: v("bus_wdata")?,
            rdata: v("bus_rdata")?,
            busy: v("busy")?,
            link_up: v("link_up")?,
            tx_stat: v("tx_stat")?,
            rx_stat: v("rx_stat")?,
            tx_lanes: v("tx_lanes")?,
            rx_lanes: v("rx_lanes")?,
        };
        Ok(RingSim {
            model,
            cfg: cfg.clone(),
            link: cfg.link_config(),
            n,
            p,
        })
    }

    /// Load every card, wait for every link to come up and the transmitters to finish
    /// training, start all cards within one cycle of each other, run until all are
    /// idle, stop the bit errors, let three superframes pass (frames in flight land),
    /// read everything back. Consumes the simulation (the links keep state).
    pub fn run(mut self, loads: &[CardLoad], opts: &RingOptions) -> Result<RingRun, SimError> {
        let n = self.n;
        assert_eq!(loads.len(), n, "one load per card");
        let period: Vec<u64> = opts
            .ppm
            .iter()
            .map(|p| (TX_PERIOD as f64 * (1.0 + p * 1e-6)).round() as u64)
            .collect();
        let phase: Vec<u64> = (0..n as u64)
            .map(|i| (i * 389_000 + 50_000) % TX_PERIOD)
            .collect();
        let mut edges = vec![0u64; n];
        let mut high = vec![false; n];
        let mut queues: Vec<VecDeque<Op>> = vec![VecDeque::new(); n];
        let mut reads: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut tracks: Vec<LinkTrack> = (0..n)
            .map(|i| LinkTrack {
                wire: Wire::new(self.link.lanes, &opts.faults[i]),
                truth: Receiver::new(&self.link),
                seen: Receiver::new(&self.link),
                last_tx: 0,
                pending: VecDeque::new(),
                first_start: None,
                last_start: 0,
                sent: 0,
                rtl_seqs: Vec::new(),
                truth_frames: Vec::new(),
                seen_frames: Vec::new(),
                hop: Vec::new(),
            })
            .collect();
        for (i, l) in loads.iter().enumerate() {
            for (pc, w) in l.program.iter().enumerate() {
                store(&mut queues[i], 1, 0, pc, &w.to_le_bytes());
            }
            for (at, w) in &l.image {
                let b: Vec<u8> = w.iter().map(|&x| x as u8).collect();
                store(&mut queues[i], 0, at.bank, at.word as usize, &b);
            }
        }
        let wall = Instant::now();
        let mut total = 0u64;
        let mut next_progress = opts.progress_every;
        let training = (self.link.training_superframes as u64 + 1) * self.link.superframe_bits();
        let mut phase_no = 0; // 0 load, 1 start, 2 run, 3 settle, 4 read back
        let mut settle_until = 0;
        let mut started_at = 0u64;
        // Per card: has been busy since the start, and its `busy` after its last edge
        // (read once per edge, where the card's outputs are read anyway).
        let mut saw_busy = vec![false; n];
        let mut busy_now = vec![false; n];
        loop {
            // Phase transitions.
            let idle_queues = queues.iter().all(|q| q.is_empty());
            match phase_no {
                0 if idle_queues
                    && edges.iter().all(|&e| e > training)
                    && (0..n).all(|i| self.model.get_u64(self.p.link_up[i]) == 1) =>
                {
                    for q in queues.iter_mut() {
                        q.push_back(Op::Write(reg::CTRL, 1));
                    }
                    phase_no = 1;
                }
                0 if edges[0] > training + 40 * self.link.superframe_bits() && idle_queues => {
                    return Err(SimError::Protocol(format!(
                        "links not up after {} cycles: link_up = {:?}",
                        edges[0],
                        (0..n)
                            .map(|i| self.model.get_u64(self.p.link_up[i]))
                            .collect::<Vec<_>>()
                    )));
                }
                1 if idle_queues => {
                    phase_no = 2;
                    started_at = edges[0];
                }
                2 if (0..n).all(|i| saw_busy[i] && !busy_now[i]) => {
                    // Quiet wires and three superframes more: frames in flight land and
                    // the receivers' counters settle, so the host reads final values.
                    for tr in tracks.iter_mut() {
                        tr.wire.quiet();
                    }
                    settle_until = edges[0] + 3 * self.link.superframe_bits();
                    phase_no = 3;
                }
                3 if edges[0] >= settle_until => {
                    for (i, q) in queues.iter_mut().enumerate() {
                        for a in [reg::STATUS, reg::CYCLES, link_reg::STATUS] {
                            q.push_back(Op::Read(a));
                        }
                        for k in 0..6 {
                            q.push_back(Op::Read(link_reg::COUNTERS + k));
                        }
                        for (at, len) in &loads[i].dumps {
                            for w in 0..*len {
                                let a = at.offset(w);
                                q.push_back(Op::Write(
                                    reg::SEL,
                                    (a.bank as u32) << 24 | a.word as u32,
                                ));
                                q.push_back(Op::Write(reg::CMD, 2));
                                for _ in 0..self.cfg.host_load_cycles() {
                                    q.push_back(Op::Idle);
                                }
                                for k in 0..self.cfg.lanes.div_ceil(4) {
                                    q.push_back(Op::Read(reg::BUF + k as u16));
                                }
                            }
                        }
                    }
                    phase_no = 4;
                }
                2 if edges[0] > started_at + opts.max_cycles => {
                    return Err(SimError::Protocol(format!(
                        "cards still busy after {} cycles",
                        opts.max_cycles
                    )));
                }
                4 if idle_queues => break,
                _ => {}
            }
            // The next rising edge.
            let i = (0..n)
                .min_by_key(|&i| ((edges[i] + 1) * period[i] + phase[i], i))
                .expect("n >= 2");
            let t = (edges[i] + 1) * period[i] + phase[i];
            let east = (i + 1) % n;
            let tr = &mut tracks[i];
            let bits = tr.wire.step(edges[i], tr.last_tx);
            self.model.set_u64(self.p.rx_lanes[east], bits as u64);
            if let Some(d) = tr.truth.step(tr.last_tx) {
                tr.truth_frames.push((d.frame.seq, d.frame.payload));
            }
            if let Some(d) = tr.seen.step(bits) {
                tr.seen_frames.push((d.frame.seq, d.frame.payload));
            }
            let op = queues[i].pop_front();
            let (we, re, addr, wdata) = match op {
                Some(Op::Write(a, d)) => (1, 0, a, d),
                Some(Op::Read(a)) => (0, 1, a, 0),
                _ => (0, 0, 0, 0),
            };
            self.model.set_u64(self.p.we[i], we);
            self.model.set_u64(self.p.re[i], re);
            self.model.set_u64(self.p.addr[i], addr as u64);
            self.model.set_u64(self.p.wdata[i], wdata as u64);
            // Clocks fall lazily: every other clock still high falls in this same eval
            // (nothing happens on a falling edge); only when this card's own clock is
            // still high from its previous edge does it need an eval of its own.
            if high[i] {
                self.model.set_u64(self.p.clk[i], 0);
                self.model.eval();
                high[i] = false;
            }
            for (h, &clk) in high.iter_mut().zip(&self.p.clk) {
                if *h {
                    self.model.set_u64(clk, 0);
                    *h = false;
                }
            }
            self.model.set_u64(self.p.clk[i], 1);
            self.model.eval();
            high[i] = true;
            edges[i] += 1;
            total += 1;
            if re == 1 {
                // The answer is registered by this edge.
                reads[i].push(self.model.get_u64(self.p.rdata[i]) as u32);
            }
            busy_now[i] = self.model.get_u64(self.p.busy[i]) == 1;
            if phase_no >= 2 && busy_now[i] {
                saw_busy[i] = true;
            }
            tracks[i].last_tx = self.model.get_u64(self.p.tx_lanes[i]) as u8;
            let ts = self.model.get_u64(self.p.tx_stat[i]);
            if ts & 3 == 3 {
                // A data frame decided in this cycle: its first bit leaves 8 cycles on.
                let tr = &mut tracks[i];
                let start = t + 8 * period[i];
                tr.pending.push_back((start, tr.sent as u8));
                tr.first_start.get_or_insert(start);
                tr.last_start = start;
                tr.sent += 1;
            }
            let rs = self.model.get_u64(self.p.rx_stat[i]);
            if rs & 1 == 1 {
                // Card i delivered a frame from its west neighbour.
                let west = (i + n - 1) % n;
                let seq = ((rs >> 3) & 0xFF) as u8;
                let tw = &mut tracks[west];
                tw.rtl_seqs.push(seq);
                while let Some((start, s)) = tw.pending.pop_front() {
                    if s == seq {
                        tw.hop.push((t - start) as f64 / period[i] as f64);
                        break;
                    }
                }
            }
            if opts.progress_every > 0 && total >= next_progress {
                eprintln!(
                    "ring: {total} card-cycles, {:.1} M/s",
                    total as f64 / wall.elapsed().as_secs_f64() / 1e6
                );
                next_progress += opts.progress_every;
            }
        }
        let wall = wall.elapsed();
        let mut cards = Vec::new();
        for (i, r) in reads.iter().enumerate() {
            let st = r[0];
            let status = Status::from_code(((st >> 2) & 7) as u8)
                .ok_or_else(|| SimError::Protocol(format!("card {i}: status register {st:#x}")))?;
            let mut counters = [0u32; 6];
            counters.copy_from_slice(&r[3..9]);
            let per = self.cfg.lanes.div_ceil(4);
            let mut k = 9;
            let mut dumps = Vec::new();
            for (_, len) in &loads[i].dumps {
                let mut words = Vec::new();
                for _ in 0..*len {
                    let bytes: Vec<u8> =
                        r[k..k + per].iter().flat_map(|w| w.to_le_bytes()).collect();
                    words.push(bytes[..self.cfg.lanes].iter().map(|&b| b as i8).collect());
                    k += per;
                }
                dumps.push(words);
            }
            cards.push(CardResult {
                status,
                pc: (st >> 16) as usize,
                cycles: r[1] as u64,
                link_status: r[2],
                counters,
                dumps,
            });
        }
        let fbits = 8 * self.link.frame_columns() as u64;
        let mut links = Vec::new();
        for (i, tr) in tracks.into_iter().enumerate() {
            let seen_seqs: Vec<u8> = tr.seen_frames.iter().map(|f| f.0).collect();
            if seen_seqs != tr.rtl_seqs {
                return Err(SimError::Protocol(format!(
                    "link {i}: the RTL receiver delivered sequence numbers {:?}, its golden \
                     twin {:?}",
                    &tr.rtl_seqs[..tr.rtl_seqs.len().min(20)],
                    &seen_seqs[..seen_seqs.len().min(20)]
                )));
            }
            // Match every delivery with the frame sent under its sequence number.
            let mut undetected = 0;
            let mut at = 0;
            for (seq, payload) in &tr.seen_frames {
                while at < tr.truth_frames.len() && tr.truth_frames[at].0 != *seq {
                    at += 1;
                }
                match tr.truth_frames.get(at) {
                    Some((_, p)) if p == payload => {}
                    _ => undetected += 1,
                }
                at += 1;
            }
            let efficiency = match tr.first_start {
                Some(first) if tr.sent > 0 => {
                    let span = (tr.last_start - first) as f64 / period[i] as f64 + fbits as f64;
                    (tr.sent * 8 * PAYLOAD_BYTES as u64) as f64 / (span * self.link.lanes as f64)
                }
                _ => 0.0,
            };
            links.push(LinkStats {
                frames_sent: tr.sent,
                frames_delivered: tr.rtl_seqs.len() as u64,
                crc_errors: tr.seen.framer.counters.crc_errors as u64,
                undetected_errors: undetected,
                bit_flips: tr.wire.flips.len() as u64,
                hop_latency: tr.hop,
                payload_efficiency: efficiency,
            });
        }
        Ok(RingRun {
            cards,
            links,
            card_cycles: total,
            wall,
        })
    }
}

/// Queue a host store of `bytes` into space `space` (0 bank, 1 instruction memory).
fn store(q: &mut VecDeque<Op>, space: u32, bank: u8, word: usize, bytes: &[u8]) {
    q.push_back(Op::Write(
        reg::SEL,
        space << 30 | (bank as u32) << 24 | word as u32,
    ));
    for (k, c) in bytes.chunks(4).enumerate() {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        q.push_back(Op::Write(reg::BUF + k as u16, u32::from_le_bytes(w)));
    }
    q.push_back(Op::Write(reg::CMD, 1));
}
