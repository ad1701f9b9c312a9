//! `link_sim`: the link's transmitter and receiver (`minilpu_hdl::LinkPair`) in
//! Verilator, in two clock domains, with a simulated wire between them that injects
//! faults, checked against the golden model (`minilpu_model::link`).
//!
//! **Clocks.** The top has three clock inputs: `clk_tx` (transmitter), `clk_fwd` (the
//! forwarded clock at the receiver) and `clk_rx` (receiver). Time is an integer
//! ([`TX_PERIOD`] units per TX cycle); the RX period is set by [`Clocks`] (for example
//! +300 ppm = 1,000,300 units) with a phase offset. The loop takes the next edge in
//! time order, raises that clock with `set_u64` + `eval`, and lowers it again before
//! that clock's next edge. `clk_tx` and `clk_fwd` rise together: the receiver samples,
//! at TX edge `e`, the lane values the wire produced after edge `e - 1` (one cycle of
//! wire delay, plus whatever skew [`Faults`] adds per lane).
//!
//! **The wire** ([`Wire`]) delays every lane by its skew, may change a lane's delay by
//! one bit at a given cycle (a slipped bit), force a lane to a value (stuck lane) and
//! flip bits independently with probability `ber` (recording each flip).
//!
//! **Checks** made while running: the transmitter decides a frame slot exactly in the
//! cycle `LinkConfig::decision_cycle` gives, and takes a posted frame exactly when the
//! posting rule says so. The [`LinkRun`] keeps everything needed for the rest: the TX
//! lane bits, which frame went into which slot, the frames the RTL delivered and when,
//! the golden receiver's deliveries for the same lane inputs, and both sets of
//! counters.

use crate::verilated::{BuildOptions, HarnessError, PortId, VerilatedModel};
use minilpu_hdl::link_tx::TX_SLOTS;
use minilpu_model::link::frame::Frame;
use minilpu_model::link::rx::{Delivered, Receiver, RxCounters, Timed};
use minilpu_model::link::{LinkConfig, LinkConfigError, PAYLOAD_BYTES, TX_START_CYCLES};
use std::time::{Duration, Instant};

/// Simulated time units per TX clock period.
pub const TX_PERIOD: u64 = 1_000_000;

/// Extra Verilator arguments for the link (rust-hdl's 32-bit literals).
const SIM_ARGS: [&str; 2] = ["-Wno-WIDTH", "-Wno-UNOPTFLAT"];

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum LinkSimError {
    /// The link configuration is invalid.
    #[error("{0}")]
    Config(#[from] LinkConfigError),
    /// Verilator or the harness failed.
    #[error("{0}")]
    Harness(#[from] HarnessError),
    /// The RTL broke a rule of its own interface (a bug in the RTL).
    #[error("link protocol violation: {0}")]
    Protocol(String),
}

/// SplitMix64: a small, fixed, seedable generator (the testbench library has no `rand`).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Trials until the next success of probability `p` (>= 1), geometrically.
    pub fn geometric(&mut self, p: f64) -> u64 {
        let u = 1.0 - self.next_f64();
        (u.ln() / (1.0 - p).ln()).floor() as u64 + 1
    }

    /// A random frame.
    pub fn frame(&mut self) -> Frame {
        let mut payload = [0u8; PAYLOAD_BYTES];
        for chunk in payload.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..chunk.len()]);
        }
        Frame {
            tag: self.below(128) as u8,
            payload,
        }
    }
}

/// A lane forced to a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stuck {
    /// The lane.
    pub lane: usize,
    /// The value it shows.
    pub value: bool,
    /// From this TX cycle on.
    pub from_cycle: u64,
}

/// A change of one lane's delay by `delta` bits (a lost bit: -1; a repeated bit: +1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slip {
    /// The lane.
    pub lane: usize,
    /// TX cycle at which the delay changes.
    pub at_cycle: u64,
    /// Change of the delay (bits).
    pub delta: i64,
}

/// Faults on the simulated wire.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Probability that a bit is flipped (independently per lane and bit).
    pub ber: f64,
    /// Seed of the flips.
    pub seed: u64,
    /// Static delay of each lane (bits, at most 60; the receiver removes up to 31 of
    /// difference between lanes).
    pub skew: [u32; 4],
    /// A stuck lane.
    pub stuck: Option<Stuck>,
    /// Slipped bits.
    pub slips: Vec<Slip>,
    /// Bits flipped on purpose: (TX cycle in which the transmitter sends the bit, lane).
    pub flips_at: Vec<(u64, usize)>,
}

