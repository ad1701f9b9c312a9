//! The instruction set (`docs/isa.md`): instructions, their 64-bit encoding, the units
//! they run on, and the status codes the tile reports.
//!
//! [`Instr::encode`] and [`Instr::decode`] are exact inverses on legal words; `decode`
//! rejects every word the hardware would reject as `ILLEGAL` for any configuration
//! (unknown opcode, non-zero unused bits, zero counts). Configuration-dependent checks
//! (bank numbers, memory ranges) belong to the checker and the hardware.

use std::fmt;

/// Bits of a word address inside one bank (every memory is at most 16384 deep).
pub const WORD_BITS: u32 = 14;
/// Bits of a bank number.
pub const BANK_BITS: u32 = 5;
/// Largest depth of any memory addressed by an instruction.
pub const MAX_DEPTH: usize = 1 << WORD_BITS;
/// Opcodes occupy bits 63..59.
pub const OPCODE_SHIFT: u32 = 59;
/// Nesting limit of `loop`.
pub const MAX_LOOP_DEPTH: usize = 4;

/// A vector address: word `word` of bank `bank` (written `bK:W`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VAddr {
    /// Bank number (0 = activations, 1.. = weights).
    pub bank: u8,
    /// Word inside the bank, < 16384.
    pub word: u16,
}

impl VAddr {
    fn field(self) -> u64 {
        ((self.bank as u64) << WORD_BITS) | self.word as u64
    }
    fn from_field(f: u64) -> VAddr {
        VAddr {
            bank: ((f >> WORD_BITS) & ((1 << BANK_BITS) - 1)) as u8,
            word: (f & ((1 << WORD_BITS) - 1)) as u16,
        }
    }
    /// This address plus `n` words (same bank).
    pub fn offset(self, n: usize) -> VAddr {
        VAddr {
            bank: self.bank,
            word: (self.word as usize + n) as u16,
        }
    }
}

impl fmt::Display for VAddr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "b{}:{}", self.bank, self.word)
    }
}

/// Two-source vector operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VBinOp {
    /// Saturating int8 add.
    Add,
    /// Lane-wise max.
    Max,
}

/// One-source vector operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VUnOp {
    /// Lane-wise max(x, 0).
    Relu,
    /// Copy.
    Copy,
    /// Index of the first maximum, as int32 in lanes 0..4 of one word.
    Argmax,
}

/// One instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Instr {
    /// Do nothing for one cycle.
    Nop,
    /// Issue nothing for `n` further cycles.
    Wait(u32),
    /// Run the body (the instructions from the next one up to, not including, pc
    /// `end`) `n` times (n >= 1, < 2^24). The jump back costs no cycle.
    Loop {
        /// Trip count.
        n: u32,
        /// pc of the first instruction after the body (16 bits).
        end: u16,
    },
    /// Stop issuing; done when all units have finished.
    Halt,
    /// Set the vector length (1..=16384 words).
    Vlen(u16),
    /// Install the weight tile at weight word `w` into the shadow registers.
    MxuLoad {
        /// First weight word.
        w: u16,
    },
    /// Stream `rows` rows of bank 0 from `a` through the array into accumulator `acc..`;
    /// with `load`, also start installing the weight tile at that weight word (the
    /// swap, if any, happens before the install's first write).
    MxuRun {
        /// First bank-0 word.
        a: u16,
        /// Rows (>= 1).
        rows: u16,
        /// First accumulator row.
        acc: u16,
        /// Activate the shadow tile before the first row.
        swap: bool,
        /// Add to the accumulator rows instead of overwriting them.
        accumulate: bool,
        /// Install the weight tile at this weight word in the same cycle (MXU-load).
        load: Option<u16>,
    },
    /// Load the requantization parameters from `src`.
    RqParam {
        /// First parameter word.
        src: VAddr,
    },
    /// Requantize `rows` accumulator rows from `acc` into `dst..`.
    RqRun {
        /// First accumulator row.
        acc: u16,
        /// Rows (>= 1).
        rows: u16,
        /// First destination word.
        dst: VAddr,
        /// Apply ReLU.
        relu: bool,
    },
    /// `dst + i = op(a + i, b + i)` for `i < vlen`.
    VBin {
        /// Operation.
        op: VBinOp,
        /// Destination.
        dst: VAddr,
        /// First source.
        a: VAddr,
        /// Second source.
        b: VAddr,
    },
    /// `dst + i = op(a + i)` for `i < vlen` (argmax: one result word).
    VUn {
        /// Operation.
        op: VUnOp,
        /// Destination.
        dst: VAddr,
        /// Source.
        a: VAddr,
    },
    /// Send `vlen` words from `src` to the east neighbour, in paced frames.
    Send {
        /// First word.
        src: VAddr,
    },
    /// Receive `vlen` words from the west neighbour into `dst`, in paced frames.
    Recv {
        /// First word.
        dst: VAddr,
    },
}

