//! `BoardSim`: the board top (`minilpu_hdl::BoardTop`: UART host bridge + card, i.e. the
//! tile with its link) running in Verilator, with a UART on the host side of its pins,
//! served as a byte stream; optionally its link pins cabled to themselves or a ring of
//! board tops, each its own model on its own clock.
//!
//! ```text
//!   host (HostLink) <-> /dev/pts/N  ==pty==  master <-> sim thread: bytes -> UART bits
//!                                                      -> uart_rx pin | BoardTop | uart_tx pin
//!                                                      -> bits -> bytes -> master
//!   BoardLinks::Ring:  board 0 link_tx_clk, link_tx_d --> board 1 link_rx_clk, link_rx_d
//!                      board 1 link_tx_* --> ... --> board n-1 link_tx_* --> board 0 link_rx_*
//! ```
//! [`BoardSim::spawn_pty`] runs the simulation on a thread behind a pseudo-terminal (one
//! per board), so the host side opens `/dev/pts/N` with [`crate::serial::SerialPort`]
//! exactly as it opens a USB-UART; [`BoardSim::spawn_pipes`] serves the same bytes
//! through in-process [`SimPipe`]s (`Read + Write`) instead. Simulated time is counted
//! in clock cycles: the UART divisor and the bridge's inter-byte timeout are in cycles
//! too, so a run is exact whatever the wall-clock speed. The thread keeps clocking while
//! anything is happening on any board (bytes in flight, a tile running) and for a
//! little longer than the bridge's timeout after the last activity (so that timeouts
//! fire and their replies go out), then sleeps until a host writes again; all boards
//! stop and resume together, so the link sees one consistent time.
//!
//! **Cables** ([`BoardLinks`]): after every clock edge of a board its `link_tx_clk` and
//! `link_tx_d` pins are copied to the cabled board's `link_rx_clk` and `link_rx_d`,
//! which is evaluated when they change. The lanes change on the sender's rising edge
//! and its forwarded clock (the clock inverted) rises half a period later, so the
//! receiver's front end samples each bit in its middle, as on the boards.

use crate::link_sim::TX_PERIOD;
use crate::serial::{read_fd, wait_readable, write_fd, Pty};
use crate::tile_sim::SimError;
use crate::verilated::{BuildOptions, PortId, VerilatedModel};
use minilpu_hdl::BoardTopConfig;
use minilpu_model::TileConfig;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Extra Verilator arguments (as for the bare tile, see `tile_sim`).
const SIM_ARGS: [&str; 2] = ["-Wno-WIDTH", "-Wno-UNOPTFLAT"];

/// Cycles the board gets before the host may talk (the bridge listens 128 cycles after
/// the PLL locks).
const BOOT_CYCLES: u64 = 256;

/// The host side of one UART: a transmitter driving `uart_rx` and a receiver sampling
/// `uart_tx`, both at `divisor` cycles per bit.
#[derive(Debug)]
struct HostUart {
    divisor: u64,
    tx_queue: VecDeque<u8>,
    /// Remaining bits of the frame being sent, LSB next (start, 8 data, stop).
    tx_frame: u16,
    tx_bits: u32,
    tx_cnt: u64,
    /// Receiver: cycles until the next sample, bit number (0 = start check, 1..=8
    /// data, 9 stop), shift register; `None` while idle.
    rx: Option<(u64, u32, u8)>,
    /// Cycles of break (line held low) still to send, after the queued bytes.
    brk: u64,
    received: Vec<u8>,
    framing_errors: u64,
}

impl HostUart {
    fn new(divisor: u32) -> Self {
        Self {
            divisor: divisor as u64,
            tx_queue: VecDeque::new(),
            tx_frame: 0,
            tx_bits: 0,
            tx_cnt: 0,
            rx: None,
            brk: 0,
            received: Vec::new(),
            framing_errors: 0,
        }
    }

