//! `HostBridge`: the tile's host bus carried over a UART (8N1), with the framed,
//! checksummed byte protocol of `docs/host-protocol.md`.
//!
//! ```text
//!   rx --> UartRx --> frame parser (CRC-8) --> burst buffer (64 x 32 bit) --+
//!                         |  errors, inter-byte timeout                    |
//!                         v                                                v
//!   tx <-- UartTx <-- reply (0x5A, status, [data], CRC-8) <-- bus_rdata   bus_we/re/addr/wdata
//! ```
//! **Requests** `A5 cmd addr_lo addr_hi count [4*count data bytes] crc`: `cmd` 0 ping,
//! 1 write `count` words to `addr, addr+1, ...`, 2 read `count` words from there;
//! `count` is 1..=[`proto::MAX_BURST`] (ignored by ping); `crc` is CRC-8 (polynomial 0x07,
//! init 0) over `cmd .. last data byte`. **Replies** `5A status [data] crc`, `crc` over
//! `status .. last data byte`. A frame has effects only when its checksum is right: a
//! write's words go to the burst buffer first and reach the bus after the check.
//!
//! **Errors never hang the link**: a byte outside a frame (`NO_SYNC`), an unknown
//! command, a bad count, a bad checksum or a framing error make the bridge drop bytes
//! until the line has been quiet for the inter-byte timeout, then send one error reply;
//! a frame that stops for the timeout (truncated) is answered `TIMEOUT` at once. Bytes
//! that arrive while the bridge is executing or replying are dropped (one frame in
//! flight; the host waits for each reply).
//! - **Latency**: a write's reply starts `3 * count + 1` cycles after its checksum byte;
//!   a read issues word `k`'s bus read right before sending it (bus read data one cycle
//!   later, three with the board top's bus stages, [`BridgeConfig::bus_stages`]: the
//!   UART is still sending the byte before it then), so reads see the registers as
//!   they are while the reply is being sent.
//! - **Throughput**: the UART's: `10 * divisor` cycles per byte each way.
//! - **Reset**: none; powers up idle (see [`crate::uart_rx`] for the line at power-up).
//! - **Cost** (yosys 0.23 `synth_ice40`, divisor 40, timeout 198 750; measured by
//!   `host_bridge.rs::the_bridge_alone_is_small_on_ice40`): about 300 SB_LUT4, 60
//!   SB_CARRY, 130 SB_DFF*, 1 SB_RAM40_4K (the burst buffer), no DSP. The CRC-8 step
//!   ([`Crc8`], one for both directions) and the burst buffer ([`BurstBuf`], written a
//!   byte at a time) are small Verilog leaves; the rest is a rust-hdl kernel. No word
//!   register: a write's bytes go straight into the burst buffer, a read's bytes are sent
//!   straight from the host port's held `bus_rdata`.
//!
//! States (`state`, numbered because rust-hdl 0.46 emits an enum's names as parameters
//! into every module that holds it, which lint reports as unused):
//!
//! | # | state | # | state |
//! |---|---|---|---|
//! | 0 | Idle: wait for `A5` | 8 | WrRead: read burst buffer word `k` (two halves) |
//! | 1 | Cmd | 9 | WrBus: bus write of word `k` |
//! | 2 | AddrLo | 10 | TxSync: send `5A` |
//! | 3 | AddrHi | 11 | TxStatus |
//! | 4 | Count | 12 | RdBus: bus read of word `k` |
//! | 5 | Data: write bytes into the burst buffer | 13 | RdWait: `bus_rdata` arrives |
//! | 6 | Check: the CRC byte | 14 | TxData |
//! | 7 | Drain: drop bytes until the line is quiet | 15 | TxCrc |

use crate::{BurstBuf, Crc8, UartRx, UartTx};
use rust_hdl::prelude::*;

