//! `minilpu run`: assemble (or read) a program, check its schedule, load data, run it on
//! the golden model or the verilated RTL, dump memory regions to `.npy` files.

use crate::TileArgs;
use clap::Args;
use minilpu_model::asm::{assemble, from_bin, SrcLoc};
use minilpu_model::isa::{Instr, VAddr};
use minilpu_model::npy;
use minilpu_model::schedule::check;
use minilpu_model::TileConfig;
use minilpu_testbench::host_link::{HostLink, TileInfo};
use minilpu_testbench::program::{
    run_program, run_program_link, ProgramOutcome, Region, RegionData,
};
use minilpu_testbench::runner::Backend;
use minilpu_testbench::serial::SerialPort;
use minilpu_testbench::tile_sim::TileSim;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Help text shown after the options.
pub const RUN_HELP: &str = "\
Memory specs:
  --load bK:W=FILE.npy        int8 [n, lanes] (or 1-D of n*lanes values) written to
                              bank K from word W on
  --dump bK:W:N=FILE.npy      N words of bank K from word W, written as int8 [N, lanes]
  --dump acc:R:N=FILE.npy     N accumulator rows from row R, written as int32 [N, cols]

Backends: verilator (the emitted RTL), model (the golden model), board:PATH (a flashed
board's USB serial port, e.g. board:/dev/ttyUSB1 at --baud, through the UART host bridge
of docs/host-protocol.md; the board's tile must be the --preset's, which is checked).

The program is checked before it runs (docs/isa.md: unit busy, port conflicts, data
hazards, ranges); --no-check runs it anyway, to watch the tile's own error status.
Exit status: 0 when the program halts normally, 1 when it stops with an error status,
2 on bad input.";

/// Where `run` runs: `verilator`, `model`, or `board:PATH` (a flashed board's serial
/// port, or a simulated board's pseudo-terminal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackendArg {
    /// Emitted RTL in Verilator (needs `verilator`, see scripts/setup.sh).
    Verilator,
    /// Golden model (executes in program order, predicts cycles statically).
    Model,
    /// A board behind the UART host bridge (`docs/host-protocol.md`).
    Board(PathBuf),
}

fn parse_backend(s: &str) -> Result<BackendArg, String> {
    match s {
        "verilator" => Ok(BackendArg::Verilator),
        "model" => Ok(BackendArg::Model),
        _ => match s.strip_prefix("board:") {
            Some(p) if !p.is_empty() => Ok(BackendArg::Board(PathBuf::from(p))),
            _ => Err(format!(
                "`{s}`: expected verilator, model or board:PATH (e.g. board:/dev/ttyUSB1)"
            )),
        },
    }
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    tile: TileArgs,
    /// Program: assembly (.s) or binary (.bin, little-endian 64-bit words).
    #[arg(long)]
    program: PathBuf,
    /// Load a .npy into a bank before running: bK:W=FILE.npy (repeatable).
    #[arg(long = "load", value_name = "bK:W=FILE")]
    loads: Vec<String>,
    /// Dump a region after the run: bK:W:N=FILE.npy or acc:R:N=FILE.npy (repeatable).
    #[arg(long = "dump", value_name = "REGION=FILE")]
    dumps: Vec<String>,
    /// Where to run: verilator, model, or board:PATH (a flashed board's serial port,
    /// e.g. board:/dev/ttyUSB1; the same host protocol as the simulated bridge).
    #[arg(long, default_value = "verilator", value_parser = parse_backend)]
    backend: BackendArg,
    /// Serial baud rate for board:PATH.
    #[arg(long, default_value_t = 1_000_000)]
    baud: u32,
    /// Write a VCD waveform of the run (Verilator backend).
    #[arg(long)]
    vcd: Option<PathBuf>,
    /// Run even if the checker rejects the schedule.
    #[arg(long)]
    no_check: bool,
    /// Print one JSON object (status, pc, cycles, predicted_cycles, ...).
    #[arg(long)]
    json: bool,
}

fn parse_num(s: &str, what: &str) -> Result<usize, String> {
    let t = s.trim();
    let v = if let Some(h) = t.strip_prefix("0x") {
        usize::from_str_radix(h, 16)
    } else {
        t.parse()
    };
    v.map_err(|_| format!("{what}: `{s}` is not a number"))
}