    /// The level to drive this cycle (and advance the transmitter by one cycle).
    fn tx_level(&mut self) -> bool {
        if self.tx_bits == 0 {
            let Some(b) = self.tx_queue.pop_front() else {
                if self.brk > 0 {
                    self.brk -= 1;
                    return false;
                }
                return true;
            };
            self.tx_frame = (b as u16) << 1 | 1 << 9;
            self.tx_bits = 10;
            self.tx_cnt = self.divisor;
        }
        let level = self.tx_frame & 1 != 0;
        self.tx_cnt -= 1;
        if self.tx_cnt == 0 {
            self.tx_frame >>= 1;
            self.tx_bits -= 1;
            self.tx_cnt = self.divisor;
        }
        level
    }

    fn tx_idle(&self) -> bool {
        self.tx_bits == 0 && self.tx_queue.is_empty() && self.brk == 0
    }

    /// Sample the board's line once per cycle.
    fn rx_sample(&mut self, level: bool) {
        match self.rx {
            None => {
                if !level {
                    // Falling edge: sample the middle of the start bit next.
                    self.rx = Some((self.divisor / 2, 0, 0));
                }
            }
            Some((cnt, bit, shift)) => {
                if cnt > 1 {
                    self.rx = Some((cnt - 1, bit, shift));
                    return;
                }
                self.rx = match bit {
                    0 if level => None, // glitch
                    0 => Some((self.divisor, 1, 0)),
                    1..=8 => Some((self.divisor, bit + 1, shift >> 1 | (level as u8) << 7)),
                    _ => {
                        if level {
                            self.received.push(shift);
                        } else {
                            self.framing_errors += 1;
                        }
                        None
                    }
                };
            }
        }
    }
}

struct Ports {
    clock: PortId,
    rx: PortId,
    tx: PortId,
    busy: PortId,
    host: PortId,
    link: PortId,
    tx_clk: PortId,
    tx_d: PortId,
    rx_clk: PortId,
    rx_d: PortId,
}

/// How the simulated boards' link pins are wired (`BoardTop`'s `link_tx_clk`,
/// `link_tx_d`, `link_rx_clk`, `link_rx_d`).
#[derive(Clone, Debug, PartialEq)]
pub enum BoardLinks {
    /// One board, its link inputs held low (no neighbour cabled).
    Open,
    /// One board whose link outputs are cabled to its own link inputs.
    Loopback,
    /// `ppm.len()` boards (at least 2) in a ring: board `i`'s link outputs go to board
    /// `i + 1`'s inputs (the last to board 0's); board `i`'s oscillator runs `ppm[i]`
    /// parts per million slow (negative: fast) with its own phase.
    Ring {
        /// Clock offset of each board.
        ppm: Vec<f64>,
    },
}

/// One verilated board top with the host-side UART on its pins.
struct Board {
    model: VerilatedModel,
    p: Ports,
    uart: HostUart,
    /// Cycles since the last sign of activity.
    quiet: u64,
    /// Clock period and the time of the next clock edge (rising when `!high`).
    period: u64,
    next: u64,
    high: bool,
    cycles: u64,
    /// What this board's link inputs are driven with: forwarded clock, lanes.
    rx_in: (u64, u64),
}

/// The verilated board tops (one, or a ring), the host-side UART on each one's pins
/// and the cables between their link pins.
pub struct BoardSim {
    boards: Vec<Board>,
    links: BoardLinks,
    cfg: BoardTopConfig,
}

impl BoardSim {
    /// Emit the board top for `tile` with a bridge of `divisor` cycles per bit and an
    /// inter-byte timeout of `timeout` cycles, verilate it (cached), and boot it; its
    /// link inputs are held low ([`BoardLinks::Open`]).
    pub fn build(tile: &TileConfig, divisor: u32, timeout: u32) -> Result<Self, SimError> {
        Self::build_linked(tile, divisor, timeout, BoardLinks::Open)
    }