/// The byte protocol's constants (`docs/host-protocol.md`).
pub mod proto {
    /// First byte of every request.
    pub const REQ_SYNC: u8 = 0xA5;
    /// First byte of every reply.
    pub const REPLY_SYNC: u8 = 0x5A;
    /// Command: answer with the bridge's identification word ([`PING_WORD`]).
    pub const CMD_PING: u8 = 0x00;
    /// Command: write `count` words to consecutive bus addresses.
    pub const CMD_WRITE: u8 = 0x01;
    /// Command: read `count` words from consecutive bus addresses.
    pub const CMD_READ: u8 = 0x02;
    /// Largest `count` of a write or read.
    pub const MAX_BURST: usize = 64;
    /// Protocol version, byte 0 of [`PING_WORD`].
    pub const VERSION: u8 = 1;
    /// Ping's data word: version, max burst, `'L'`, `'P'` (bytes 0..3, little-endian).
    pub const PING_WORD: u32 =
        VERSION as u32 | (MAX_BURST as u32) << 8 | (b'L' as u32) << 16 | (b'P' as u32) << 24;
    /// Reply status: done.
    pub const ST_OK: u8 = 0x00;
    /// Reply status: the request's checksum was wrong (nothing was done).
    pub const ST_BAD_CRC: u8 = 0x01;
    /// Reply status: the request stopped before its end for the inter-byte timeout.
    pub const ST_TIMEOUT: u8 = 0x02;
    /// Reply status: unknown command byte.
    pub const ST_BAD_CMD: u8 = 0x03;
    /// Reply status: `count` was 0 or above [`MAX_BURST`].
    pub const ST_BAD_LEN: u8 = 0x04;
    /// Reply status: a byte arrived outside a frame (not [`REQ_SYNC`]).
    pub const ST_NO_SYNC: u8 = 0x05;
    /// Reply status: a UART framing error (low stop bit, break) in or outside a frame.
    pub const ST_FRAMING: u8 = 0x06;

    /// CRC-8, polynomial 0x07, initial value 0, no reflection (CRC-8/SMBUS).
    pub fn crc8(bytes: &[u8]) -> u8 {
        let mut c = 0u8;
        for &b in bytes {
            c ^= b;
            for _ in 0..8 {
                c = if c & 0x80 != 0 {
                    (c << 1) ^ 0x07
                } else {
                    c << 1
                };
            }
        }
        c
    }
}

/// The bridge's timing: baud divisor and inter-byte timeout, both in clock cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BridgeConfig {
    /// Clock cycles per UART bit (`round(f_clk / baud)`, 4..=65535).
    pub divisor: u32,
    /// Quiet line (no byte being received) for this many cycles ends a frame as
    /// truncated, and ends the drain after an error. At least 20 bit times (two bytes),
    /// below 2^24.
    pub timeout: u32,
    /// Register stages the board top puts on the host bus between the bridge and the
    /// tile, each way (0 or 1; [`crate::BoardTopConfig::with_bus_stages`]): a bus read's
    /// data then arrives `1 + 2 * bus_stages` cycles after `bus_re`. The bridge needs no
    /// change for them: it takes a read's first byte only once the UART has sent the
    /// byte before it (`10 * divisor >= 40` cycles after the read), see `TxData`.
    pub bus_stages: u32,
}

impl BridgeConfig {
    /// Check the ranges (panics on values the RTL cannot hold).
    pub fn check(&self) {
        assert!(
            (4..=65535).contains(&self.divisor),
            "UART divisor {}",
            self.divisor
        );
        assert!(
            self.timeout >= 20 * self.divisor && self.timeout < 1 << 24,
            "timeout {} cycles (divisor {})",
            self.timeout,
            self.divisor
        );
        assert!(self.bus_stages <= 1, "bus stages {}", self.bus_stages);
    }
}

/// The UART host bridge.
#[derive(LogicBlock)]
pub struct HostBridge {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Serial input from the host (idle high).
    pub rx: Signal<In, Bit>,
    /// Serial output to the host (idle high).
    pub tx: Signal<Out, Bit>,
    /// Host bus: write.
    pub bus_we: Signal<Out, Bit>,
    /// Host bus: read (answer on `bus_rdata` next cycle).
    pub bus_re: Signal<Out, Bit>,
    /// Host bus: register address.
    pub bus_addr: Signal<Out, Bits<16>>,
    /// Host bus: write data.
    pub bus_wdata: Signal<Out, Bits<32>>,
    /// Host bus: read data of the previous cycle's `bus_re`.
    pub bus_rdata: Signal<In, Bits<32>>,
    /// A request is being received, executed or answered (for an activity LED).
    pub frame: Signal<Out, Bit>,
    urx: UartRx,
    utx: UartTx,
    crc8: Crc8,
    wbuf: BurstBuf,
    state: DFF<Bits<4>>,
    cmd: DFF<Bits<2>>,
    addr: DFF<Bits<16>>,
    count: DFF<Bits<7>>,
    k: DFF<Bits<7>>,
    baddr: DFF<Bits<16>>,
    nb: DFF<Bits<2>>,
    crc: DFF<Bits<8>>,
    status: DFF<Bits<3>>,
    quiet: DFF<Bits<24>>,
    infr: Signal<Local, Bit>,
    tmo: Signal<Local, Bit>,
    txb: Signal<Local, Bits<8>>,
    txgo: Signal<Local, Bit>,
    txd: Signal<Local, Bits<8>>,
    pgb: Signal<Local, Bits<8>>,
    timeout: Constant<Bits<24>>,
    quiet_mask: Constant<Bits<24>>,
    max_burst: Constant<Bits<8>>,
    ping_word: Constant<Bits<32>>,
}

