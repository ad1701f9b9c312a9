//! `TileSim`: the tile's emitted Verilog running in Verilator, driven through its host
//! bus exactly as `hdl/src/host_port.rs` documents it (the same register protocol a
//! UART bridge will carry).

use crate::verilated::{BuildOptions, HarnessError, PortId, VerilatedModel};
use minilpu_model::isa::{Status, VAddr};
use minilpu_model::TileConfig;
use minilpu_synth::{yosys_synth, Family};
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

/// Host bus register addresses (`hdl/src/host_port.rs`).
pub mod reg {
    /// Start.
    pub const CTRL: u16 = 0x000;
    /// busy, running, status code, pc.
    pub const STATUS: u16 = 0x001;
    /// Cycle counter.
    pub const CYCLES: u16 = 0x002;
    /// Configuration word.
    pub const INFO: u16 = 0x003;
    /// Memory target.
    pub const SEL: u16 = 0x004;
    /// Memory command.
    pub const CMD: u16 = 0x005;
    /// Free-running cycle counter.
    pub const TIME: u16 = 0x006;
    /// Second configuration word (bank read stages, accumulator read stage).
    pub const INFO2: u16 = 0x007;
    /// Staging buffer word 0.
    pub const BUF: u16 = 0x100;
}

/// Safety net on a run: far above every cycle count the tests and the CLI use.
const MAX_RUN_CYCLES: u64 = 200_000_000;

/// Which form of the emitted Verilog is simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// Behavioural memories and multipliers (what lint and most tests use).
    Behavioural,
    /// With the define `ICE40`: the `SB_MAC16` and `SB_SPRAM256KA` instances the
    /// iCE40 flow synthesizes, simulated with yosys's own cell models
    /// (`<yosys share>/ice40/cells_sim.v`, read from the installed yosys).
    Ice40Cells,
    /// The tile as the iCE40 flow synthesizes it: the flow's own yosys script
    /// (`minilpu_synth::yosys_synth`, `synth_ice40`) maps it onto iCE40 cells, and its
    /// netlist runs with yosys's models of every cell in it (`SB_LUT4`, `SB_CARRY`,
    /// `SB_DFF*`, `SB_RAM40_4K`, `SB_SPRAM256KA`, `SB_MAC16`): a gate-level simulation of
    /// what goes onto the board, so that a synthesis pass that changes behaviour fails
    /// here. Synthesis takes about a minute.
    Ice40Netlist,
    /// With the define `ECP5`: the forms the ECP5 flow synthesizes (the `Lut`
    /// multipliers' `CCU2C` carry chains, the `TRELLIS_FF` activation registers and
    /// array feed copies), simulated with yosys's own models of those cells
    /// (`<yosys share>/ecp5/cells_sim.v`).
    Ecp5Cells,
}

/// The ECP5 cells the `ECP5` forms of the LUT multipliers and the array's registers
/// instantiate (`CCU2C`'s model is built from `LUT4` and `LUT2`).
pub const ECP5_LUT_FORM_CELLS: &[&str] = &["CCU2C", "LUT4", "LUT2", "TRELLIS_FF"];

/// Where yosys keeps the simulation models of `family` (`ice40`, `ecp5`):
/// `$MINILPU_YOSYS_SHARE/<family>/cells_sim.v`, by default under `/usr/share/yosys`.
fn cells_path(family: &str) -> std::path::PathBuf {
    let share = std::env::var_os("MINILPU_YOSYS_SHARE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/share/yosys".into());
    share.join(family).join("cells_sim.v")
}