    /// As [`build`](Self::build), with the link pins wired as `links` says (one model
    /// instance per board, each on its own clock). The wire carries what the pins
    /// carry: the upstream board's `link_tx_d` as it is after that board's clock edge,
    /// and its `link_tx_clk` (the inverted clock, so the receiver's front end samples
    /// the lanes half a cycle after they changed).
    pub fn build_linked(
        tile: &TileConfig,
        divisor: u32,
        timeout: u32,
        links: BoardLinks,
    ) -> Result<Self, SimError> {
        Self::build_top(BoardTopConfig::sim(tile.clone(), divisor, timeout), links)
    }

    /// As [`build_linked`](Self::build_linked), for a board top built from `cfg` (e.g.
    /// with [`BoardTopConfig::with_bus_stages`]); its PLL should be bypassed.
    pub fn build_top(cfg: BoardTopConfig, links: BoardLinks) -> Result<Self, SimError> {
        let n = match &links {
            BoardLinks::Open | BoardLinks::Loopback => 1,
            BoardLinks::Ring { ppm } => {
                assert!(ppm.len() >= 2, "a ring of boards needs at least 2 boards");
                ppm.len()
            }
        };
        let verilog = minilpu_hdl::emit_board_verilog(&cfg)?;
        let opts = BuildOptions {
            extra_args: SIM_ARGS.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let mut boards = Vec::new();
        for k in 0..n {
            let model = VerilatedModel::build(&verilog, minilpu_hdl::TOP_MODULE, &opts)?;
            let p = Ports {
                clock: model.port("clock")?,
                rx: model.port("uart_rx")?,
                tx: model.port("uart_tx")?,
                busy: model.port("led_busy")?,
                host: model.port("led_host")?,
                link: model.port("led_link")?,
                tx_clk: model.port("link_tx_clk")?,
                tx_d: model.port("link_tx_d")?,
                rx_clk: model.port("link_rx_clk")?,
                rx_d: model.port("link_rx_d")?,
            };
            let ppm = match &links {
                BoardLinks::Ring { ppm } => ppm[k],
                _ => 0.0,
            };
            let period = (TX_PERIOD as f64 * (1.0 + ppm * 1e-6)).round() as u64;
            boards.push(Board {
                model,
                p,
                uart: HostUart::new(cfg.bridge.divisor),
                quiet: 0,
                period,
                next: period + (k as u64 * 389_000) % period,
                high: false,
                cycles: 0,
                rx_in: (0, 0),
            });
        }
        let mut sim = Self { boards, links, cfg };
        for _ in 0..BOOT_CYCLES {
            sim.step();
        }
        Ok(sim)
    }

    /// The board top's configuration.
    pub fn config(&self) -> &BoardTopConfig {
        &self.cfg
    }

    /// Number of boards.
    pub fn boards(&self) -> usize {
        self.boards.len()
    }

    /// How the link pins are wired.
    pub fn links(&self) -> &BoardLinks {
        &self.links
    }

    /// Clock cycles of board 0 simulated so far.
    pub fn cycles(&self) -> u64 {
        self.boards[0].cycles
    }

    /// Clock cycles of board `k` simulated so far.
    pub fn cycles_of(&self, k: usize) -> u64 {
        self.boards[k].cycles
    }

    /// Queue bytes for board 0's host-side transmitter.
    pub fn send(&mut self, bytes: &[u8]) {
        self.send_to(0, bytes);
    }

    /// Queue bytes for board `k`'s host-side transmitter.
    pub fn send_to(&mut self, k: usize, bytes: &[u8]) {
        self.boards[k].uart.tx_queue.extend(bytes);
    }

    /// Hold board 0's line low for `cycles` after the queued bytes (a UART break: the
    /// board sees a byte with a low stop bit).
    pub fn send_break(&mut self, cycles: u64) {
        self.boards[0].uart.brk += cycles;
    }

    /// Bytes board 0's host-side receiver has assembled since the last call.
    pub fn take_received(&mut self) -> Vec<u8> {
        self.take_received_from(0)
    }

    /// Bytes board `k`'s host-side receiver has assembled since the last call.
    pub fn take_received_from(&mut self, k: usize) -> Vec<u8> {
        std::mem::take(&mut self.boards[k].uart.received)
    }

    /// Stop bits the host-side receivers found low, over all boards (a board never
    /// sends those).
    pub fn framing_errors(&self) -> u64 {
        self.boards.iter().map(|b| b.uart.framing_errors).sum()
    }

    /// Board `k`'s `led_link`: its link receiver is locked.
    pub fn link_up(&self, k: usize) -> bool {
        self.boards[k].model.get_u64(self.boards[k].p.link) != 0
    }

    /// Board `k`'s data lane pins `link_tx_d` now.
    pub fn tx_lanes(&self, k: usize) -> u8 {
        self.boards[k].model.get_u64(self.boards[k].p.tx_d) as u8
    }

    /// Board `k`'s forwarded clock pin `link_tx_clk` now.
    pub fn tx_clk(&self, k: usize) -> bool {
        self.boards[k].model.get_u64(self.boards[k].p.tx_clk) != 0
    }

    /// Copy board `k`'s link output pins to the board cabled to them, evaluating that
    /// board when its inputs change.
    fn cable(&mut self, k: usize) {
        let east = match self.links {
            BoardLinks::Open => return,
            BoardLinks::Loopback => k,
            BoardLinks::Ring { .. } => (k + 1) % self.boards.len(),
        };
        let b = &self.boards[k];
        let out = (b.model.get_u64(b.p.tx_clk), b.model.get_u64(b.p.tx_d));
        let e = &mut self.boards[east];
        if e.rx_in != out {
            e.rx_in = out;
            e.model.set_u64(e.p.rx_d, out.1);
            e.model.set_u64(e.p.rx_clk, out.0);
            e.model.eval();
        }
    }

    /// The next clock edge of any board, in time order; returns the board and whether
    /// the edge was a rising one. A rising edge drives the board's `uart_rx`, clocks,
    /// and samples `uart_tx`; either edge carries the link outputs to the cabled board.
    fn edge(&mut self) -> (usize, bool) {
        let k = (0..self.boards.len())
            .min_by_key(|&k| (self.boards[k].next, k))
            .expect("a board");
        let b = &mut self.boards[k];
        let rising = !b.high;
        if rising {
            let level = b.uart.tx_level();
            b.model.set_u64(b.p.rx, level as u64);
            b.model.set_u64(b.p.clock, 1);
            b.model.eval();
            let tx = b.model.get_u64(b.p.tx) != 0;
            b.uart.rx_sample(tx);
            let busy = b.model.get_u64(b.p.busy) != 0;
            let host = b.model.get_u64(b.p.host) != 0;
            if !level || !tx || busy || host || b.uart.rx.is_some() || !b.uart.tx_idle() {
                b.quiet = 0;
            } else {
                b.quiet += 1;
            }
            b.cycles += 1;
            b.high = true;
            b.next += b.period / 2;
        } else {
            b.model.set_u64(b.p.clock, 0);
            b.model.eval();
            b.high = false;
            b.next += b.period - b.period / 2;
        }
        self.cable(k);
        (k, rising)
    }

    /// One clock cycle of board 0 (and whatever the other boards do meanwhile): drive
    /// `uart_rx`, tick, sample `uart_tx`.
    pub fn step(&mut self) {
        while self.edge() != (0, true) {}
    }

    /// Cycles after the last activity during which a board may still answer on its
    /// own (the bridge's timeout and a reply), plus margin.
    pub fn linger(&self) -> u64 {
        let b = &self.cfg.bridge;
        b.timeout as u64 + 40 * b.divisor as u64 + 2 * self.cfg.led_stretch as u64 + 256
    }

    /// Nothing in flight on any board's UART and nothing will happen without new host
    /// bytes.
    pub fn settled(&self) -> bool {
        let linger = self.linger();
        self.boards
            .iter()
            .all(|b| b.uart.tx_idle() && b.quiet >= linger)
    }

    /// Step until [`settled`](Self::settled) (or `max` cycles); returns the cycles run.
    pub fn run_until_settled(&mut self, max: u64) -> u64 {
        let start = self.cycles();
        while !self.settled() && self.cycles() - start < max {
            self.step();
        }
        self.cycles() - start
    }

    /// Serve the board on a pseudo-terminal: the returned handle's
    /// [`SimBoard::path`] is the slave device for [`crate::serial::SerialPort::open`].
    /// With several boards, one pseudo-terminal each ([`SimBoard::paths`]).
    pub fn spawn_pty(self) -> io::Result<SimBoard> {
        let mut ends = Vec::new();
        let mut paths = Vec::new();
        for _ in 0..self.boards.len() {
            let pty = Pty::open()?;
            paths.push(pty.slave_path.clone());
            ends.push(End::Pty(pty));
        }
        Ok(SimBoard::spawn(self, ends, paths))
    }

    /// Serve the (single) board through an in-process byte pipe.
    pub fn spawn_pipe(self) -> (SimBoard, SimPipe) {
        assert_eq!(self.boards.len(), 1, "spawn_pipes for several boards");
        let (board, mut pipes) = self.spawn_pipes();
        (board, pipes.remove(0))
    }

    /// Serve every board through an in-process byte pipe of its own (board `k`'s is
    /// the `k`-th).
    pub fn spawn_pipes(self) -> (SimBoard, Vec<SimPipe>) {
        let mut ends = Vec::new();
        let mut pipes = Vec::new();
        for _ in 0..self.boards.len() {
            let (to_sim, from_host) = channel();
            let (to_host, from_sim) = channel();
            ends.push(End::Chan {
                rx: from_host,
                tx: to_host,
            });
            pipes.push(SimPipe {
                tx: to_sim,
                rx: from_sim,
                pending: VecDeque::new(),
                timeout: Duration::from_secs(10),
            });
        }
        (SimBoard::spawn(self, ends, Vec::new()), pipes)
    }
}

/// The simulation thread's end of the byte stream.
enum End {
    Pty(Pty),
    Chan {
        rx: Receiver<Vec<u8>>,
        tx: Sender<Vec<u8>>,
    },
}

impl End {
    /// Bytes from the host; waits up to `wait` when there are none. `None`: the host
    /// side is gone.
    fn input(&mut self, wait: Duration) -> Option<Vec<u8>> {
        match self {
            End::Pty(p) => {
                let fd = p.master.as_raw_fd();
                if !wait.is_zero() && !wait_readable(fd, wait).unwrap_or(false) {
                    return Some(Vec::new());
                }
                let mut buf = [0u8; 4096];
                match read_fd(fd, &mut buf) {
                    Ok(n) => Some(buf[..n].to_vec()),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Some(Vec::new()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => Some(Vec::new()),
                    Err(_) => None,
                }
            }
            End::Chan { rx, .. } => {
                let mut out = Vec::new();
                if !wait.is_zero() {
                    match rx.recv_timeout(wait) {
                        Ok(v) => out = v,
                        Err(RecvTimeoutError::Timeout) => return Some(out),
                        Err(RecvTimeoutError::Disconnected) => return None,
                    }
                }
                loop {
                    match rx.try_recv() {
                        Ok(v) => out.extend(v),
                        Err(std::sync::mpsc::TryRecvError::Empty) => return Some(out),
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                            return if out.is_empty() { None } else { Some(out) }
                        }
                    }
                }
            }
        }
    }

