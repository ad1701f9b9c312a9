//! `HostLink`: the host side of the UART bridge protocol (`docs/host-protocol.md`) over
//! any `Read + Write` byte stream: a USB-UART ([`crate::serial::SerialPort`] on
//! `/dev/ttyUSB1`), the simulated board behind a pty or a pipe ([`crate::board_sim`]).
//!
//! The API has the shape of [`crate::tile_sim::TileSim`]: `bus_write` / `bus_read` and
//! the memory helpers (`write_word`, `read_word`, `read_acc`, `load_program`,
//! `read_instr`, `run`), each returning a [`LinkError`] instead of panicking when the
//! link fails. Burst transfers move up to [`proto::MAX_BURST`] words per frame.
//!
//! ```no_run
//! use minilpu_testbench::host_link::HostLink;
//! use minilpu_testbench::serial::SerialPort;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let port = SerialPort::open("/dev/ttyUSB1", 1_000_000)?;
//! let mut link = HostLink::connect(port)?;
//! println!("{:?}", link.info());
//! # Ok(())
//! # }
//! ```

use crate::tile_sim::{reg, RunStatus};
use minilpu_hdl::host_bridge::proto;
use minilpu_model::isa::{Status, VAddr};
use minilpu_model::TileConfig;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// A reply status other than OK, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nack {
    /// The request's checksum was wrong.
    BadCrc,
    /// The request was cut short (inter-byte timeout).
    Timeout,
    /// Unknown command.
    BadCommand,
    /// Word count 0 or above the maximum burst.
    BadLength,
    /// A byte outside a frame.
    NoSync,
    /// A UART framing error.
    Framing,
    /// A status code this host does not know.
    Other(u8),
}

impl Nack {
    /// The status byte's meaning.
    pub fn from_status(s: u8) -> Self {
        match s {
            proto::ST_BAD_CRC => Nack::BadCrc,
            proto::ST_TIMEOUT => Nack::Timeout,
            proto::ST_BAD_CMD => Nack::BadCommand,
            proto::ST_BAD_LEN => Nack::BadLength,
            proto::ST_NO_SYNC => Nack::NoSync,
            proto::ST_FRAMING => Nack::Framing,
            other => Nack::Other(other),
        }
    }
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The byte stream failed (including a read timeout: no reply).
    #[error("link I/O: {0}")]
    Io(#[from] io::Error),
    /// The board answered with an error status.
    #[error("the board rejected the request: {0:?}")]
    Nack(Nack),
    /// The reply did not follow the protocol.
    #[error("bad reply: {0}")]
    BadReply(String),
    /// The tile did not behave as its register map says.
    #[error("tile: {0}")]
    Tile(String),
}

/// The tile's configuration word (`INFO` register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileInfo {
    /// int8 lanes per word.
    pub lanes: usize,
    /// Array columns.
    pub cols: usize,
    /// SRAM banks.
    pub banks: usize,
    /// The vector unit's operand stage (`v.*` one cycle longer).
    pub vector_operand_stage: bool,
    /// Register stages in front of the matmul array (`mxu.*` that many cycles longer).
    pub array_feed_stages: usize,
    /// Requantizer lanes.
    pub requant_lanes: usize,
    /// Cycles per requantizer column group (`requant_steps`).
    pub requant_steps: usize,
    /// Registers on the banks' read addresses (`INFO2`; every bank read's effects that
    /// many cycles later).
    pub bank_read_stages: usize,
    /// The accumulator read stage (`INFO2` bit 2; `mxu.run` reads accumulator rows a
    /// cycle earlier).
    pub acc_read_stage: bool,
    /// The sequencer's fetch stage (`INFO2` bit 3; one fetch cycle after `start`).
    pub fetch_stage: bool,
}

impl TileInfo {
    /// Decode the `INFO` and `INFO2` registers (a tile without `INFO2` reads 0 there).
    pub fn from_words(w: u32, w2: u32) -> Self {
        Self {
            lanes: (w & 0xff) as usize,
            cols: (w >> 8 & 0xff) as usize,
            banks: (w >> 16 & 0x1f) as usize,
            vector_operand_stage: w >> 23 & 1 == 1,
            array_feed_stages: (w >> 21 & 3) as usize,
            requant_lanes: (w >> 24 & 0x1f) as usize,
            requant_steps: 1 << (w >> 29),
            bank_read_stages: (w2 & 3) as usize,
            acc_read_stage: w2 >> 2 & 1 == 1,
            fetch_stage: w2 >> 3 & 1 == 1,
        }
    }