/// The functional units (and sub-units) instructions are dispatched to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// The sequencer itself (`nop`, `wait`, `loop`, `halt`, `vlen`).
    Seq,
    /// Weight install port of the matmul unit.
    MxuLoad,
    /// Activation stream of the matmul unit.
    MxuRun,
    /// Requantize unit.
    Rqu,
    /// Vector unit.
    Vxu,
    /// Link transmitter.
    LinkTx,
    /// Link receiver.
    LinkRx,
}

/// Status codes of the tile (`docs/isa.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Status {
    /// Halted normally.
    Ok = 0,
    /// Illegal instruction word or operand.
    Illegal = 1,
    /// Access past the end of a memory, or loop nesting error.
    Range = 2,
    /// Instruction issued to a busy unit.
    Busy = 3,
    /// Two accesses to one memory port in one cycle (found by the checker; the
    /// hardware does not detect it).
    Port = 4,
    /// Instruction not supported by this build (link before Step 3).
    Unsupported = 5,
    /// The pc ran past the end of instruction memory.
    Pc = 6,
    /// A link error: a `recv` found no frame when one was due, a frame was lost
    /// (out of sequence), the receive queue overflowed, or a `send` found its
    /// transmit buffer slot busy (`docs/isa.md`, "The link instructions").
    Link = 7,
}

impl Status {
    /// The code as the hardware reports it.
    pub fn code(self) -> u8 {
        self as u8
    }
    /// The status for a hardware code.
    pub fn from_code(c: u8) -> Option<Status> {
        use Status::*;
        [Ok, Illegal, Range, Busy, Port, Unsupported, Pc, Link]
            .into_iter()
            .find(|s| s.code() == c)
    }
    /// Upper-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Illegal => "ILLEGAL",
            Status::Range => "RANGE",
            Status::Busy => "BUSY",
            Status::Port => "PORT",
            Status::Unsupported => "UNSUPPORTED",
            Status::Pc => "PC",
            Status::Link => "LINK",
        }
    }
}

/// Opcodes.
pub mod op {
    /// `nop`
    pub const NOP: u64 = 0x01;
    /// `wait`
    pub const WAIT: u64 = 0x02;
    /// `loop`
    pub const LOOP: u64 = 0x03;
    /// `halt`
    pub const HALT: u64 = 0x05;
    /// `vlen`
    pub const VLEN: u64 = 0x06;
    /// `mxu.load`
    pub const MXU_LOAD: u64 = 0x0c;
    /// `mxu.run`
    pub const MXU_RUN: u64 = 0x0d;
    /// `rq.param`
    pub const RQ_PARAM: u64 = 0x08;
    /// `rq.run`
    pub const RQ_RUN: u64 = 0x09;
    /// `v.add`
    pub const V_ADD: u64 = 0x10;
    /// `v.max`
    pub const V_MAX: u64 = 0x11;
    /// `v.relu`
    pub const V_RELU: u64 = 0x12;
    /// `v.copy`
    pub const V_COPY: u64 = 0x13;
    /// `v.argmax`
    pub const V_ARGMAX: u64 = 0x14;
    /// `send`
    pub const SEND: u64 = 0x18;
    /// `recv`
    pub const RECV: u64 = 0x19;
}