    /// Bytes to the host.
    fn output(&mut self, mut bytes: &[u8]) -> bool {
        match self {
            End::Pty(p) => {
                let fd = p.master.as_raw_fd();
                while !bytes.is_empty() {
                    match write_fd(fd, bytes) {
                        Ok(n) => bytes = &bytes[n..],
                        Err(e)
                            if e.kind() == io::ErrorKind::WouldBlock
                                || e.kind() == io::ErrorKind::Interrupted =>
                        {
                            std::thread::sleep(Duration::from_millis(1))
                        }
                        Err(_) => return false,
                    }
                }
                true
            }
            End::Chan { tx, .. } => tx.send(bytes.to_vec()).is_ok(),
        }
    }
}

/// A simulated board (or ring of boards) running on its own thread; dropping it stops
/// the thread.
pub struct SimBoard {
    stop: Arc<AtomicBool>,
    cycles: Arc<AtomicU64>,
    paths: Vec<PathBuf>,
    thread: Option<JoinHandle<BoardSim>>,
}

impl SimBoard {
    fn spawn(mut sim: BoardSim, mut ends: Vec<End>, paths: Vec<PathBuf>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let cycles = Arc::new(AtomicU64::new(sim.cycles()));
        let (stop2, cycles2) = (stop.clone(), cycles.clone());
        let thread = std::thread::spawn(move || {
            const BATCH: u64 = 2048;
            let n = ends.len() as u32;
            'run: while !stop2.load(Ordering::Relaxed) {
                let wait = if sim.settled() {
                    Duration::from_millis(5) / n
                } else {
                    Duration::ZERO
                };
                for (k, end) in ends.iter_mut().enumerate() {
                    match end.input(wait) {
                        Some(bytes) => sim.send_to(k, &bytes),
                        None => break 'run,
                    }
                }
                if sim.settled() {
                    continue;
                }
                for _ in 0..BATCH {
                    sim.step();
                    if sim.settled() {
                        break;
                    }
                }
                for (k, end) in ends.iter_mut().enumerate() {
                    let out = sim.take_received_from(k);
                    if !out.is_empty() && !end.output(&out) {
                        break 'run;
                    }
                }
                cycles2.store(sim.cycles(), Ordering::Relaxed);
            }
            cycles2.store(sim.cycles(), Ordering::Relaxed);
            sim
        });
        Self {
            stop,
            cycles,
            paths,
            thread: Some(thread),
        }
    }