impl HostBridge {
    /// A bridge with `cfg`'s baud divisor and timeout.
    pub fn new(cfg: BridgeConfig) -> Self {
        cfg.check();
        Self {
            clock: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            bus_we: Default::default(),
            bus_re: Default::default(),
            bus_addr: Default::default(),
            bus_wdata: Default::default(),
            bus_rdata: Default::default(),
            frame: Default::default(),
            urx: UartRx::new(cfg.divisor),
            utx: UartTx::new(cfg.divisor),
            crc8: Default::default(),
            // Written while a burst arrives, read (WrRead) only after its checksum byte.
            wbuf: Default::default(),
            state: Default::default(),
            cmd: Default::default(),
            addr: Default::default(),
            count: Default::default(),
            k: Default::default(),
            baddr: Default::default(),
            nb: Default::default(),
            crc: Default::default(),
            status: Default::default(),
            quiet: Default::default(),
            infr: Default::default(),
            tmo: Default::default(),
            txb: Default::default(),
            txgo: Default::default(),
            txd: Default::default(),
            pgb: Default::default(),
            timeout: Constant::new((cfg.timeout as u64).to_bits()),
            // `quiet` never exceeds `timeout`: synthesis keeps only its low bits.
            quiet_mask: crate::range_mask(cfg.timeout as usize + 1),
            max_burst: Constant::new((proto::MAX_BURST as u64).to_bits()),
            ping_word: Constant::new((proto::PING_WORD as u64).to_bits()),
        }
    }
}

