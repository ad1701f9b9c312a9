//! One matmul (optionally requantized) on either backend, as the CLI and the tests
//! run it: compile it to a program and an SRAM image, load them, run, read the result.

use crate::tile_sim::{RunStatus, SimError, TileSim};
use minilpu_model::arith::Requant;
use minilpu_model::exec::{self, Machine};
use minilpu_model::gemm;
use minilpu_model::isa::{Status, VAddr};
use minilpu_model::layout::{MatmulPlan, PlanError};
use minilpu_model::TileConfig;

/// Where a matmul runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The golden model: the same programs executed in order, cycles predicted.
    Model,
    /// The emitted Verilog in Verilator.
    Verilator,
}

impl Backend {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Model => "model",
            Backend::Verilator => "verilator",
        }
    }
}

/// Requantization of the output: one parameter set per output column and ReLU.
#[derive(Clone, Debug)]
pub struct RequantSpec {
    /// Parameters of columns `0..N`.
    pub params: Vec<Requant>,
    /// Apply ReLU.
    pub relu: bool,
}

/// What a matmul run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct MatmulOutcome {
    /// `C [m, n]` int32 (without requantization).
    pub c: Option<Vec<i32>>,
    /// `Y [m, n]` int8 (with requantization).
    pub y: Option<Vec<i8>>,
    /// Matmul busy cycles (operands resident in SRAM; start to done).
    pub cycles: u64,
    /// The cycle model's prediction of `cycles`.
    pub predicted_cycles: u64,
    /// Busy cycles of the requantize commands (0 without requantization).
    pub requant_cycles: u64,
    /// The plan that was run.
    pub plan: MatmulPlan,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The matmul does not fit the tile.
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// The simulator failed.
    #[error("{0}")]
    Sim(#[from] SimError),
}

/// Run `A [m, k] · B [k, n]` (and requantize when `rq` is given): compile it into a
/// program and an SRAM image ([`minilpu_model::gemm`]), then run it. `sim` is the
/// Verilator tile for [`Backend::Verilator`] (built by the caller, so that it can be
/// reused); ignored for the model.
pub fn run_matmul(
    cfg: &TileConfig,
    backend: Backend,
    sim: Option<&mut TileSim>,
    a: &[i8],
    b: &[i8],
    (m, k, n): (usize, usize, usize),
    rq: Option<&RequantSpec>,
) -> Result<MatmulOutcome, RunError> {
    if let Some(r) = rq {
        assert_eq!(
            r.params.len(),
            n,
            "one requantization parameter set per column"
        );
    }
    let g = gemm::compile(cfg, a, b, (m, k, n), rq.map(|r| (&r.params[..], r.relu)))?;
    let plan = g.plan.clone();
    let predicted = gemm::matmul_program_cycles(cfg, m as u64, plan.kt as u64, plan.nt as u64);
    let (acc, cycles, rq_cycles, y_words) = match backend {
        Backend::Model => {
            // The golden model executes the same programs on the same SRAM image.
            let mut mach = Machine::new(cfg);
            for (at, word) in &g.image {
                mach.word_mut(*at).copy_from_slice(word);
            }
            let run = exec::run(cfg, &g.matmul, &mut mach);
            expect_ok_model(run.status, run.pc, "matmul")?;
            let acc = mach.acc[..plan.nt * m].to_vec();
            let mut y_words = Vec::new();
            let mut rq_cycles = 0;
            if let Some(p) = &g.requant {
                let r = exec::run(cfg, p, &mut mach);
                expect_ok_model(r.status, r.pc, "requantize")?;
                rq_cycles = r.cycles;
                y_words = (0..plan.nt * m)
                    .map(|w| mach.banks[0][g.y_base + w].clone())
                    .collect();
            }
            (acc, run.cycles, rq_cycles, y_words)
        }
        Backend::Verilator => {
            let sim = sim.expect("a TileSim for the Verilator backend");
            for (at, word) in &g.image {
                sim.write_word(*at, word);
            }
            let words: Vec<u64> = g.matmul.iter().map(|i| i.encode()).collect();
            sim.load_program(&words);
            let run = sim.run()?;
            expect_ok(&run, "matmul")?;
            let mut acc = Vec::with_capacity(plan.nt * m);
            for row in 0..plan.nt * m {
                acc.push(sim.read_acc(row));
            }
            let mut y_words = Vec::new();
            let mut rq_cycles = 0;
            if let Some(p) = &g.requant {
                let words: Vec<u64> = p.iter().map(|i| i.encode()).collect();
                sim.load_program(&words);
                let run = sim.run()?;
                expect_ok(&run, "requantize")?;
                rq_cycles = run.cycles;
                for w in 0..plan.nt * m {
                    y_words.push(sim.read_word(VAddr {
                        bank: 0,
                        word: (g.y_base + w) as u16,
                    }));
                }
            }
            (acc, run.cycles, rq_cycles, y_words)
        }
    };
    let (c, y) = match rq {
        None => (Some(plan.unpack(cfg, &acc)), None),
        Some(_) => (None, Some(plan.unpack(cfg, &y_words))),
    };
    Ok(MatmulOutcome {
        c,
        y,
        cycles,
        predicted_cycles: predicted,
        requant_cycles: rq_cycles,
        plan,
    })
}

fn expect_ok_model(status: Status, pc: usize, what: &str) -> Result<(), SimError> {
    if status != Status::Ok {
        return Err(SimError::Protocol(format!(
            "{what} program stopped with {} at pc {pc} in the model",
            status.name()
        )));
    }
    Ok(())
}

fn expect_ok(run: &RunStatus, what: &str) -> Result<(), SimError> {
    if run.status != Status::Ok {
        return Err(SimError::Protocol(format!(
            "{what} program stopped with {} at pc {}",
            run.status.name(),
            run.pc
        )));
    }
    Ok(())
}