    /// The pty slave to open (for [`BoardSim::spawn_pty`]; board 0's).
    pub fn path(&self) -> &Path {
        self.paths.first().expect("a pty board has a path")
    }

    /// Every board's pty slave, board 0 first.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Clock cycles of board 0 simulated so far (updated every few thousand cycles).
    pub fn cycles(&self) -> u64 {
        self.cycles.load(Ordering::Relaxed)
    }

    /// Stop the thread and get the simulation back.
    pub fn stop(mut self) -> BoardSim {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .expect("running")
            .join()
            .expect("simulation thread panicked")
    }
}

impl Drop for SimBoard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The host's end of [`BoardSim::spawn_pipe`]: `Read + Write`, reads time out like a
/// serial port's ([`std::io::ErrorKind::TimedOut`]).
pub struct SimPipe {
    tx: Sender<Vec<u8>>,
    rx: Receiver<Vec<u8>>,
    pending: VecDeque<u8>,
    /// How long a read waits for the first byte.
    pub timeout: Duration,
}

impl Read for SimPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            match self.rx.recv_timeout(self.timeout) {
                Ok(v) => self.pending.extend(v),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("simulated board: no data within {:?}", self.timeout),
                    ))
                }
                Err(RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        for (i, b) in self.pending.drain(..n).enumerate() {
            buf[i] = b;
        }
        Ok(n)
    }
}

impl Write for SimPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tx
            .send(buf.to_vec())
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "simulated board stopped"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