/// The modules `names` of yosys's `family` cell models, as Verilog text to append to a
/// design (e.g. `ice40`: `SB_MAC16`; `ecp5`: `CCU2C`, `LUT4`, `LUT2`).
pub fn yosys_cell_models(family: &str, names: &[&str]) -> Result<String, SimError> {
    let path = cells_path(family);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        SimError::Protocol(format!(
            "{}: cannot read yosys's {family} cell models ({e}); install yosys \
             (scripts/setup.sh) or set MINILPU_YOSYS_SHARE",
            path.display()
        ))
    })?;
    // The file's leading macros (ice40: `ICE40_DEFAULT_ASSIGNMENT_*`, `SB_DFF_INIT`),
    // which the models of the logic cells use; not its `timescale`.
    let preamble_end = text.find("\nmodule ").unwrap_or(0);
    let mut out: String = text[..preamble_end]
        .lines()
        .filter(|l| !l.trim_start().starts_with("`timescale"))
        .map(|l| format!("{l}\n"))
        .collect();
    for name in names {
        let start = [" (", "("]
            .iter()
            .find_map(|sep| text.find(&format!("module {name}{sep}")))
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

/// `verilog` (top module `top`) through `family`'s flow's yosys script
/// (`minilpu_synth::yosys_synth`), as a netlist in Verilog followed by yosys's models of
/// the cells it uses; simulate it with [`netlist_sim_args`]. `tag` names the scratch
/// directory.
pub fn synthesized_netlist(
    verilog: &str,
    top: &str,
    family: Family,
    tag: &str,
) -> Result<String, SimError> {
    let dir = std::env::temp_dir().join(format!(
        "minilpu-{}-netlist-{tag}-{}",
        family.name(),
        std::process::id()
    ));
    let io = |e: std::io::Error| SimError::Protocol(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let src = dir.join("design.v");
    std::fs::write(&src, verilog).map_err(io)?;
    let report = yosys_synth(&src, top, family, &dir)
        .map_err(|e| SimError::Protocol(format!("synthesizing `{top}`: {e}")))?;
    let mut netlist = std::fs::read_to_string(&report.files.netlist_v).map_err(io)?;
    let mut cells: Vec<&str> = report.cells.keys().map(String::as_str).collect();
    if family == Family::Ecp5 {
        // The ECP5 carry cell's model is built from the LUT models.
        cells.extend(["LUT4", "LUT2"]);
        cells.sort_unstable();
        cells.dedup();
    }
    netlist += &yosys_cell_models(family.name(), &cells)?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(netlist)
}

/// Verilator arguments for a [`synthesized_netlist`]: yosys's `write_verilog` leaves
/// unconnected cell pins out, and Verilator does not take the iCE40 models' default
/// values on inputs.
pub fn netlist_sim_args(family: Family) -> Vec<String> {
    let mut args = vec!["-Wno-PINMISSING".to_string()];
    if family == Family::Ice40 {
        args.push("-DNO_ICE40_DEFAULT_ASSIGNMENTS".into());
    }
    args
}

/// How a program run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunStatus {
    /// Status code.
    pub status: Status,
    /// pc of the `halt` or of the failing instruction.
    pub pc: u16,
    /// Cycles of the run (the tile's counter, checked against the testbench's count).
    pub cycles: u64,
}

struct Ports {
    we: PortId,
    re: PortId,
    addr: PortId,
    wdata: PortId,
    rdata: PortId,
    busy: PortId,
}

/// A verilated tile.
pub struct TileSim {
    model: VerilatedModel,
    cfg: TileConfig,
    p: Ports,
    /// Instruction words written so far (cleared again by the next, shorter program).
    loaded: usize,
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
        match flavour {
            Flavour::Behavioural => {}
            Flavour::Ice40Cells => {
                verilog += &yosys_cell_models("ice40", &["SB_MAC16", "SB_SPRAM256KA"])?;
                extra_args.push("-DICE40".into());
            }
            Flavour::Ecp5Cells => {
                verilog += &yosys_cell_models("ecp5", ECP5_LUT_FORM_CELLS)?;
                extra_args.push("-DECP5".into());
                // yosys's TRELLIS_FF model leaves pins the tile's instances leave open.
                extra_args.push("-Wno-PINMISSING".into());
            }
            Flavour::Ice40Netlist => {
                verilog = synthesized_netlist(
                    &verilog,
                    minilpu_hdl::TOP_MODULE,
                    Family::Ice40,
                    &cfg.name,
                )?;
                extra_args.extend(netlist_sim_args(Family::Ice40));
            }
        }
        let opts = BuildOptions {
            trace,
            extra_args,
            ..Default::default()
        };
        let model = VerilatedModel::build(&verilog, minilpu_hdl::TOP_MODULE, &opts)?;
        let p = Ports {
            we: model.port("bus_we")?,
            re: model.port("bus_re")?,
            addr: model.port("bus_addr")?,
            wdata: model.port("bus_wdata")?,
            rdata: model.port("bus_rdata")?,
            busy: model.port("busy")?,
        };
        let mut sim = TileSim {
            model,
            cfg: cfg.clone(),
            p,
            loaded: 0,
        };
        sim.model.eval();
        sim.model.tick();
        for (name, r, want) in [
            ("INFO", reg::INFO, cfg.info_word()),
            ("INFO2", reg::INFO2, cfg.info2_word()),
        ] {
            let got = sim.bus_read(r);
            if got != want {
                return Err(SimError::Protocol(format!(
                    "{name} register reads {got:#x}, expected {want:#x} for config `{}`",
                    cfg.name
                )));
            }
        }
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

    /// Finish the VCD.
    pub fn close_vcd(&mut self) {
        self.model.close_vcd()
    }

    /// Clock edges simulated so far.
    pub fn ticks(&self) -> u64 {
        self.model.cycles()
    }

    /// `n` clocks with the bus idle.
    pub fn idle(&mut self, n: u64) {
        for _ in 0..n {
            self.model.tick();
        }
    }

    /// One bus write (one clock).
    pub fn bus_write(&mut self, addr: u16, value: u32) {
        let m = &mut self.model;
        m.set_u64(self.p.we, 1);
        m.set_u64(self.p.addr, addr as u64);
        m.set_u64(self.p.wdata, value as u64);
        m.tick();
        m.set_u64(self.p.we, 0);
    }

    /// One bus read (one clock).
    pub fn bus_read(&mut self, addr: u16) -> u32 {
        let m = &mut self.model;
        m.set_u64(self.p.re, 1);
        m.set_u64(self.p.addr, addr as u64);
        m.tick();
        m.set_u64(self.p.re, 0);
        m.eval();
        m.get_u64(self.p.rdata) as u32
    }

    fn select(&mut self, space: u32, bank: u8, word: usize) {
        self.bus_write(reg::SEL, space << 30 | (bank as u32) << 24 | word as u32);
    }

    fn store(&mut self, bytes: &[u8]) {
        for (k, chunk) in bytes.chunks(4).enumerate() {
            let mut w = [0u8; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            self.bus_write(reg::BUF + k as u16, u32::from_le_bytes(w));
        }
        self.bus_write(reg::CMD, 1);
    }

    fn load(&mut self, n: usize) -> Vec<u8> {
        self.bus_write(reg::CMD, 2);
        // The buffer holds the word `3 + b` cycles after CMD (`b`: bank read stages).
        for _ in 0..self.cfg.host_load_cycles() {
            self.model.tick();
        }
        let mut out = Vec::with_capacity(n);
        for k in 0..n.div_ceil(4) {
            out.extend(self.bus_read(reg::BUF + k as u16).to_le_bytes());
        }
        out.truncate(n);
        out
    }

    /// Write one `lanes`-wide word (tile idle).
    pub fn write_word(&mut self, at: VAddr, word: &[i8]) {
        assert_eq!(word.len(), self.cfg.lanes);
        self.select(0, at.bank, at.word as usize);
        let bytes: Vec<u8> = word.iter().map(|&v| v as u8).collect();
        self.store(&bytes);
    }

    /// Read one word (tile idle).
    pub fn read_word(&mut self, at: VAddr) -> Vec<i8> {
        self.select(0, at.bank, at.word as usize);
        self.load(self.cfg.lanes)
            .into_iter()
            .map(|b| b as i8)
            .collect()
    }

    /// Read one accumulator row (tile idle).
    pub fn read_acc(&mut self, row: usize) -> Vec<i32> {
        let n = minilpu_model::config::host_acc_columns_per_load(self.cfg.lanes, self.cfg.cols);
        let mut out = Vec::with_capacity(self.cfg.cols);
        for piece in 0..self.cfg.cols / n {
            self.select(2, piece as u8, row);
            out.extend(
                self.load(4 * n)
                    .chunks(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        out
    }

    /// Write instruction words from pc 0 (tile idle); words a previous, longer program
    /// left behind are cleared to 0 (illegal), as in a fresh instruction memory.
    pub fn load_program(&mut self, words: &[u64]) {
        assert!(
            words.len() <= self.cfg.imem_depth,
            "program longer than imem_depth"
        );
        for pc in 0..words.len().max(self.loaded) {
            self.select(1, 0, pc);
            self.store(&words.get(pc).copied().unwrap_or(0).to_le_bytes());
        }
        self.loaded = words.len();
    }

    /// Read instruction word `pc` (tile idle).
    pub fn read_instr(&mut self, pc: usize) -> u64 {
        self.select(1, 0, pc);
        let b = self.load(8);
        u64::from_le_bytes(b.try_into().expect("8 bytes"))
    }

    /// Start the loaded program and clock until the tile is idle; checks that the
    /// tile's cycle counter is `TileConfig::start_cycles` less than the clocks `busy`
    /// was high for.
    pub fn run(&mut self) -> Result<RunStatus, SimError> {
        Ok(self.run_traced(&[])?.0)
    }

    /// [`TileSim::run`], also sampling the tile's output ports `names` in every clock
    /// the run is busy: entry `k` holds their values in the `k`-th clock after the
    /// start edge (ISA cycle `k + 1 - TileConfig::start_cycles`), in the order named.
    pub fn run_traced(&mut self, names: &[&str]) -> Result<(RunStatus, Vec<Vec<u64>>), SimError> {
        let ports = names
            .iter()
            .map(|n| self.model.port(n))
            .collect::<Result<Vec<_>, _>>()?;
        self.bus_write(reg::CTRL, 1);
        self.model.eval();
        let mut n = 0u64;
        let mut trace = Vec::new();
        while self.model.get_u64(self.p.busy) == 1 {
            if !ports.is_empty() {
                trace.push(ports.iter().map(|&p| self.model.get_u64(p)).collect());
            }
            self.model.tick();
            self.model.eval();
            n += 1;
            if n > MAX_RUN_CYCLES {
                return Err(SimError::Protocol(format!(
                    "program still running after {MAX_RUN_CYCLES} cycles"
                )));
            }
        }
        let status = self.bus_read(reg::STATUS);
        let cycles = self.bus_read(reg::CYCLES) as u64;
        // The free-running counter keeps counting (two reads, two clocks apart).
        let t0 = self.bus_read(reg::TIME);
        let t1 = self.bus_read(reg::TIME);
        if t1.wrapping_sub(t0) != 1 {
            return Err(SimError::Protocol(format!(
                "TIME register did not advance by one clock per read ({t0} then {t1})"
            )));
        }
        // `busy` falls one clock after the run's last cycle (the sequencer registers the
        // units' activity), so it is high for `cycles + 1` clocks after the start, one
        // more with the fetch stage (its fetch cycle before instruction 0).
        if cycles + self.cfg.start_cycles() != n {
            return Err(SimError::Protocol(format!(
                "tile cycle counter says {cycles}, testbench counted {n}"
            )));
        }
        let code = ((status >> 2) & 7) as u8;
        let st = RunStatus {
            status: Status::from_code(code)
                .ok_or_else(|| SimError::Protocol(format!("unknown status code {code}")))?,
            pc: (status >> 16) as u16,
            cycles,
        };
        Ok((st, trace))
    }
}
