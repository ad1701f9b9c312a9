//! One program on either backend, as `minilpu run` and the tests run it: load bank
//! words, run, read back regions.

use crate::runner::Backend;
use crate::tile_sim::{SimError, TileSim};
use minilpu_model::exec::{self, Machine};
use minilpu_model::isa::{Instr, Status, VAddr};
use minilpu_model::TileConfig;
use std::path::Path;

/// A region to read back after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Region {
    /// `len` words of a bank from `at`.
    Bank {
        /// First word.
        at: VAddr,
        /// Words.
        len: usize,
    },
    /// `len` accumulator rows from `row`.
    Acc {
        /// First row.
        row: usize,
        /// Rows.
        len: usize,
    },
}

/// The contents of a [`Region`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionData {
    /// Bank words, `lanes` int8 each.
    Bank(Vec<Vec<i8>>),
    /// Accumulator rows, `cols` int32 each.
    Acc(Vec<Vec<i32>>),
}

/// How a program run ended, and what it left in the requested regions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramOutcome {
    /// Final status.
    pub status: Status,
    /// pc of the `halt` or of the failing instruction.
    pub pc: usize,
    /// Cycles the backend ran (RTL counter, or the model's event count).
    pub cycles: u64,
    /// The static schedule's prediction.
    pub predicted_cycles: u64,
    /// One entry per requested region.
    pub dumps: Vec<RegionData>,
}

/// The static schedule's end for an instruction memory image (decodable or not).
pub fn summarize_words(cfg: &TileConfig, words: &[u64]) -> minilpu_model::schedule::End {
    let mut w = minilpu_model::schedule::Walker::from_words(cfg, words);
    w.by_ref().for_each(drop);
    w.end().expect("walker finished").clone()
}

/// Run `words` (the instruction memory image, decodable or not) on `backend` after
/// writing `image` into the banks; read `regions` back. The model executes the
/// decodable prefix semantics exactly as the hardware would (an undecodable word stops
/// with `ILLEGAL` when it would issue).
pub fn run_program(
    cfg: &TileConfig,
    backend: Backend,
    sim: Option<&mut TileSim>,
    words: &[u64],
    image: &[(VAddr, Vec<i8>)],
    regions: &[Region],
    vcd: Option<&Path>,
) -> Result<ProgramOutcome, SimError> {
    match backend {
        Backend::Model => {
            let mut m = Machine::new(cfg);
            for (at, w) in image {
                m.word_mut(*at).copy_from_slice(w);
            }
            let end = summarize_words(cfg, words);
            let prog: Vec<Instr> = words.iter().map_while(|w| Instr::decode(*w).ok()).collect();
            let r = exec::run(cfg, &prog, &mut m);
            // An undecodable word ends the decodable prefix: the walk over the real
            // words decides the status; the prefix run gives the data.
            let dumps = regions
                .iter()
                .map(|r| match *r {
                    Region::Bank { at, len } => {
                        RegionData::Bank((0..len).map(|i| m.word(at.offset(i)).to_vec()).collect())
                    }
                    Region::Acc { row, len } => RegionData::Acc(m.acc[row..row + len].to_vec()),
                })
                .collect();
            Ok(ProgramOutcome {
                status: end.status,
                pc: end.pc,
                cycles: if r.status == end.status && r.pc == end.pc {
                    r.cycles
                } else {
                    end.predicted_cycles
                },
                predicted_cycles: end.predicted_cycles,
                dumps,
            })
        }
        Backend::Verilator => {
            let sim = sim.expect("a TileSim for the Verilator backend");
            for (at, w) in image {
                sim.write_word(*at, w);
            }
            sim.load_program(words);
            if let Some(p) = vcd {
                sim.open_vcd(p)?;
            }
            let run = sim.run()?;
            if vcd.is_some() {
                sim.close_vcd();
            }
            let predicted = summarize_words(cfg, words).predicted_cycles;
            let mut dumps = Vec::new();
            for r in regions {
                dumps.push(match *r {
                    Region::Bank { at, len } => {
                        RegionData::Bank((0..len).map(|i| sim.read_word(at.offset(i))).collect())
                    }
                    Region::Acc { row, len } => {
                        RegionData::Acc((row..row + len).map(|i| sim.read_acc(i)).collect())
                    }
                });
            }
            Ok(ProgramOutcome {
                status: run.status,
                pc: run.pc as usize,
                cycles: run.cycles,
                predicted_cycles: predicted,
                dumps,
            })
        }
    }
}

/// As [`run_program`] on a tile behind the UART host bridge (a real board on a serial
/// port, or the simulated board on a pseudo-terminal): the same loads, run and dumps,
/// through [`HostLink`]; the cycles are the tile's own counter.
pub fn run_program_link<S: std::io::Read + std::io::Write>(
    cfg: &TileConfig,
    link: &mut crate::host_link::HostLink<S>,
    words: &[u64],
    image: &[(VAddr, Vec<i8>)],
    regions: &[Region],
) -> Result<ProgramOutcome, crate::host_link::LinkError> {
    for (at, w) in image {
        link.write_word(*at, w)?;
    }
    link.load_program(words)?;
    let run = link.run()?;
    let predicted = summarize_words(cfg, words).predicted_cycles;
    let mut dumps = Vec::new();
    for r in regions {
        dumps.push(match *r {
            Region::Bank { at, len } => RegionData::Bank(
                (0..len)
                    .map(|i| link.read_word(at.offset(i)))
                    .collect::<Result<_, _>>()?,
            ),
            Region::Acc { row, len } => RegionData::Acc(
                (row..row + len)
                    .map(|i| link.read_acc(i))
                    .collect::<Result<_, _>>()?,
            ),
        });
    }
    Ok(ProgramOutcome {
        status: run.status,
        pc: run.pc as usize,
        cycles: run.cycles,
        predicted_cycles: predicted,
        dumps,
    })
}