/// A word that is not a legal instruction, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("illegal instruction word {word:#018x}: {reason}")]
pub struct DecodeError {
    /// The word.
    pub word: u64,
    /// Why.
    pub reason: String,
}

const VA: u64 = (1 << (WORD_BITS + BANK_BITS)) - 1;
const W14: u64 = (1 << WORD_BITS) - 1;

fn bits(w: u64, lo: u32, n: u32) -> u64 {
    (w >> lo) & ((1u64 << n) - 1)
}

impl Instr {
    /// The unit this instruction is dispatched to.
    pub fn unit(&self) -> Unit {
        match self {
            Instr::Nop | Instr::Wait(_) | Instr::Loop { .. } | Instr::Halt | Instr::Vlen(_) => {
                Unit::Seq
            }
            Instr::MxuLoad { .. } => Unit::MxuLoad,
            Instr::MxuRun { .. } => Unit::MxuRun,
            Instr::RqParam { .. } | Instr::RqRun { .. } => Unit::Rqu,
            Instr::VBin { .. } | Instr::VUn { .. } => Unit::Vxu,
            Instr::Send { .. } => Unit::LinkTx,
            Instr::Recv { .. } => Unit::LinkRx,
        }
    }

    /// The 64-bit encoding. Fields are masked to their width; values that do not fit
    /// (e.g. a word address >= 16384) are the assembler's to reject before encoding.
    pub fn encode(&self) -> u64 {
        let opc = |o: u64| o << OPCODE_SHIFT;
        match *self {
            Instr::Nop => opc(op::NOP),
            Instr::Wait(n) => opc(op::WAIT) | n as u64,
            Instr::Loop { n, end } => opc(op::LOOP) | (n as u64 & 0xff_ffff) | ((end as u64) << 32),
            Instr::Halt => opc(op::HALT),
            Instr::Vlen(n) => opc(op::VLEN) | n as u64,
            Instr::MxuLoad { w } => opc(op::MXU_LOAD) | (w as u64 & W14),
            Instr::MxuRun {
                a,
                rows,
                acc,
                swap,
                accumulate,
                load,
            } => {
                opc(op::MXU_RUN)
                    | (a as u64 & W14)
                    | ((rows as u64 & W14) << 14)
                    | ((acc as u64 & W14) << 28)
                    | ((swap as u64) << 42)
                    | ((accumulate as u64) << 43)
                    | ((load.is_some() as u64) << 44)
                    | ((load.unwrap_or(0) as u64 & W14) << 45)
            }
            Instr::RqParam { src } => opc(op::RQ_PARAM) | src.field(),
            Instr::RqRun {
                acc,
                rows,
                dst,
                relu,
            } => {
                opc(op::RQ_RUN)
                    | (acc as u64 & W14)
                    | ((rows as u64 & W14) << 16)
                    | (dst.field() << 32)
                    | ((relu as u64) << 52)
            }
            Instr::VBin { op: o, dst, a, b } => {
                let code = match o {
                    VBinOp::Add => op::V_ADD,
                    VBinOp::Max => op::V_MAX,
                };
                opc(code) | dst.field() | (a.field() << 19) | (b.field() << 38)
            }
            Instr::VUn { op: o, dst, a } => {
                let code = match o {
                    VUnOp::Relu => op::V_RELU,
                    VUnOp::Copy => op::V_COPY,
                    VUnOp::Argmax => op::V_ARGMAX,
                };
                opc(code) | dst.field() | (a.field() << 19)
            }
            Instr::Send { src } => opc(op::SEND) | src.field(),
            Instr::Recv { dst } => opc(op::RECV) | dst.field(),
        }
    }

