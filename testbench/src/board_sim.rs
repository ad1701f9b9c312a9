//! `BoardSim`: the board top (`minilpu_hdl::BoardTop`: UART host bridge + tile) running
//! in Verilator, with a UART on the host side of its pins, served as a byte stream.
//!
//! ```text
//!   host (HostLink) <-> /dev/pts/N  ==pty==  master <-> sim thread: bytes -> UART bits
//!                                                      -> uart_rx pin | BoardTop | uart_tx pin
//!                                                      -> bits -> bytes -> master
//! ```
//! [`BoardSim::spawn_pty`] runs the simulation on a thread behind a pseudo-terminal, so
//! the host side opens `/dev/pts/N` with [`crate::serial::SerialPort`] exactly as it
//! opens a USB-UART; [`BoardSim::spawn_pipe`] serves the same bytes through an
//! in-process [`SimPipe`] (`Read + Write`) instead. Simulated time is counted in clock
//! cycles: the UART divisor and the bridge's inter-byte timeout are in cycles too, so
//! a run is exact whatever the wall-clock speed. The thread keeps clocking while
//! anything is happening (bytes in flight, the tile running) and for a little longer
//! than the bridge's timeout after the last activity (so that timeouts fire and their
//! replies go out), then sleeps until the host writes again.

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
    rx: PortId,
    tx: PortId,
    busy: PortId,
    host: PortId,
}

/// The verilated board top and the host-side UART on its pins.
pub struct BoardSim {
    model: VerilatedModel,
    p: Ports,
    uart: HostUart,
    cfg: BoardTopConfig,
    /// Cycles since the last sign of activity.
    quiet: u64,
}

impl BoardSim {
    /// Emit the board top for `tile` with a bridge of `divisor` cycles per bit and an
    /// inter-byte timeout of `timeout` cycles, verilate it (cached), and boot it.
    pub fn build(tile: &TileConfig, divisor: u32, timeout: u32) -> Result<Self, SimError> {
        let cfg = BoardTopConfig::sim(tile.clone(), divisor, timeout);
        let verilog = minilpu_hdl::emit_board_verilog(&cfg)?;
        let opts = BuildOptions {
            extra_args: SIM_ARGS.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        let model = VerilatedModel::build(&verilog, minilpu_hdl::TOP_MODULE, &opts)?;
        let p = Ports {
            rx: model.port("uart_rx")?,
            tx: model.port("uart_tx")?,
            busy: model.port("led_busy")?,
            host: model.port("led_host")?,
        };
        let mut sim = Self {
            model,
            p,
            uart: HostUart::new(divisor),
            cfg,
            quiet: 0,
        };
        for _ in 0..BOOT_CYCLES {
            sim.step();
        }
        Ok(sim)
    }

    /// The board top's configuration.
    pub fn config(&self) -> &BoardTopConfig {
        &self.cfg
    }

    /// Clock cycles simulated so far.
    pub fn cycles(&self) -> u64 {
        self.model.cycles()
    }

    /// Queue bytes for the host-side transmitter.
    pub fn send(&mut self, bytes: &[u8]) {
        self.uart.tx_queue.extend(bytes);
    }

    /// Hold the line low for `cycles` after the queued bytes (a UART break: the board
    /// sees a byte with a low stop bit).
    pub fn send_break(&mut self, cycles: u64) {
        self.uart.brk += cycles;
    }

    /// Bytes the host-side receiver has assembled since the last call.
    pub fn take_received(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.uart.received)
    }

    /// Stop bits the host-side receiver found low (the board never sends those).
    pub fn framing_errors(&self) -> u64 {
        self.uart.framing_errors
    }

    /// One clock cycle: drive `uart_rx`, tick, sample `uart_tx`.
    pub fn step(&mut self) {
        let level = self.uart.tx_level();
        self.model.set_u64(self.p.rx, level as u64);
        self.model.tick();
        let tx = self.model.get_u64(self.p.tx) != 0;
        self.uart.rx_sample(tx);
        let busy = self.model.get_u64(self.p.busy) != 0;
        let host = self.model.get_u64(self.p.host) != 0;
        if !level || !tx || busy || host || self.uart.rx.is_some() || !self.uart.tx_idle() {
            self.quiet = 0;
        } else {
            self.quiet += 1;
        }
    }

    /// Cycles after the last activity during which the board may still answer on its
    /// own (the bridge's timeout and a reply), plus margin.
    pub fn linger(&self) -> u64 {
        let b = &self.cfg.bridge;
        b.timeout as u64 + 40 * b.divisor as u64 + 2 * self.cfg.led_stretch as u64 + 256
    }

    /// Nothing in flight and nothing will happen without new host bytes.
    pub fn settled(&self) -> bool {
        self.uart.tx_idle() && self.quiet >= self.linger()
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
    pub fn spawn_pty(self) -> io::Result<SimBoard> {
        let pty = Pty::open()?;
        let path = pty.slave_path.clone();
        Ok(SimBoard::spawn(self, End::Pty(pty), Some(path)))
    }

    /// Serve the board through an in-process byte pipe.
    pub fn spawn_pipe(self) -> (SimBoard, SimPipe) {
        let (to_sim, from_host) = channel();
        let (to_host, from_sim) = channel();
        let board = SimBoard::spawn(
            self,
            End::Chan {
                rx: from_host,
                tx: to_host,
            },
            None,
        );
        let pipe = SimPipe {
            tx: to_sim,
            rx: from_sim,
            pending: VecDeque::new(),
            timeout: Duration::from_secs(10),
        };
        (board, pipe)
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

/// A simulated board running on its own thread; dropping it stops the thread.
pub struct SimBoard {
    stop: Arc<AtomicBool>,
    cycles: Arc<AtomicU64>,
    path: Option<PathBuf>,
    thread: Option<JoinHandle<BoardSim>>,
}

impl SimBoard {
    fn spawn(mut sim: BoardSim, mut end: End, path: Option<PathBuf>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let cycles = Arc::new(AtomicU64::new(sim.cycles()));
        let (stop2, cycles2) = (stop.clone(), cycles.clone());
        let thread = std::thread::spawn(move || {
            const BATCH: u64 = 2048;
            while !stop2.load(Ordering::Relaxed) {
                let wait = if sim.settled() {
                    Duration::from_millis(5)
                } else {
                    Duration::ZERO
                };
                match end.input(wait) {
                    Some(bytes) => sim.send(&bytes),
                    None => break,
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
                let out = sim.take_received();
                if !out.is_empty() && !end.output(&out) {
                    break;
                }
                cycles2.store(sim.cycles(), Ordering::Relaxed);
            }
            cycles2.store(sim.cycles(), Ordering::Relaxed);
            sim
        });
        Self {
            stop,
            cycles,
            path,
            thread: Some(thread),
        }
    }

    /// The pty slave to open (for [`BoardSim::spawn_pty`]).
    pub fn path(&self) -> &Path {
        self.path.as_deref().expect("a pty board has a path")
    }

    /// Clock cycles simulated so far (updated every few thousand cycles).
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