fn parse_vaddr(s: &str, cfg: &TileConfig, spec: &str) -> Result<VAddr, String> {
    let (b, w) = s
        .strip_prefix('b')
        .and_then(|r| r.split_once(':'))
        .ok_or_else(|| format!("`{spec}`: expected a bank address bK:W, found `{s}`"))?;
    let bank = parse_num(b, spec)?;
    let word = parse_num(w, spec)?;
    if bank >= cfg.banks {
        return Err(format!(
            "`{spec}`: bank {bank} out of range: config `{}` has banks 0..={}",
            cfg.name,
            cfg.banks - 1
        ));
    }
    Ok(VAddr {
        bank: bank as u8,
        word: word as u16,
    })
}

fn depth(cfg: &TileConfig, bank: u8) -> usize {
    if bank == 0 {
        cfg.act_depth
    } else {
        cfg.bank_depth
    }
}

pub(crate) fn parse_load(spec: &str, cfg: &TileConfig) -> Result<Vec<(VAddr, Vec<i8>)>, String> {
    let (addr, file) = spec
        .split_once('=')
        .ok_or_else(|| format!("--load `{spec}`: expected bK:W=FILE.npy"))?;
    let at = parse_vaddr(addr, cfg, spec)?;
    let path = Path::new(file);
    let arr = npy::read_i8(path, 2)
        .or_else(|_| npy::read_i8(path, 1))
        .map_err(|e| e.to_string())?;
    let l = cfg.lanes;
    if arr.shape.len() == 2 && arr.shape[1] != l {
        return Err(format!(
            "{file}: expected shape (n, {l}) (one row per {l}-lane word of config `{}`), found {:?}",
            cfg.name, arr.shape
        ));
    }
    if arr.data.len() % l != 0 {
        return Err(format!(
            "{file}: {} values is not a whole number of {l}-lane words",
            arr.data.len()
        ));
    }
    let n = arr.data.len() / l;
    if at.word as usize + n > depth(cfg, at.bank) {
        return Err(format!(
            "{file}: {n} words from {at} run past the end of bank {} ({} words)",
            at.bank,
            depth(cfg, at.bank)
        ));
    }
    Ok(arr
        .data
        .chunks(l)
        .enumerate()
        .map(|(i, w)| (at.offset(i), w.to_vec()))
        .collect())
}

pub(crate) fn parse_dump(spec: &str, cfg: &TileConfig) -> Result<(Region, PathBuf), String> {
    let (region, file) = spec
        .split_once('=')
        .ok_or_else(|| format!("--dump `{spec}`: expected bK:W:N=FILE.npy or acc:R:N=FILE.npy"))?;
    let (head, n) = region
        .rsplit_once(':')
        .ok_or_else(|| format!("--dump `{spec}`: expected a length after the address"))?;
    let len = parse_num(n, spec)?;
    let r = if let Some(row) = head.strip_prefix("acc:") {
        let row = parse_num(row, spec)?;
        if row + len > cfg.acc_depth {
            return Err(format!(
                "--dump `{spec}`: rows {row}..{} past the accumulator's {} rows",
                row + len,
                cfg.acc_depth
            ));
        }
        Region::Acc { row, len }
    } else {
        let at = parse_vaddr(head, cfg, spec)?;
        if at.word as usize + len > depth(cfg, at.bank) {
            return Err(format!(
                "--dump `{spec}`: {len} words from {at} run past the end of bank {}",
                at.bank
            ));
        }
        Region::Bank { at, len }
    };
    Ok((r, PathBuf::from(file)))
}

fn located(locs: &[SrcLoc], pc: usize) -> String {
    locs.get(pc)
        .map(|l| l.to_string())
        .unwrap_or_else(|| format!("pc {pc}"))
}