    /// Decode a word; every word the hardware calls `ILLEGAL` in every configuration
    /// is rejected with the reason.
    pub fn decode(word: u64) -> Result<Instr, DecodeError> {
        let err = |reason: &str| DecodeError {
            word,
            reason: reason.into(),
        };
        let opcode = word >> OPCODE_SHIFT;
        // Bits every format must leave zero: all bits outside `used`.
        let check = |used: u64| -> Result<(), DecodeError> {
            if word & !(used | (0x1f << OPCODE_SHIFT)) != 0 {
                Err(err("non-zero unused bits"))
            } else {
                Ok(())
            }
        };
        let nonzero = |v: u64, what: &str| -> Result<(), DecodeError> {
            if v == 0 {
                Err(err(&format!("{what} = 0")))
            } else {
                Ok(())
            }
        };
        let i = match opcode {
            op::NOP => {
                check(0)?;
                Instr::Nop
            }
            op::WAIT => {
                check(0xffff_ffff)?;
                Instr::Wait(bits(word, 0, 32) as u32)
            }
            op::LOOP => {
                check(0xff_ffff | (0xffff << 32))?;
                nonzero(bits(word, 0, 24), "loop count")?;
                Instr::Loop {
                    n: bits(word, 0, 24) as u32,
                    end: bits(word, 32, 16) as u16,
                }
            }
            op::HALT => {
                check(0)?;
                Instr::Halt
            }
            op::VLEN => {
                check(0xffff)?;
                let n = bits(word, 0, 16);
                nonzero(n, "vlen")?;
                if n as usize > MAX_DEPTH {
                    return Err(err("vlen > 16384"));
                }
                Instr::Vlen(n as u16)
            }
            op::MXU_LOAD => {
                check(W14)?;
                Instr::MxuLoad {
                    w: bits(word, 0, 14) as u16,
                }
            }
            op::MXU_RUN => {
                let load = bits(word, 44, 1) == 1;
                let wmask = if load { W14 << 45 } else { 0 };
                check(W14 | (W14 << 14) | (W14 << 28) | (7 << 42) | wmask)?;
                nonzero(bits(word, 14, 14), "rows")?;
                Instr::MxuRun {
                    a: bits(word, 0, 14) as u16,
                    rows: bits(word, 14, 14) as u16,
                    acc: bits(word, 28, 14) as u16,
                    swap: bits(word, 42, 1) == 1,
                    accumulate: bits(word, 43, 1) == 1,
                    load: load.then(|| bits(word, 45, 14) as u16),
                }
            }
            op::RQ_PARAM => {
                check(VA)?;
                Instr::RqParam {
                    src: VAddr::from_field(word & VA),
                }
            }
            op::RQ_RUN => {
                check(W14 | (W14 << 16) | (VA << 32) | (1 << 52))?;
                nonzero(bits(word, 16, 14), "rows")?;
                Instr::RqRun {
                    acc: bits(word, 0, 14) as u16,
                    rows: bits(word, 16, 14) as u16,
                    dst: VAddr::from_field(bits(word, 32, 19)),
                    relu: bits(word, 52, 1) == 1,
                }
            }
            op::V_ADD | op::V_MAX => {
                check(VA | (VA << 19) | (VA << 38))?;
                Instr::VBin {
                    op: if opcode == op::V_ADD {
                        VBinOp::Add
                    } else {
                        VBinOp::Max
                    },
                    dst: VAddr::from_field(word & VA),
                    a: VAddr::from_field(bits(word, 19, 19)),
                    b: VAddr::from_field(bits(word, 38, 19)),
                }
            }
            op::V_RELU | op::V_COPY | op::V_ARGMAX => {
                check(VA | (VA << 19))?;
                Instr::VUn {
                    op: match opcode {
                        op::V_RELU => VUnOp::Relu,
                        op::V_COPY => VUnOp::Copy,
                        _ => VUnOp::Argmax,
                    },
                    dst: VAddr::from_field(word & VA),
                    a: VAddr::from_field(bits(word, 19, 19)),
                }
            }
            op::SEND => {
                check(VA)?;
                Instr::Send {
                    src: VAddr::from_field(word & VA),
                }
            }
            op::RECV => {
                check(VA)?;
                Instr::Recv {
                    dst: VAddr::from_field(word & VA),
                }
            }
            _ => return Err(err(&format!("unknown opcode {opcode:#04x}"))),
        };
        Ok(i)
    }
}

#[cfg(test)]
mod tests;
