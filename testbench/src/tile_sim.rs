//! `TileSim`: the tile's emitted Verilog running in Verilator, driven through its
//! host/command port exactly as `hdl/src/tile.rs` documents it.

use crate::verilated::{BuildOptions, HarnessError, PortId, VerilatedModel};
use minilpu_model::arith::Requant;
use minilpu_model::TileConfig;
use std::path::Path;

/// Why a simulated tile could not be built or driven.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration is invalid.
    #[error("{0}")]
    Config(#[from] minilpu_model::ConfigError),
    /// Verilator or the harness failed.
    #[error("{0}")]
    Harness(#[from] HarnessError),
    /// The tile did not follow its host protocol (a bug in the RTL).
    #[error("tile protocol violation: {0}")]
    Protocol(String),
}

/// Extra Verilator arguments: the one documented waiver list is in
/// `synth/verilator_waivers.vlt`; simulation only needs the width waiver (rust-hdl
/// literals are 32 bit) and the combinational-loop performance note.
const SIM_ARGS: [&str; 2] = ["-Wno-WIDTH", "-Wno-UNOPTFLAT"];

/// Safety net on any command: far above every predicted cycle count in the tests.
const MAX_BUSY_CYCLES: u64 = 50_000_000;

struct Ports {
    host_we: PortId,
    host_bank: PortId,
    host_addr: PortId,
    host_wdata: Vec<PortId>,
    host_rbank: PortId,
    host_raddr: PortId,
    host_rdata: Vec<PortId>,
    acc_raddr: PortId,
    acc_rdata: Vec<PortId>,
    mm: [PortId; 7],
    rq_param: [PortId; 5],
    rq: [PortId; 6],
    busy: PortId,
    cycles: PortId,
}

/// Which form of the emitted Verilog is simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// Behavioural memories and multipliers (what lint and most tests use).
    Behavioural,
    /// With the define `ICE40`: the `SB_MAC16` and `SB_SPRAM256KA` instances the
    /// iCE40 flow synthesizes, simulated with yosys's own cell models
    /// (`<yosys share>/ice40/cells_sim.v`, read from the installed yosys).
    Ice40Cells,
}

/// Where yosys keeps its iCE40 simulation models.
fn ice40_cells_path() -> std::path::PathBuf {
    let share = std::env::var_os("MINILPU_YOSYS_SHARE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/share/yosys".into());
    share.join("ice40/cells_sim.v")
}

/// The `SB_MAC16` and `SB_SPRAM256KA` modules of yosys's iCE40 cell models.
fn ice40_cell_models() -> Result<String, SimError> {
    let path = ice40_cells_path();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        SimError::Protocol(format!(
            "{}: cannot read yosys's iCE40 cell models ({e}); install yosys (scripts/setup.sh) \
             or set MINILPU_YOSYS_SHARE",
            path.display()
        ))
    })?;
    let mut out = String::new();
    for name in ["SB_MAC16", "SB_SPRAM256KA"] {
        let start = text
            .find(&format!("module {name} ("))
            .ok_or_else(|| SimError::Protocol(format!("{}: no module {name}", path.display())))?;
        let end = text[start..]
            .find("endmodule")
            .ok_or_else(|| SimError::Protocol(format!("{}: {name} has no end", path.display())))?;
        out += "\n";
        out += &text[start..start + end + "endmodule".len()];
        out += "\n";
    }
    Ok(out)
}

/// A verilated tile.
pub struct TileSim {
    model: VerilatedModel,
    cfg: TileConfig,
    p: Ports,
}

impl TileSim {
    /// Emit, verilate (cached) and load the tile for `cfg` in its behavioural form
    /// (no vendor primitives).
    pub fn build(cfg: &TileConfig, trace: bool) -> Result<Self, SimError> {
        Self::build_flavour(cfg, trace, Flavour::Behavioural)
    }

    /// Emit, verilate (cached) and load the tile for `cfg` as `flavour`.
    pub fn build_flavour(
        cfg: &TileConfig,
        trace: bool,
        flavour: Flavour,
    ) -> Result<Self, SimError> {
        let mut verilog = minilpu_hdl::emit_verilog(cfg)?;
        let mut extra_args: Vec<String> = SIM_ARGS.iter().map(|s| s.to_string()).collect();
        if flavour == Flavour::Ice40Cells {
            verilog += &ice40_cell_models()?;
            extra_args.push("-DICE40".into());
        }
        let opts = BuildOptions {
            trace,
            extra_args,
            ..Default::default()
        };
        let model = VerilatedModel::build(&verilog, minilpu_hdl::TOP_MODULE, &opts)?;
        let lanes =
            |m: &VerilatedModel, name: &str, n: usize| -> Result<Vec<PortId>, HarnessError> {
                (0..n).map(|i| m.port(&format!("{name}${i}"))).collect()
            };
        let pm = |n: &str| model.port(n);
        let p = Ports {
            host_we: pm("host_we")?,
            host_bank: pm("host_bank")?,
            host_addr: pm("host_addr")?,
            host_wdata: lanes(&model, "host_wdata", cfg.lanes)?,
            host_rbank: pm("host_rbank")?,
            host_raddr: pm("host_raddr")?,
            host_rdata: lanes(&model, "host_rdata", cfg.lanes)?,
            acc_raddr: pm("acc_raddr")?,
            acc_rdata: lanes(&model, "acc_rdata", cfg.cols)?,
            mm: [
                pm("mm_start")?,
                pm("mm_m")?,
                pm("mm_kt")?,
                pm("mm_nt")?,
                pm("mm_a_base")?,
                pm("mm_w_base")?,
                pm("mm_acc_base")?,
            ],
            rq_param: [
                pm("rq_param_we")?,
                pm("rq_param_col")?,
                pm("rq_bias")?,
                pm("rq_m")?,
                pm("rq_s")?,
            ],
            rq: [
                pm("rq_start")?,
                pm("rq_rows")?,
                pm("rq_acc_base")?,
                pm("rq_dst_bank")?,
                pm("rq_dst_base")?,
                pm("rq_relu")?,
            ],
            busy: pm("busy")?,
            cycles: pm("cycles")?,
        };
        let mut sim = TileSim {
            model,
            cfg: cfg.clone(),
            p,
        };
        sim.model.eval();
        sim.model.tick();
        Ok(sim)
    }