// Match guards (what clippy would like) are not rust-hdl 0.46 HDL: keep `if` in arms.
#[allow(clippy::collapsible_match)]
impl Logic for HostBridge {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, state, cmd, addr, count, k, baddr, nb, crc, status, quiet);
        clock!(self, clock, urx, utx, wbuf);
        self.urx.rx.next = self.rx.val();
        self.tx.next = self.utx.tx.val();
        self.frame.next = self.state.q.val() != 0;
        // Line-quiet timer: restarts with every bit of every byte.
        if self.urx.active.val() | self.urx.valid.val() | self.urx.frame_err.val() {
            self.quiet.d.next = 0.into();
        } else if self.quiet.q.val() != self.timeout.val() {
            self.quiet.d.next = (self.quiet.q.val() + 1) & self.quiet_mask.val();
        }
        self.tmo.next = self.quiet.q.val() == self.timeout.val();
        self.infr.next = (self.state.q.val() >= 1) & (self.state.q.val() <= 6);
        // The reply's data word: the ping word, or the bus read data, which the host port
        // holds from the bus read (RdBus) until the next one (`HostPort::bus_rdata`): the
        // bridge issues the next read only after the word's 4 bytes are sent.
        // Byte `nb` of it (the byte select first: an 8-bit, not a 32-bit, ping mux).
        self.txd.next = self.bus_rdata.val().get_bits::<8>(0);
        self.pgb.next = self.ping_word.val().get_bits::<8>(0);
        if self.nb.q.val() == 1 {
            self.txd.next = self.bus_rdata.val().get_bits::<8>(8);
            self.pgb.next = self.ping_word.val().get_bits::<8>(8);
        }
        if self.nb.q.val() == 2 {
            self.txd.next = self.bus_rdata.val().get_bits::<8>(16);
            self.pgb.next = self.ping_word.val().get_bits::<8>(16);
        }
        if self.nb.q.val() == 3 {
            self.txd.next = self.bus_rdata.val().get_bits::<8>(24);
            self.pgb.next = self.ping_word.val().get_bits::<8>(24);
        }
        if self.cmd.q.val() == 0 {
            self.txd.next = self.pgb.val();
        }
        self.txb.next = 0.into();
        self.txgo.next = false;
        // Bus: word k of the burst at addr + k, kept in `baddr` (it follows `k`: set to
        // `addr` where `k` is cleared, which the Check and TxSync states do after the
        // header, and counted up with it), so that no adder sits in front of the host
        // port's address decode.
        self.bus_we.next = false;
        self.bus_re.next = false;
        self.bus_addr.next = self.baddr.q.val();
        self.bus_wdata.next = self.wbuf.rdata.val();
        // Burst buffer: written with each completed word of a write, read by index k.
        // (k < 64 whenever the buffer is written or read: count <= MAX_BURST.)
        self.wbuf.we.next = false;
        self.wbuf.lane.next = self.nb.q.val();
        self.wbuf.waddr.next = self.k.q.val().get_bits::<6>(0);
        self.wbuf.raddr.next = self.k.q.val().get_bits::<6>(0);
        self.wbuf.rhalf.next = self.nb.q.val().get_bit(0);
        self.wbuf.din.next = self.urx.data.val();
        match self.state.q.val().index() {
            0 => {
                // Idle
                self.k.d.next = 0.into();
                self.baddr.d.next = self.addr.q.val();
                self.nb.d.next = 0.into();
                self.crc.d.next = 0.into();
                if self.urx.frame_err.val() {
                    self.status.d.next = 6.into();
                    self.state.d.next = 7.into(); // Drain
                }
                if self.urx.valid.val() {
                    if self.urx.data.val() == 0xA5 {
                        self.state.d.next = 1.into(); // Cmd
                    } else {
                        self.status.d.next = 5.into();
                        self.state.d.next = 7.into(); // Drain
                    }
                }
            }
            1 => {
                // Cmd
                if self.urx.valid.val() {
                    self.cmd.d.next = self.urx.data.val().get_bits::<2>(0);
                    self.crc.d.next = self.crc8.out.val();
                    if self.urx.data.val() > 2 {
                        self.status.d.next = 3.into();
                        self.state.d.next = 7.into(); // Drain
                    } else {
                        self.state.d.next = 2.into(); // AddrLo
                    }
                }
            }
            2 => {
                // AddrLo
                if self.urx.valid.val() {
                    self.addr.d.next = bit_cast::<16, 8>(self.urx.data.val());
                    self.crc.d.next = self.crc8.out.val();
                    self.state.d.next = 3.into(); // AddrHi
                }
            }
            3 => {
                // AddrHi
                if self.urx.valid.val() {
                    self.addr.d.next =
                        self.addr.q.val() | (bit_cast::<16, 8>(self.urx.data.val()) << 8);
                    self.crc.d.next = self.crc8.out.val();
                    self.state.d.next = 4.into(); // Count
                }
            }
            4 => {
                // Count
                if self.urx.valid.val() {
                    self.count.d.next = self.urx.data.val().get_bits::<7>(0);
                    self.crc.d.next = self.crc8.out.val();
                    if self.cmd.q.val() == 0 {
                        // Ping: one data word, whatever the count says.
                        self.count.d.next = 1.into();
                        self.state.d.next = 6.into(); // Check
                    } else if (self.urx.data.val() == 0)
                        | (self.urx.data.val() > self.max_burst.val())
                    {
                        self.status.d.next = 4.into();
                        self.state.d.next = 7.into(); // Drain
                    } else if self.cmd.q.val() == 1 {
                        self.state.d.next = 5.into(); // Data
                    } else {
                        self.state.d.next = 6.into(); // Check
                    }
                }
            }
            5 => {
                // Data
                if self.urx.valid.val() {
                    self.wbuf.we.next = true;
                    self.crc.d.next = self.crc8.out.val();
                    self.nb.d.next = self.nb.q.val() + 1;
                    if self.nb.q.val() == 3 {
                        self.k.d.next = self.k.q.val() + 1;
                        self.baddr.d.next = self.baddr.q.val() + 1;
                        if (self.k.q.val() + 1) == self.count.q.val() {
                            self.state.d.next = 6.into(); // Check
                        }
                    }
                }
            }
            6 => {
                // Check
                if self.urx.valid.val() {
                    self.k.d.next = 0.into();
                    self.baddr.d.next = self.addr.q.val();
                    if self.urx.data.val() == self.crc.q.val() {
                        self.status.d.next = 0.into();
                        if self.cmd.q.val() == 1 {
                            self.state.d.next = 8.into(); // WrRead
                        } else {
                            self.state.d.next = 10.into(); // TxSync
                        }
                    } else {
                        self.status.d.next = 1.into();
                        self.state.d.next = 7.into(); // Drain
                    }
                }
            }
            7 => {
                // Drain
                if self.tmo.val() {
                    self.state.d.next = 10.into(); // TxSync
                }
            }
            8 => {
                // WrRead: the word's low half (nb 0), then its high half (nb 1); nb is 0
                // on entry (the Data bytes wrapped it, or the last WrRead cleared it).
                self.nb.d.next = 1.into();
                if self.nb.q.val() == 1 {
                    self.nb.d.next = 0.into();
                    self.state.d.next = 9.into(); // WrBus
                }
            }
            9 => {
                // WrBus
                self.bus_we.next = true;
                self.k.d.next = self.k.q.val() + 1;
                self.baddr.d.next = self.baddr.q.val() + 1;
                if (self.k.q.val() + 1) == self.count.q.val() {
                    self.state.d.next = 10.into(); // TxSync
                } else {
                    self.state.d.next = 8.into(); // WrRead
                }
            }
            10 => {
                // TxSync
                self.k.d.next = 0.into();
                self.baddr.d.next = self.addr.q.val();
                self.nb.d.next = 0.into();
                self.crc.d.next = 0.into();
                if !self.utx.busy.val() {
                    self.txb.next = 0x5A.into();
                    self.txgo.next = true;
                    self.state.d.next = 11.into(); // TxStatus
                }
            }
            11 => {
                // TxStatus
                if !self.utx.busy.val() {
                    self.txb.next = bit_cast::<8, 3>(self.status.q.val());
                    self.txgo.next = true;
                    self.crc.d.next = self.crc8.out.val();
                    if self.status.q.val() != 0 {
                        self.state.d.next = 15.into(); // TxCrc
                    } else if self.cmd.q.val() == 2 {
                        self.state.d.next = 12.into(); // RdBus
                    } else if self.cmd.q.val() == 0 {
                        self.state.d.next = 14.into(); // TxData
                    } else {
                        self.state.d.next = 15.into(); // TxCrc
                    }
                }
            }
            12 => {
                // RdBus
                self.bus_re.next = true;
                self.state.d.next = 13.into(); // RdWait
            }
            13 => {
                // RdWait: `bus_rdata` is valid from the next cycle on (two more with the
                // board top's bus stages). TxData uses it only once the UART has sent
                // the byte before (the status or the last word's last byte), which takes
                // `10 * divisor` >= 40 cycles from its start two cycles before `RdBus`.
                self.state.d.next = 14.into(); // TxData
            }
            14 => {
                // TxData
                if !self.utx.busy.val() {
                    self.txb.next = self.txd.val();
                    self.txgo.next = true;
                    self.crc.d.next = self.crc8.out.val();
                    self.nb.d.next = self.nb.q.val() + 1;
                    if self.nb.q.val() == 3 {
                        self.k.d.next = self.k.q.val() + 1;
                        self.baddr.d.next = self.baddr.q.val() + 1;
                        if (self.k.q.val() + 1) == self.count.q.val() {
                            self.state.d.next = 15.into(); // TxCrc
                        } else {
                            self.state.d.next = 12.into(); // RdBus
                        }
                    }
                }
            }
            15 => {
                // TxCrc
                if !self.utx.busy.val() {
                    self.txb.next = self.crc.q.val();
                    self.txgo.next = true;
                    self.state.d.next = 0.into(); // Idle
                }
            }
            _ => {}
        }
        // Inside a frame: a framing error or a quiet line ends it.
        if self.infr.val() {
            if self.tmo.val() {
                self.status.d.next = 2.into();
                self.state.d.next = 10.into(); // TxSync
            }
            if self.urx.frame_err.val() {
                self.status.d.next = 6.into();
                self.state.d.next = 7.into(); // Drain
            }
        }
        // One CRC step, shared: the received byte while a request arrives (states 1..=6),
        // the byte being sent while the reply goes out (states 10..=15).
        self.crc8.crc.next = self.crc.q.val();
        self.crc8.din.next = self.urx.data.val();
        if self.state.q.val() >= 10 {
            self.crc8.din.next = self.txb.val();
        }
        self.utx.data.next = self.txb.val();
        self.utx.start.next = self.txgo.val();
    }
}

/// The Verilog of the bridge alone (top module `top`), e.g. to measure what it costs.
pub fn emit_bridge_verilog(cfg: BridgeConfig) -> String {
    let mut b = HostBridge::new(cfg);
    b.connect_all();
    generate_verilog(&b)
}