    /// What `cfg`'s tile reports (the fields of [`TileConfig::info_word`]).
    pub fn of(cfg: &TileConfig) -> Self {
        Self {
            lanes: cfg.lanes,
            cols: cfg.cols,
            banks: cfg.banks,
            vector_operand_stage: cfg.vector_operand_stage,
            array_feed_stages: cfg.array_feed_stages,
            requant_lanes: cfg.requant_lanes,
            requant_steps: cfg.requant_steps,
            bank_read_stages: cfg.bank_read_stages,
            acc_read_stage: cfg.acc_read_stage,
            fetch_stage: cfg.fetch_stage,
        }
    }
}

impl std::fmt::Display for TileInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lanes, {} columns, {} banks, {} requantizer lanes of {} steps, {}, {} array feed stage{}, {} bank read stage{}, {}, {}",
            self.lanes,
            self.cols,
            self.banks,
            self.requant_lanes,
            self.requant_steps,
            if self.vector_operand_stage {
                "a vector operand stage"
            } else {
                "no vector operand stage"
            },
            self.array_feed_stages,
            if self.array_feed_stages == 1 { "" } else { "s" },
            self.bank_read_stages,
            if self.bank_read_stages == 1 { "" } else { "s" },
            if self.acc_read_stage {
                "an accumulator read stage"
            } else {
                "no accumulator read stage"
            },
            if self.fetch_stage {
                "a fetch stage"
            } else {
                "no fetch stage"
            }
        )
    }
}

/// Counters of what went over the link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Requests sent.
    pub requests: u64,
    /// Bytes sent.
    pub bytes_out: u64,
    /// Bytes received.
    pub bytes_in: u64,
}

/// Encode a request frame: `A5 cmd addr_lo addr_hi count [data] crc`.
pub fn encode_request(cmd: u8, addr: u16, count: u8, data: &[u32]) -> Vec<u8> {
    let mut f = vec![proto::REQ_SYNC, cmd, addr as u8, (addr >> 8) as u8, count];
    for w in data {
        f.extend(w.to_le_bytes());
    }
    f.push(proto::crc8(&f[1..]));
    f
}

/// The host end of the bridge protocol over a byte stream `S`.
pub struct HostLink<S> {
    io: S,
    info: Option<TileInfo>,
    loaded: usize,
    /// How long [`run`](Self::run) polls for the tile to finish.
    pub run_timeout: Duration,
    stats: LinkStats,
}

impl<S: Read + Write> HostLink<S> {
    /// A link over `io` without any traffic yet (see [`connect`](Self::connect)).
    pub fn new(io: S) -> Self {
        Self {
            io,
            info: None,
            loaded: 0,
            run_timeout: Duration::from_secs(60),
            stats: LinkStats::default(),
        }
    }

    /// Open the link: ping the bridge (checking the protocol version) and read the
    /// tile's `INFO` register.
    pub fn connect(io: S) -> Result<Self, LinkError> {
        let mut link = Self::new(io);
        let id = link.ping()?;
        if id != proto::PING_WORD {
            return Err(LinkError::BadReply(format!(
                "ping answered {id:#010x}, expected {:#010x} (protocol version {})",
                proto::PING_WORD,
                proto::VERSION
            )));
        }
        let w = link.bus_read(reg::INFO)?;
        let info = TileInfo::from_words(w, link.bus_read(reg::INFO2)?);
        if info.lanes == 0 || info.cols == 0 {
            return Err(LinkError::Tile(format!("INFO register reads {info:?}")));
        }
        link.info = Some(info);
        Ok(link)
    }

    /// The byte stream.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// The stream back.
    pub fn into_inner(self) -> S {
        self.io
    }

    /// The tile's configuration (after [`connect`](Self::connect)).
    pub fn info(&self) -> Option<TileInfo> {
        self.info
    }

    /// Traffic so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// Send raw bytes (tests use this for malformed frames).
    pub fn send_raw(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        self.io.write_all(bytes)?;
        self.io.flush()?;
        self.stats.bytes_out += bytes.len() as u64;
        Ok(())
    }