    /// The configuration this tile was built for.
    pub fn config(&self) -> &TileConfig {
        &self.cfg
    }

    /// Start writing a VCD (the model must be built with `trace`).
    pub fn open_vcd(&mut self, path: &Path) -> Result<(), HarnessError> {
        self.model.open_vcd(path)
    }

    /// Clock edges simulated so far.
    pub fn ticks(&self) -> u64 {
        self.model.cycles()
    }

    /// Write one `lanes`-wide int8 word into `bank` at `addr` (tile idle).
    pub fn write_word(&mut self, bank: usize, addr: usize, word: &[i8]) {
        assert_eq!(word.len(), self.cfg.lanes);
        let m = &mut self.model;
        m.set_u64(self.p.host_we, 1);
        m.set_u64(self.p.host_bank, bank as u64);
        m.set_u64(self.p.host_addr, addr as u64);
        for (port, &v) in self.p.host_wdata.iter().zip(word) {
            m.set_u64(*port, v as u8 as u64);
        }
        m.tick();
        m.set_u64(self.p.host_we, 0);
    }

    /// Read one word of `bank` at `addr` (tile idle).
    pub fn read_word(&mut self, bank: usize, addr: usize) -> Vec<i8> {
        let m = &mut self.model;
        m.set_u64(self.p.host_rbank, bank as u64);
        m.set_u64(self.p.host_raddr, addr as u64);
        m.tick();
        m.eval();
        self.p
            .host_rdata
            .iter()
            .map(|p| m.get_u64(*p) as u8 as i8)
            .collect()
    }

    /// Read one accumulator row (tile idle).
    pub fn read_acc(&mut self, row: usize) -> Vec<i32> {
        let m = &mut self.model;
        m.set_u64(self.p.acc_raddr, row as u64);
        m.tick();
        m.eval();
        self.p
            .acc_rdata
            .iter()
            .map(|p| m.get_u64(*p) as u32 as i32)
            .collect()
    }

    /// Run a matmul command; returns its busy cycles as counted by the testbench,
    /// after checking the tile's own `cycles` counter agrees.
    #[allow(clippy::too_many_arguments)]
    pub fn matmul(
        &mut self,
        m_rows: usize,
        kt: usize,
        nt: usize,
        a_base: usize,
        w_base: usize,
        acc_base: usize,
    ) -> Result<u64, SimError> {
        let vals = [1, m_rows, kt, nt, a_base, w_base, acc_base];
        for (port, v) in self.p.mm.iter().zip(vals) {
            self.model.set_u64(*port, v as u64);
        }
        self.run_command(self.p.mm[0])
    }

    /// Load the requantization parameters of columns `0..params.len()`.
    pub fn set_requant_params(&mut self, params: &[Requant]) {
        assert!(params.len() <= self.cfg.cols);
        for (c, q) in params.iter().enumerate() {
            let vals = [1, c as u64, q.bias as u32 as u64, q.m as u64, q.s as u64];
            for (port, v) in self.p.rq_param.iter().zip(vals) {
                self.model.set_u64(*port, v);
            }
            self.model.tick();
        }
        self.model.set_u64(self.p.rq_param[0], 0);
    }

    /// Requantize `rows` accumulator rows from `acc_base` into `dst_bank` at
    /// `dst_base`; returns the busy cycles.
    pub fn requantize(
        &mut self,
        rows: usize,
        acc_base: usize,
        dst_bank: usize,
        dst_base: usize,
        relu: bool,
    ) -> Result<u64, SimError> {
        let vals = [1, rows, acc_base, dst_bank, dst_base, relu as usize];
        for (port, v) in self.p.rq.iter().zip(vals) {
            self.model.set_u64(*port, v as u64);
        }
        self.run_command(self.p.rq[0])
    }

    /// Pulse `start` for one clock, then clock until `busy` falls.
    fn run_command(&mut self, start: PortId) -> Result<u64, SimError> {
        let m = &mut self.model;
        m.tick();
        m.set_u64(start, 0);
        m.eval();
        if m.get_u64(self.p.busy) == 0 {
            return Err(SimError::Protocol(
                "command did not start (busy stayed low)".into(),
            ));
        }
        let mut n = 0u64;
        while m.get_u64(self.p.busy) == 1 {
            m.tick();
            m.eval();
            n += 1;
            if n > MAX_BUSY_CYCLES {
                return Err(SimError::Protocol(format!(
                    "command still busy after {MAX_BUSY_CYCLES} cycles"
                )));
            }
        }
        let reported = m.get_u64(self.p.cycles);
        if reported != n {
            return Err(SimError::Protocol(format!(
                "tile cycle counter says {reported}, testbench counted {n}"
            )));
        }
        Ok(n)
    }
}