/// The wire between the transmitter's and the receiver's lane pins.
#[derive(Clone, Debug)]
pub struct Wire {
    lanes: usize,
    hist: Vec<u8>,
    delay: [i64; 4],
    faults: Faults,
    rng: SplitMix64,
    until_flip: u64,
    /// Every flipped bit: (TX cycle in which the transmitter sent it, lane).
    pub flips: Vec<(u64, usize)>,
    /// `faults.flips_at` as a set: looked up for every bit of every lane.
    flips_at: std::collections::BTreeSet<(u64, usize)>,
}

const WIRE_HIST: usize = 64;

impl Wire {
    /// A wire with `faults` for `lanes` lanes.
    pub fn new(lanes: usize, faults: &Faults) -> Self {
        let mut rng = SplitMix64::new(faults.seed ^ 0x5EED_F11B);
        let until_flip = if faults.ber > 0.0 {
            rng.geometric(faults.ber)
        } else {
            u64::MAX
        };
        Self {
            lanes,
            hist: vec![0; WIRE_HIST],
            delay: faults.skew.map(|d| d as i64),
            faults: faults.clone(),
            rng,
            until_flip,
            flips: Vec::new(),
            flips_at: faults.flips_at.iter().copied().collect(),
        }
    }

    /// Stop flipping bits from now on (the other faults stay).
    pub fn quiet(&mut self) {
        self.until_flip = u64::MAX;
    }

    /// The lane bits at the receiver after TX cycle `cycle`, whose lane output is `tx`.
    pub fn step(&mut self, cycle: u64, tx: u8) -> u8 {
        self.hist[cycle as usize % WIRE_HIST] = tx;
        for s in &self.faults.slips {
            if s.at_cycle == cycle {
                self.delay[s.lane] += s.delta;
                assert!((0..WIRE_HIST as i64 - 1).contains(&self.delay[s.lane]));
            }
        }
        let mut out = 0u8;
        for l in 0..self.lanes {
            let src = cycle as i64 - self.delay[l];
            let mut bit = if src >= 0 {
                (self.hist[src as usize % WIRE_HIST] >> l) & 1
            } else {
                0
            };
            if let Some(s) = self.faults.stuck {
                if s.lane == l && cycle >= s.from_cycle {
                    bit = s.value as u8;
                }
            }
            if src >= 0 && self.flips_at.contains(&(src as u64, l)) {
                bit ^= 1;
                self.flips.push((src as u64, l));
            }
            self.until_flip -= 1;
            if self.until_flip == 0 {
                bit ^= 1;
                self.flips.push((src.max(0) as u64, l));
                self.until_flip = self.rng.geometric(self.faults.ber);
            }
            out |= bit << l;
        }
        out
    }
}

/// The two oscillators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clocks {
    /// RX clock period in [`TX_PERIOD`] units.
    pub rx_period: u64,
    /// RX edge `f` (1-based) is at time `f * rx_period + rx_phase`.
    pub rx_phase: u64,
}

impl Clocks {
    /// The RX oscillator `ppm` parts per million slower (positive) or faster (negative)
    /// than the TX one: its period is `TX_PERIOD * (1 + ppm / 1e6)`.
    pub fn ppm(ppm: f64) -> Self {
        Self {
            rx_period: (TX_PERIOD as f64 * (1.0 + ppm * 1e-6)).round() as u64,
            rx_phase: 370_000,
        }
    }
}

/// What the sender does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Traffic {
    /// Data frames to send.
    pub frames: usize,
    /// After each post, wait a random 0..=gap_max TX cycles (0: full load).
    pub gap_max: u64,
    /// Seed of the payloads and gaps.
    pub seed: u64,
}

/// Options of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOptions {
    /// Keep the TX lane bits.
    pub record_tx: bool,
    /// Keep the RX lane inputs.
    pub record_rx: bool,
    /// TX cycles to keep running after the last data frame has started.
    pub drain_cycles: u64,
    /// Stop after this many TX cycles anyway.
    pub max_cycles: u64,
}

impl RunOptions {
    /// Record everything; drain two superframes.
    pub fn checked(cfg: &LinkConfig) -> Self {
        Self {
            record_tx: true,
            record_rx: true,
            drain_cycles: 2 * cfg.superframe_bits() + 200,
            max_cycles: u64::MAX,
        }
    }
}

