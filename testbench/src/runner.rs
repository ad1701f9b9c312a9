//! One matmul (optionally requantized) on either backend, as the CLI and the tests
//! run it: plan the tiling, load the SRAM image, run the commands, read the result.

use crate::tile_sim::{SimError, TileSim};
use minilpu_model::arith::Requant;
use minilpu_model::layout::{requantize_rows, MatmulPlan, PlanError};
use minilpu_model::timing::{matmul_cycles, requant_cycles};
use minilpu_model::TileConfig;

/// Where a matmul runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The golden model: datapath algorithm on the SRAM image, cycle model.
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

/// Run `A [m, k] · B [k, n]` (and requantize when `rq` is given). `sim` is the
/// Verilator tile to use for [`Backend::Verilator`] (built by the caller, so that it
/// can be reused); ignored for the model.
pub fn run_matmul(
    cfg: &TileConfig,
    backend: Backend,
    sim: Option<&mut TileSim>,
    a: &[i8],
    b: &[i8],
    (m, k, n): (usize, usize, usize),
    rq: Option<&RequantSpec>,
) -> Result<MatmulOutcome, RunError> {
    let plan = MatmulPlan::new(cfg, m, k, n)?;
    if let Some(r) = rq {
        assert_eq!(
            r.params.len(),
            n,
            "one requantization parameter set per column"
        );
        if plan.nt * m > cfg.act_depth {
            return Err(PlanError::DoesNotFit {
                what: format!("requantized Y [{m}, {n}] ({} N tiles x {m} rows)", plan.nt),
                need: plan.nt * m,
                memory: "activation bank (bank 0)",
                have: cfg.act_depth,
                config: cfg.name.clone(),
            }
            .into());
        }
    }
    let act = plan.act_words(cfg, a);
    let weights = plan.weight_words(cfg, b);
    let predicted = matmul_cycles(cfg, m as u64, plan.kt as u64, plan.nt as u64);
    let tile_params = |ni: usize, r: &RequantSpec| -> Vec<Requant> {
        (0..cfg.cols)
            .map(|c| {
                r.params.get(ni * cfg.cols + c).copied().unwrap_or(Requant {
                    bias: 0,
                    m: 0,
                    s: 0,
                })
            })
            .collect()
    };
    let (acc, cycles, rq_cycles, y_words) = match backend {
        Backend::Model => {
            let acc = plan.run_datapath(cfg, &act, &weights);
            let mut y_words = Vec::new();
            let mut rq_cycles = 0;
            if let Some(r) = rq {
                for ni in 0..plan.nt {
                    let rows = &acc[ni * m..(ni + 1) * m];
                    y_words.extend(requantize_rows(cfg, rows, &tile_params(ni, r), r.relu));
                    rq_cycles += requant_cycles(cfg, m as u64);
                }
            }
            (acc, predicted, rq_cycles, y_words)
        }
        Backend::Verilator => {
            let sim = sim.expect("a TileSim for the Verilator backend");
            for (addr, w) in act.iter().enumerate() {
                sim.write_word(0, plan.a_base + addr, w);
            }
            for (bank, words) in weights.iter().enumerate() {
                for (addr, w) in words.iter().enumerate() {
                    sim.write_word(bank + 1, plan.w_base + addr, w);
                }
            }
            let cycles =
                sim.matmul(m, plan.kt, plan.nt, plan.a_base, plan.w_base, plan.acc_base)?;
            let mut acc = Vec::with_capacity(plan.nt * m);
            for row in 0..plan.nt * m {
                acc.push(sim.read_acc(plan.acc_base + row));
            }
            let mut y_words = Vec::new();
            let mut rq_cycles = 0;
            if let Some(r) = rq {
                for ni in 0..plan.nt {
                    sim.set_requant_params(&tile_params(ni, r));
                    rq_cycles += sim.requantize(m, plan.acc_base + ni * m, 0, ni * m, r.relu)?;
                }
                for addr in 0..plan.nt * m {
                    y_words.push(sim.read_word(0, addr));
                }
            }
            (acc, cycles, rq_cycles, y_words)
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