/// Run the subcommand; `Ok(true)` when the program halted normally.
pub fn run(args: RunArgs) -> Result<bool, String> {
    let cfg = args.tile.load()?;
    let name = args.program.display().to_string();
    let (prog, locs): (Vec<Instr>, Vec<SrcLoc>) =
        if args.program.extension().is_some_and(|e| e == "bin") {
            let bytes =
                std::fs::read(&args.program).map_err(|e| format!("{name}: cannot read: {e}"))?;
            (
                from_bin(&bytes).map_err(|e| format!("{name}: {e}"))?,
                Vec::new(),
            )
        } else {
            let src = std::fs::read_to_string(&args.program)
                .map_err(|e| format!("{name}: cannot read: {e}"))?;
            let p = assemble(&src, &name, Some(&cfg)).map_err(|e| e.to_string())?;
            (p.instrs, p.locs)
        };
    if prog.len() > cfg.imem_depth {
        return Err(format!(
            "{name}: {} instructions do not fit the instruction memory ({} words)",
            prog.len(),
            cfg.imem_depth
        ));
    }
    if !args.no_check {
        if let Err(errors) = check(&cfg, &prog) {
            let lines: Vec<String> = errors
                .iter()
                .take(20)
                .map(|e| format!("{}: error: {e}", located(&locs, e.pc)))
                .collect();
            return Err(format!(
                "{name}: the schedule is not legal on `{}` ({} problem{}):\n{}",
                cfg.name,
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                lines.join("\n")
            ));
        }
    }
    let mut image = Vec::new();
    for l in &args.loads {
        image.extend(parse_load(l, &cfg)?);
    }
    let mut regions = Vec::new();
    let mut files = Vec::new();
    for d in &args.dumps {
        let (r, f) = parse_dump(d, &cfg)?;
        regions.push(r);
        files.push(f);
    }
    if args.vcd.is_some() && args.backend != BackendArg::Verilator {
        return Err("--vcd needs the Verilator backend".into());
    }
    let words: Vec<u64> = prog.iter().map(|i| i.encode()).collect();
    let (out, backend_name) = match &args.backend {
        BackendArg::Board(port) => {
            let out = run_on_board(&cfg, port, args.baud, &words, &image, &regions)?;
            (out, format!("board:{}", port.display()))
        }
        b => {
            let backend = if *b == BackendArg::Model {
                Backend::Model
            } else {
                Backend::Verilator
            };
            let mut sim = match backend {
                Backend::Verilator => {
                    if !args.json {
                        eprintln!(
                            "minilpu: building the verilated tile `{}` (cached after the first run)...",
                            cfg.name
                        );
                    }
                    Some(TileSim::build(&cfg, args.vcd.is_some()).map_err(|e| e.to_string())?)
                }
                Backend::Model => None,
            };
            let out = run_program(
                &cfg,
                backend,
                sim.as_mut(),
                &words,
                &image,
                &regions,
                args.vcd.as_deref(),
            )
            .map_err(|e| e.to_string())?;
            (out, backend.name().to_string())
        }
    };
    for (data, file) in out.dumps.iter().zip(&files) {
        match data {
            RegionData::Bank(w) => {
                let flat: Vec<i8> = w.iter().flatten().copied().collect();
                npy::write_i8(file, &[w.len(), cfg.lanes], &flat)
            }
            RegionData::Acc(r) => {
                let flat: Vec<i32> = r.iter().flatten().copied().collect();
                npy::write_i32(file, &[r.len(), cfg.cols], &flat)
            }
        }
        .map_err(|e| e.to_string())?;
    }
    let ok = out.status == minilpu_model::isa::Status::Ok;
    if args.json {
        println!(
            "{}",
            json!({
                "status": out.status.name(),
                "status_code": out.status.code(),
                "pc": out.pc,
                "cycles": out.cycles,
                "predicted_cycles": out.predicted_cycles,
                "instructions": prog.len(),
                "backend": backend_name,
                "preset": cfg.name,
                "dumps": files,
            })
        );
    } else {
        println!(
            "{name} on {} ({}): {} at {} after {} cycles (predicted {})",
            cfg.name,
            backend_name,
            out.status.name(),
            located(&locs, out.pc),
            out.cycles,
            out.predicted_cycles
        );
    }
    Ok(ok)
}

/// Run on a board behind the UART bridge: connect, check that the board's tile is the
/// configuration the program was assembled for, then load, run and dump.
fn run_on_board(
    cfg: &TileConfig,
    port: &Path,
    baud: u32,
    words: &[u64],
    image: &[(VAddr, Vec<i8>)],
    regions: &[Region],
) -> Result<ProgramOutcome, String> {
    let p = SerialPort::open(port, baud).map_err(|e| format!("{}: {e}", port.display()))?;
    let mut link = HostLink::connect(p).map_err(|e| format!("{}: {e}", port.display()))?;
    let i = link.info().expect("connected");
    let want = TileInfo::of(cfg);
    if i != want {
        return Err(format!(
            "{}: the board's tile has {i}; config `{}` has {want} (pick the board's preset \
             with --preset)",
            port.display(),
            cfg.name
        ));
    }
    run_program_link(cfg, &mut link, words, image, regions)
        .map_err(|e| format!("{}: {e}", port.display()))
}