/// A frame the RTL delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtlDelivery {
    /// The frame (payload read back from the receive buffer).
    pub frame: Delivered,
    /// Time of the RX edge after which `valid` was seen.
    pub time: u64,
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct LinkRun {
    /// The configuration.
    pub cfg: LinkConfig,
    /// The clocks.
    pub clocks: Clocks,
    /// Data frames posted, in order.
    pub sent: Vec<Frame>,
    /// Content of every decided frame slot: the index into `sent`, or idle.
    pub slots: Vec<Option<usize>>,
    /// TX lane bits of cycles `TX_START_CYCLES..` (if recorded).
    pub tx_bits: Vec<u8>,
    /// RX lane inputs sampled at forwarded-clock edges 1.. (if recorded).
    pub rx_bits: Vec<u8>,
    /// Frames the RTL delivered.
    pub delivered: Vec<RtlDelivery>,
    /// Frames the golden receiver delivered from the same lane inputs.
    pub model: Vec<Timed>,
    /// The golden receiver's counters.
    pub model_counters: RxCounters,
    /// The RTL receiver's counters.
    pub counters: RxCounters,
    /// The RTL transmitter's `frames` counter.
    pub tx_frames: u32,
    /// The RTL receiver's `locked` at the end.
    pub locked: bool,
    /// Bits the wire flipped: (TX cycle, lane).
    pub flips: Vec<(u64, usize)>,
    /// TX cycles simulated.
    pub tx_cycles: u64,
    /// RX cycles simulated.
    pub rx_cycles: u64,
    /// Wall-clock time of the simulation loop.
    pub wall: Duration,
}

impl LinkRun {
    /// Index into `sent` of every RTL delivery (from the sequence numbers, in order).
    pub fn delivered_indices(&self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.delivered.len());
        let mut next = 0usize;
        for d in &self.delivered {
            let gap = d.frame.seq.wrapping_sub(next as u8) as usize;
            let idx = next + gap;
            out.push(idx);
            next = idx + 1;
        }
        out
    }

    /// Slot of every sent frame.
    pub fn slot_of_sent(&self) -> Vec<u64> {
        let mut s = vec![u64::MAX; self.sent.len()];
        for (slot, f) in self.slots.iter().enumerate() {
            if let Some(i) = f {
                s[*i] = slot as u64;
            }
        }
        s
    }

    /// Hop latency of every RTL delivery in RX clock periods: from the TX edge that
    /// puts the frame's first bit on the lanes to the RX edge after which `valid` is
    /// seen.
    pub fn latencies(&self) -> Vec<f64> {
        let slot = self.slot_of_sent();
        self.delivered_indices()
            .iter()
            .zip(&self.delivered)
            .map(|(&i, d)| {
                let start = self.cfg.slot_start_cycle(slot[i]) * TX_PERIOD;
                (d.time - start) as f64 / self.clocks.rx_period as f64
            })
            .collect()
    }

    /// Simulated TX cycles per wall-clock second.
    pub fn cycles_per_second(&self) -> f64 {
        self.tx_cycles as f64 / self.wall.as_secs_f64()
    }
}

struct Ports {
    clk_tx: PortId,
    clk_fwd: PortId,
    clk_rx: PortId,
    tx_we: PortId,
    tx_waddr: PortId,
    tx_wdata: PortId,
    tx_post: PortId,
    tx_tag: PortId,
    tx_lanes: PortId,
    tx_stat: PortId,
    rx_lanes: PortId,
    rx_raddr: PortId,
    rx_rdata: Vec<PortId>,
    rx_stat: PortId,
}