    fn read_byte(&mut self) -> Result<u8, LinkError> {
        let mut b = [0u8; 1];
        loop {
            match self.io.read(&mut b) {
                Ok(1) => {
                    self.stats.bytes_in += 1;
                    return Ok(b[0]);
                }
                Ok(_) => {
                    return Err(LinkError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the byte stream closed",
                    )))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Read one reply: `5A status [data_len bytes if status is OK] crc`. Returns the
    /// status and the data; a wrong sync byte or checksum is a [`LinkError::BadReply`].
    pub fn read_reply(&mut self, data_len: usize) -> Result<(u8, Vec<u8>), LinkError> {
        let sync = self.read_byte()?;
        if sync != proto::REPLY_SYNC {
            return Err(LinkError::BadReply(format!(
                "reply starts with {sync:#04x}, expected {:#04x}",
                proto::REPLY_SYNC
            )));
        }
        let status = self.read_byte()?;
        let n = if status == proto::ST_OK { data_len } else { 0 };
        let mut body = vec![status];
        for _ in 0..n {
            body.push(self.read_byte()?);
        }
        let crc = self.read_byte()?;
        if crc != proto::crc8(&body) {
            return Err(LinkError::BadReply(format!(
                "reply checksum {crc:#04x}, computed {:#04x}",
                proto::crc8(&body)
            )));
        }
        body.remove(0);
        Ok((status, body))
    }

    /// One request and its reply; a non-OK status is [`LinkError::Nack`].
    fn transact(
        &mut self,
        cmd: u8,
        addr: u16,
        count: u8,
        data: &[u32],
        reply_words: usize,
    ) -> Result<Vec<u32>, LinkError> {
        let frame = encode_request(cmd, addr, count, data);
        self.stats.requests += 1;
        self.send_raw(&frame)?;
        let (status, bytes) = self.read_reply(4 * reply_words)?;
        if status != proto::ST_OK {
            return Err(LinkError::Nack(Nack::from_status(status)));
        }
        Ok(bytes
            .chunks(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The bridge's identification word ([`proto::PING_WORD`]).
    pub fn ping(&mut self) -> Result<u32, LinkError> {
        Ok(self.transact(proto::CMD_PING, 0, 0, &[], 1)?[0])
    }

    /// One bus write.
    pub fn bus_write(&mut self, addr: u16, value: u32) -> Result<(), LinkError> {
        self.bus_write_burst(addr, &[value])
    }

    /// One bus read.
    pub fn bus_read(&mut self, addr: u16) -> Result<u32, LinkError> {
        Ok(self.bus_read_burst(addr, 1)?[0])
    }

    /// Write `words` to `addr, addr + 1, ...` ([`proto::MAX_BURST`] words per frame).
    pub fn bus_write_burst(&mut self, addr: u16, words: &[u32]) -> Result<(), LinkError> {
        for (i, chunk) in words.chunks(proto::MAX_BURST).enumerate() {
            let a = addr.wrapping_add((i * proto::MAX_BURST) as u16);
            self.transact(proto::CMD_WRITE, a, chunk.len() as u8, chunk, 0)?;
        }
        Ok(())
    }

    /// Read `n` words from `addr, addr + 1, ...`.
    pub fn bus_read_burst(&mut self, addr: u16, n: usize) -> Result<Vec<u32>, LinkError> {
        let mut out = Vec::with_capacity(n);
        let mut done = 0;
        while done < n {
            let m = (n - done).min(proto::MAX_BURST);
            let a = addr.wrapping_add(done as u16);
            out.extend(self.transact(proto::CMD_READ, a, m as u8, &[], m)?);
            done += m;
        }
        Ok(out)
    }

    fn need_info(&self) -> Result<TileInfo, LinkError> {
        self.info
            .ok_or_else(|| LinkError::Tile("not connected: call HostLink::connect".into()))
    }

    fn select(&mut self, space: u32, bank: u8, word: usize) -> Result<(), LinkError> {
        self.bus_write(reg::SEL, space << 30 | (bank as u32) << 24 | word as u32)
    }

    fn store(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        let words: Vec<u32> = bytes
            .chunks(4)
            .map(|c| {
                let mut w = [0u8; 4];
                w[..c.len()].copy_from_slice(c);
                u32::from_le_bytes(w)
            })
            .collect();
        self.bus_write_burst(reg::BUF, &words)?;
        self.bus_write(reg::CMD, 1)
    }

    fn load(&mut self, n: usize) -> Result<Vec<u8>, LinkError> {
        // The buffer is ready 3 + b cycles after CMD (b bank read stages, at most 1);
        // the next frame is far later.
        self.bus_write(reg::CMD, 2)?;
        let mut out: Vec<u8> = self
            .bus_read_burst(reg::BUF, n.div_ceil(4))?
            .into_iter()
            .flat_map(u32::to_le_bytes)
            .collect();
        out.truncate(n);
        Ok(out)
    }

    /// Write one `lanes`-wide word (tile idle).
    pub fn write_word(&mut self, at: VAddr, word: &[i8]) -> Result<(), LinkError> {
        let info = self.need_info()?;
        if word.len() != info.lanes {
            return Err(LinkError::Tile(format!(
                "a word has {} lanes, got {}",
                info.lanes,
                word.len()
            )));
        }
        self.select(0, at.bank, at.word as usize)?;
        let bytes: Vec<u8> = word.iter().map(|&v| v as u8).collect();
        self.store(&bytes)
    }

    /// Read one word (tile idle).
    pub fn read_word(&mut self, at: VAddr) -> Result<Vec<i8>, LinkError> {
        let info = self.need_info()?;
        self.select(0, at.bank, at.word as usize)?;
        Ok(self
            .load(info.lanes)?
            .into_iter()
            .map(|b| b as i8)
            .collect())
    }

    /// Read one accumulator row (tile idle).
    pub fn read_acc(&mut self, row: usize) -> Result<Vec<i32>, LinkError> {
        let info = self.need_info()?;
        let n = minilpu_model::config::host_acc_columns_per_load(info.lanes, info.cols);
        let mut out = Vec::with_capacity(info.cols);
        for piece in 0..info.cols / n {
            self.select(2, piece as u8, row)?;
            out.extend(
                self.load(4 * n)?
                    .chunks(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        Ok(out)
    }

    /// Write instruction words from pc 0 (tile idle); words a previous, longer program
    /// loaded through this link are cleared to 0, as in a fresh instruction memory.
    pub fn load_program(&mut self, words: &[u64]) -> Result<(), LinkError> {
        for pc in 0..words.len().max(self.loaded) {
            self.select(1, 0, pc)?;
            self.store(&words.get(pc).copied().unwrap_or(0).to_le_bytes())?;
        }
        self.loaded = words.len();
        Ok(())
    }

    /// Read instruction word `pc` (tile idle).
    pub fn read_instr(&mut self, pc: usize) -> Result<u64, LinkError> {
        self.select(1, 0, pc)?;
        let b = self.load(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    /// `STATUS` decoded: busy, status code, pc.
    pub fn status(&mut self) -> Result<(bool, u8, u16), LinkError> {
        let s = self.bus_read(reg::STATUS)?;
        Ok((s & 1 != 0, ((s >> 2) & 7) as u8, (s >> 16) as u16))
    }

    /// Start the loaded program and poll `STATUS` until the tile is idle (at most
    /// [`run_timeout`](Self::run_timeout)); the cycles are the tile's own counter.
    pub fn run(&mut self) -> Result<RunStatus, LinkError> {
        self.bus_write(reg::CTRL, 1)?;
        let start = Instant::now();
        let (code, pc) = loop {
            let (busy, code, pc) = self.status()?;
            if !busy {
                break (code, pc);
            }
            if start.elapsed() > self.run_timeout {
                return Err(LinkError::Tile(format!(
                    "program still running after {:?}",
                    self.run_timeout
                )));
            }
        };
        let cycles = self.bus_read(reg::CYCLES)? as u64;
        Ok(RunStatus {
            status: Status::from_code(code)
                .ok_or_else(|| LinkError::Tile(format!("unknown status code {code}")))?,
            pc,
            cycles,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc8_check_value() {
        // CRC-8/SMBUS check value for "123456789".
        assert_eq!(proto::crc8(b"123456789"), 0xF4);
    }

    #[test]
    fn request_layout() {
        let f = encode_request(proto::CMD_WRITE, 0x0104, 1, &[0x1122_3344]);
        assert_eq!(&f[..9], &[0xA5, 1, 0x04, 0x01, 1, 0x44, 0x33, 0x22, 0x11]);
        assert_eq!(f[9], proto::crc8(&f[1..9]));
    }

    #[test]
    fn info_word() {
        let i = TileInfo::from_words(4 | 4 << 8 | 3 << 16 | 1 << 23 | 4 << 24, 0);
        assert_eq!(
            (i.lanes, i.cols, i.banks, i.requant_lanes, i.requant_steps),
            (4, 4, 3, 4, 1)
        );
        assert!(i.vector_operand_stage);
        assert!(!TileInfo::from_words(4 | 4 << 8 | 3 << 16, 0).vector_operand_stage);
        assert_eq!(i.array_feed_stages, 0);
        assert_eq!(TileInfo::from_words(2 << 21, 0).array_feed_stages, 2);
        assert_eq!(i.bank_read_stages, 0);
        assert_eq!(TileInfo::from_words(0, 1).bank_read_stages, 1);
        assert!(!i.acc_read_stage);
        assert!(TileInfo::from_words(0, 4).acc_read_stage);
        assert_eq!(TileInfo::from_words(0, 4).bank_read_stages, 0);
        assert!(!i.fetch_stage);
        assert!(TileInfo::from_words(0, 8).fetch_stage);
        assert!(!TileInfo::from_words(0, 8).acc_read_stage);
        for name in minilpu_model::config::PRESET_NAMES {
            let mut cfg = minilpu_model::TileConfig::preset(name).unwrap();
            for (b, e, fs) in [
                (0, false, false),
                (1, false, true),
                (0, true, false),
                (2, true, true),
                (3, false, true),
                (0, false, true),
            ] {
                cfg.bank_read_stages = b;
                cfg.acc_read_stage = e;
                cfg.fetch_stage = fs;
                assert_eq!(
                    TileInfo::from_words(cfg.info_word(), cfg.info2_word()),
                    TileInfo::of(&cfg),
                    "{name} b {b} acc stage {e} fetch stage {fs}"
                );
            }
        }
    }
}