/// Build (cached) and load the Verilated link pair for `cfg`.
pub fn build_link(cfg: &LinkConfig) -> Result<VerilatedModel, LinkSimError> {
    let verilog = minilpu_hdl::link_pair_verilog(cfg)?;
    let opts = BuildOptions {
        extra_args: SIM_ARGS.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    Ok(VerilatedModel::build(
        &verilog,
        minilpu_hdl::TOP_MODULE,
        &opts,
    )?)
}

enum TxPhase {
    Idle { from: u64 },
    Write { word: usize },
    Post,
}

struct Reading {
    slot: u8,
    seq: u8,
    tag: u8,
    time: u64,
    words: Vec<u8>,
}

/// Run `traffic` over the link for `cfg` with `faults` on the wire and `clocks`.
pub fn run_link(
    cfg: &LinkConfig,
    traffic: &Traffic,
    faults: &Faults,
    clocks: &Clocks,
    opts: &RunOptions,
) -> Result<LinkRun, LinkSimError> {
    cfg.validate()?;
    let mut m = build_link(cfg)?;
    let p = Ports {
        clk_tx: m.port("clk_tx")?,
        clk_fwd: m.port("clk_fwd")?,
        clk_rx: m.port("clk_rx")?,
        tx_we: m.port("tx_we")?,
        tx_waddr: m.port("tx_waddr")?,
        tx_wdata: m.port("tx_wdata")?,
        tx_post: m.port("tx_post")?,
        tx_tag: m.port("tx_tag")?,
        tx_lanes: m.port("tx_lanes")?,
        tx_stat: m.port("tx_stat")?,
        rx_lanes: m.port("rx_lanes")?,
        rx_raddr: m.port("rx_raddr")?,
        rx_rdata: (0..cfg.word_bytes)
            .map(|j| m.port(&format!("rx_rdata${j}")))
            .collect::<Result<_, _>>()?,
        rx_stat: m.port("rx_stat")?,
    };
    let w = cfg.word_bytes;
    let words = cfg.words_per_frame();
    let mut rng = SplitMix64::new(traffic.seed);
    let mut wire = Wire::new(cfg.lanes, faults);
    let mut golden = Receiver::new(cfg);
    let mut run = LinkRun {
        cfg: cfg.clone(),
        clocks: *clocks,
        sent: Vec::with_capacity(traffic.frames),
        slots: Vec::new(),
        tx_bits: Vec::new(),
        rx_bits: Vec::new(),
        delivered: Vec::new(),
        model: Vec::new(),
        model_counters: RxCounters::default(),
        counters: RxCounters::default(),
        tx_frames: 0,
        locked: false,
        flips: Vec::new(),
        tx_cycles: 0,
        rx_cycles: 0,
        wall: Duration::ZERO,
    };
    // Sender state.
    let mut phase = TxPhase::Idle { from: 0 };
    let mut ps = 0usize;
    let mut posted: Vec<u64> = Vec::new(); // post cycle of every posted frame
    let mut next_to_send = 0usize;
    let mut last_start: Option<u64> = None;
    // Receiver state.
    let mut reading: Option<Reading> = None;
    let mut queue: std::collections::VecDeque<Reading> = Default::default();
    let mut rx_in = 0u8;
    let (mut ta, mut tb) = (TX_PERIOD, clocks.rx_period + clocks.rx_phase);
    let (mut a_low_unseen, mut b_low_unseen) = (false, false);
    let (mut ca, mut cb) = (0u64, 0u64);
    let t0 = Instant::now();
    loop {
        if ta <= tb {
            // ---- TX / forwarded clock edge ----
            if a_low_unseen {
                m.eval();
            }
            m.set_u64(p.clk_tx, 1);
            m.set_u64(p.clk_fwd, 1);
            m.eval();
            b_low_unseen = false;
            ca += 1;
            if let Some(t) = golden.step(rx_in) {
                run.model.push(t);
            }
            if opts.record_rx {
                run.rx_bits.push(rx_in);
            }
            let lanes = m.get_u64(p.tx_lanes) as u8;
            let stat = m.get_u64(p.tx_stat);
            if opts.record_tx && ca >= TX_START_CYCLES {
                run.tx_bits.push(lanes);
            }
            rx_in = wire.step(ca, lanes);
            m.set_u64(p.rx_lanes, rx_in as u64);
            if stat & 1 != 0 {
                let slot = run.slots.len() as u64;
                if ca != cfg.decision_cycle(slot) {
                    return Err(LinkSimError::Protocol(format!(
                        "slot {slot} decided in cycle {ca}, expected {}",
                        cfg.decision_cycle(slot)
                    )));
                }
                let eligible = cfg.slot_allows_data(slot)
                    && next_to_send < posted.len()
                    && posted[next_to_send] < ca;
                let took = stat & 2 != 0;
                if took != eligible {
                    return Err(LinkSimError::Protocol(format!(
                        "slot {slot} (cycle {ca}): took a frame = {took}, expected {eligible}"
                    )));
                }
                if took {
                    run.slots.push(Some(next_to_send));
                    next_to_send += 1;
                    last_start = Some(cfg.slot_start_cycle(slot));
                } else {
                    run.slots.push(None);
                }
            }
            // The sender: write a frame into the free slot, post it, wait.
            let busy = (stat >> 2) & 0xF;
            m.set_u64(p.tx_we, 0);
            m.set_u64(p.tx_post, 0);
            if let TxPhase::Idle { from } = phase {
                if ca >= from && run.sent.len() < traffic.frames && busy >> ps & 1 == 0 {
                    run.sent.push(rng.frame());
                    phase = TxPhase::Write { word: 0 };
                }
            }
            match phase {
                TxPhase::Write { word } => {
                    let f = run.sent.last().expect("a frame is being written");
                    let mut data = [0u32; 4];
                    for (j, &b) in f.payload[word * w..(word + 1) * w].iter().enumerate() {
                        data[j / 4] |= (b as u32) << (8 * (j % 4));
                    }
                    m.set_u64(p.tx_we, 1);
                    m.set_u64(p.tx_waddr, (ps * words + word) as u64);
                    m.set(p.tx_wdata, &data);
                    phase = if word + 1 == words {
                        TxPhase::Post
                    } else {
                        TxPhase::Write { word: word + 1 }
                    };
                }
                TxPhase::Post => {
                    if (stat >> 6) & 3 != ps as u64 {
                        return Err(LinkSimError::Protocol(format!(
                            "cycle {ca}: next_slot {} but the sender filled slot {ps}",
                            (stat >> 6) & 3
                        )));
                    }
                    m.set_u64(p.tx_post, 1);
                    m.set_u64(p.tx_tag, run.sent.last().expect("posted").tag as u64);
                    posted.push(ca);
                    ps = (ps + 1) % TX_SLOTS;
                    let gap = if traffic.gap_max > 0 {
                        rng.below(traffic.gap_max + 1)
                    } else {
                        0
                    };
                    phase = TxPhase::Idle { from: ca + 1 + gap };
                }
                TxPhase::Idle { .. } => {}
            }
            m.set_u64(p.clk_tx, 0);
            m.set_u64(p.clk_fwd, 0);
            a_low_unseen = true;
            ta += TX_PERIOD;
            let all_sent = next_to_send == traffic.frames;
            let drained = all_sent
                && last_start.is_none_or(|s| ca >= s + opts.drain_cycles)
                && reading.is_none()
                && queue.is_empty();
            if drained || ca >= opts.max_cycles {
                break;
            }
        } else {
            // ---- RX clock edge ----
            if b_low_unseen {
                m.eval();
            }
            m.set_u64(p.clk_rx, 1);
            m.eval();
            a_low_unseen = false;
            cb += 1;
            let stat = m.get_u64(p.rx_stat);
            if let Some(r) = reading.as_mut() {
                for &port in &p.rx_rdata {
                    r.words.push(m.get_u64(port) as u8);
                }
            }
            if reading
                .as_ref()
                .is_some_and(|r| r.words.len() == PAYLOAD_BYTES)
            {
                let r = reading.take().expect("reading");
                let mut payload = [0u8; PAYLOAD_BYTES];
                payload.copy_from_slice(&r.words);
                run.delivered.push(RtlDelivery {
                    frame: Delivered {
                        seq: r.seq,
                        tag: r.tag,
                        slot: r.slot,
                        payload,
                    },
                    time: r.time,
                });
            }
            if stat & 1 != 0 {
                queue.push_back(Reading {
                    slot: ((stat >> 1) & 3) as u8,
                    seq: ((stat >> 3) & 0xFF) as u8,
                    tag: ((stat >> 11) & 0xFF) as u8,
                    time: tb,
                    words: Vec::with_capacity(PAYLOAD_BYTES),
                });
            }
            if reading.is_none() {
                reading = queue.pop_front();
            }
            if let Some(r) = reading.as_ref() {
                let k = r.words.len() / w;
                m.set_u64(p.rx_raddr, (r.slot as usize * words + k) as u64);
            }
            m.set_u64(p.clk_rx, 0);
            b_low_unseen = true;
            tb += clocks.rx_period;
        }
    }
    run.wall = t0.elapsed();
    run.tx_cycles = ca;
    run.rx_cycles = cb;
    run.flips = std::mem::take(&mut wire.flips);
    run.model_counters = golden.framer.counters;
    let get = |name: &str| -> Result<u32, LinkSimError> { Ok(m.get_u64(m.port(name)?) as u32) };
    run.counters = RxCounters {
        frames: get("rx_frames")?,
        crc_errors: get("rx_crc_errors")?,
        align_lost: get("rx_align_lost")?,
        overflows: get("rx_overflows")?,
        missing: get("rx_missing")?,
    };
    run.tx_frames = get("tx_frames")?;
    run.locked = (m.get_u64(p.rx_stat) >> 19) & 1 != 0;
    Ok(run)
}
